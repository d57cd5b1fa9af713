import { argumentError } from '../../errors.js';
import { RequirementFlags } from '../../framing/constants.js';
import { isNeutralCompression, NEUTRAL_COMPRESSION } from '../../framing/range-math.js';
import type { Compression } from '../../framing/types.js';
import type { FilterNode, GraphModel, PinNode } from './graph-model.js';

/**
 * Pipe building (spec §7, an [I] reconstruction documented in docs/negotiation.md): a pipe starts at a source pin,
 * extends through in-place transforms and read-only splitter branches, and ends at a non-in-place transform's input,
 * a user-mode end or a sink.
 * @module
 */

/**
 * The role a pin plays in its pipe.
 * - `source`: the output where the pipe starts (the requester sits here).
 * - `copySource`: a splitter output feeding a branch pipe with copies (the branch pipe's requester).
 * - `inPlaceInput` / `inPlaceOutput`: the two pins of an in-place transform the frames pass through.
 * - `readOnlyInput`: an in-place input that only reads (a tap); frames pass through to its counterpart.
 * - `end`: the input of a non-in-place transform (the pipe ends; the filter fills frames of the next pipe).
 * - `sink`: an input where frames stop (its filter has no outputs, or it is marked `sink`).
 * - `userModeEnd`: a user-mode pin ending the pipe (downstream) — a user-mode source pin is a `source`.
 */
export type PipePinRole =
  | 'source'
  | 'copySource'
  | 'inPlaceInput'
  | 'inPlaceOutput'
  | 'readOnlyInput'
  | 'end'
  | 'sink'
  | 'userModeEnd';

/** @internal One pin inside a pipe. */
export interface PipeMember {
  readonly pin: PinNode;
  readonly role: PipePinRole;
  /** The cumulative compression from the allocator (source) pin to this pin; numerator 0 = unknown. */
  readonly compression: Compression;
  /** Position in the pipe (0 = source). */
  readonly position: number;
  /** The index of the pipe. */
  readonly pipeIndex: number;
}

/** @internal A pipe: one allocator, one requester. */
export interface Pipe {
  readonly index: number;
  readonly id: string;
  members: PipeMember[];
  /** The pipe this branch pipe copies from (splitter branch into an in-place modifier), or null. */
  readonly branchOf: Pipe | null;
  readonly prev: Pipe[];
  next: Pipe[];
  userUpstream: boolean;
  userDownstream: boolean;
  /** At least one member modifies frames in place. */
  modifies: boolean;
  /** Splitter branches share this pipe. */
  multipleOutput: boolean;
  /** A cumulative ratio overflowed or was unknown. */
  unknownCompression: boolean;
  /** Scratch mark used while deduplicating. */
  _stamp: number;
  /** Members added so far while building (the exact-size `members` array is filled at the end). */
  _count: number;
}

const INPLACE = RequirementFlags.inplaceModifier;
const MAX_RATIO_TERM = 1 << 20;

/** True when the input modifies frames in place (a splitter branch into it needs its own pipe fed by copies). @internal */
export function modifiesFrames(input: PinNode): boolean {
  if (input.readOnly || input.userMode) return false;
  return input.counterpart !== null || (input.flagsUnion & INPLACE) !== 0;
}

/** True when frames entering this input continue, in the same buffers, out of its counterpart. */
function passesThrough(input: PinNode): boolean {
  const out = input.counterpart;
  return out !== null && !input.userMode && !out.userMode && !input.sinkFlag;
}

/** The size ratio of a transform from `input` to `output`: the output pin's OutputCompression, else the input's. @internal */
export function transformRatio(input: PinNode | null, output: PinNode): Compression {
  const o = output.framing?.outputCompression;
  if (o && !isNeutralCompression(o)) return o;
  const i = input?.framing?.outputCompression;
  if (i && !isNeutralCompression(i)) return i;
  return NEUTRAL_COMPRESSION;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Composes two ratios: `b(a(x))` ≈ x·(na·nb)/(da·db) + ⌈ma·nb/db⌉ + mb (reduced). A term above 2^20 or an unknown
 * ratio (numerator 0) gives the unknown ratio {0, 1, 0}.
 */
export function composeCompression(a: Compression, b: Compression): Compression {
  if (isNeutralCompression(b)) return a;
  if (isNeutralCompression(a)) return b;
  if (a.ratioNumerator === 0 || b.ratioNumerator === 0) return UNKNOWN_COMPRESSION;
  let n = a.ratioNumerator * b.ratioNumerator;
  let d = a.ratioDenominator * b.ratioDenominator;
  const g = gcd(n, d);
  n /= g;
  d /= g;
  const m = Math.ceil((a.ratioConstantMargin * b.ratioNumerator) / b.ratioDenominator) + b.ratioConstantMargin;
  if (n > MAX_RATIO_TERM || d > MAX_RATIO_TERM || m > 0xffffffff) return UNKNOWN_COMPRESSION;
  return { ratioNumerator: n, ratioDenominator: d, ratioConstantMargin: m };
}

/** The unknown ratio (RatioNumerator 0): sizes cannot be carried through it. */
export const UNKNOWN_COMPRESSION: Readonly<Compression> = Object.freeze({
  ratioNumerator: 0,
  ratioDenominator: 1,
  ratioConstantMargin: 0,
});

function topologicalOrder(filters: readonly FilterNode[]): FilterNode[] {
  const indegree = new Int32Array(filters.length);
  for (let i = 0; i < filters.length; i++) {
    const inputs = filters[i]!.inputs;
    for (let k = 0; k < inputs.length; k++) if (inputs[k]!.peers.length > 0) indegree[i]!++;
  }
  // Exact size: every filter enters the order once (a cycle leaves some out: the check below).
  const order = new Array<FilterNode>(filters.length);
  let tail = 0;
  for (let i = 0; i < filters.length; i++) if (indegree[i] === 0) order[tail++] = filters[i]!;
  for (let head = 0; head < tail; head++) {
    const outputs = order[head]!.outputs;
    for (let o = 0; o < outputs.length; o++) {
      const peers = outputs[o]!.peers;
      for (let k = 0; k < peers.length; k++) {
        const target = peers[k]!.filter;
        if (--indegree[target.index]! === 0) order[tail++] = target;
      }
    }
  }
  if (tail !== filters.length) {
    const stuck = filters.find((f) => indegree[f.index]! > 0)!;
    throw argumentError('type', 'description.connections', stuck.id, 'an acyclic graph (a cycle passes this filter)');
  }
  return order;
}

/**
 * Splits a validated graph into pipes, in topological order (every pipe after the pipes it is fed from).
 * Linear in pins + connections.
 * @internal
 */
export function buildPipes(model: GraphModel): Pipe[] {
  const pipes: Pipe[] = [];
  const newPipe = (branchOf: Pipe | null, prev: Pipe[]): Pipe => {
    const pipe: Pipe = {
      index: pipes.length,
      id: `pipe${pipes.length}`,
      members: NO_MEMBERS,
      branchOf,
      prev,
      next: NO_PIPES,
      userUpstream: false,
      userDownstream: false,
      modifies: false,
      multipleOutput: false,
      unknownCompression: false,
      _stamp: 0,
      _count: 0,
    };
    for (let k = 0; k < prev.length; k++) {
      const p = prev[k]!;
      if (p.next.length === 0) (p as { next: Pipe[] }).next = [pipe];
      else p.next.push(pipe);
    }
    pipes.push(pipe);
    return pipe;
  };
  // Every member in creation order; each pipe's exact-size members array is filled from it at the end.
  const all: PipeMember[] = [];
  const add = (pipe: Pipe, pin: PinNode, role: PipePinRole, compression: Compression): void => {
    const member: PipeMember = { pin, role, compression, position: pipe._count++, pipeIndex: pipe.index };
    all.push(member);
    if (pin.dataFlow === 'in') pin._member = member;
    if (compression.ratioNumerator === 0) pipe.unknownCompression = true;
  };
  // Work list of outputs whose consumers are still to be walked: [pipe, output, compression at the output].
  const workPipe: Pipe[] = [];
  const workPin: PinNode[] = [];
  const workRatio: Compression[] = [];

  const walk = (): void => {
    while (workPin.length > 0) {
      const pipe = workPipe.pop()!;
      const out = workPin.pop()!;
      const ratio = workRatio.pop()!;
      const peers = out.peers;
      const branches = out.splitter && peers.length > 1;
      if (!branches) {
        // One consumer (or a non-splitter): no branch pipes, no temporary list.
        for (let k = 0; k < peers.length; k++) enterInput(pipe, peers[k]!, ratio);
        continue;
      }
      // Read-only branches share the pipe; a modifying branch gets its own pipe fed by copies — except that, when
      // no branch only reads, the first connection's consumer keeps the splitter's own frames (nobody else sees
      // them, so it may modify them) and only the further modifying branches get copies.
      let anyReadOnly = false;
      for (let k = 0; k < peers.length && !anyReadOnly; k++) anyReadOnly = !modifiesFrames(peers[k]!);
      const sharing: PinNode[] = [];
      for (const input of peers) {
        if (modifiesFrames(input) && (anyReadOnly || input !== peers[0])) {
          const branch = newPipe(pipe, [pipe]);
          add(branch, out, 'copySource', NEUTRAL_COMPRESSION);
          branch.userUpstream = out.userMode;
          enterInput(branch, input, NEUTRAL_COMPRESSION);
        } else {
          sharing.push(input);
        }
      }
      if (sharing.length > 1) pipe.multipleOutput = true;
      for (const input of sharing) enterInput(pipe, input, ratio);
    }
  };

  const enterInput = (pipe: Pipe, input: PinNode, ratio: Compression): void => {
    if (input.userMode) {
      add(pipe, input, 'userModeEnd', ratio);
      pipe.userDownstream = true;
      return;
    }
    if (passesThrough(input)) {
      const out = input.counterpart!;
      if (modifiesFrames(input)) pipe.modifies = true;
      add(pipe, input, input.readOnly ? 'readOnlyInput' : 'inPlaceInput', ratio);
      const outRatio = composeCompression(ratio, transformRatio(input, out));
      add(pipe, out, 'inPlaceOutput', outRatio);
      if (out.peers.length > 0) {
        workPipe.push(pipe);
        workPin.push(out);
        workRatio.push(outRatio);
      }
      return;
    }
    if ((input.flagsUnion & INPLACE) !== 0 && !input.readOnly) pipe.modifies = true;
    const sink = input.sinkFlag || input.filter.outputs.length === 0;
    add(pipe, input, sink ? 'sink' : 'end', ratio);
  };

  let stamp = 0;
  const order = topologicalOrder(model.filters);
  for (let fi = 0; fi < order.length; fi++) {
    const filter = order[fi]!;
    // The pipes feeding this filter (deduplicated with a per-filter stamp: linear in the filter's inputs).
    let prev: Pipe[] | null = null;
    const outputs = filter.outputs;
    for (let o = 0; o < outputs.length; o++) {
      const out = outputs[o]!;
      if (out.peers.length === 0) continue;
      const cp = out.counterpart;
      if (cp !== null && passesThrough(cp) && cp.peers.length > 0) continue; // reached by the walk of its input
      if (prev === null) prev = feedingPipes(filter, pipes, ++stamp);
      const pipe = newPipe(null, prev);
      add(pipe, out, 'source', NEUTRAL_COMPRESSION);
      pipe.userUpstream = out.userMode;
      workPipe.push(pipe);
      workPin.push(out);
      workRatio.push(NEUTRAL_COMPRESSION);
      walk();
    }
  }
  // Exact-size member arrays: the pipes live through the negotiation.
  for (let i = 0; i < pipes.length; i++) pipes[i]!.members = new Array<PipeMember>(pipes[i]!._count);
  for (let k = 0; k < all.length; k++) {
    const m = all[k]!;
    pipes[m.pipeIndex]!.members[m.position] = m;
  }
  return pipes;
}

const NO_PIPES = Object.freeze([]) as unknown as Pipe[];

/** The pipes feeding `filter`, deduplicated with a per-filter stamp (linear in its inputs), in an exact-size array. */
function feedingPipes(filter: FilterNode, pipes: readonly Pipe[], stamp: number): Pipe[] {
  let count = 0;
  const inputs = filter.inputs;
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k]!;
    const p = input._member ? pipes[input._member.pipeIndex]! : null;
    if (p && p._stamp !== stamp) {
      p._stamp = stamp;
      count++;
    }
  }
  if (count === 0) return NO_PIPES;
  const list = new Array<Pipe>(count);
  let at = 0;
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k]!;
    const p = input._member ? pipes[input._member.pipeIndex]! : null;
    // Second pass: a stamp of −stamp marks a pipe already listed.
    if (p && p._stamp === stamp) {
      p._stamp = -stamp;
      list[at++] = p;
    }
  }
  return list;
}

/** The placeholder members of a pipe being built. */
const NO_MEMBERS = Object.freeze([]) as unknown as PipeMember[];
