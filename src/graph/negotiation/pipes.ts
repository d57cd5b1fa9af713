import { argumentError } from '../../errors.js';
import { RequirementFlags } from '../../framing/constants.js';
import { isNeutralCompression, NEUTRAL_COMPRESSION } from '../../framing/range-math.js';
import type { Compression } from '../../framing/types.js';
import { appendEntry, type GraphModel, PinBit, PipeBit, Role } from './graph-model.js';

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

const INPLACE = RequirementFlags.inplaceModifier;
const MAX_RATIO_TERM = 1 << 20;

/** True when the input modifies frames in place (a splitter branch into it needs its own pipe fed by copies). @internal */
export function modifiesFrames(model: GraphModel, input: number): boolean {
  if ((model.pinBits[input]! & (PinBit.readOnly | PinBit.user)) !== 0) return false;
  return model.pinCounterpart[input]! >= 0 || (model.pinFlagsUnion[input]! & INPLACE) !== 0;
}

/** True when frames entering this input continue, in the same buffers, out of its counterpart. */
function passesThrough(model: GraphModel, input: number): boolean {
  const out = model.pinCounterpart[input]!;
  if (out < 0) return false;
  const bits = model.pinBits;
  return (bits[input]! & (PinBit.user | PinBit.sink)) === 0 && (bits[out]! & PinBit.user) === 0;
}

/** The size ratio of a transform from `input` to `output`: the output pin's OutputCompression, else the input's. @internal */
export function transformRatio(model: GraphModel, input: number, output: number): Compression {
  return model.pinRatio[output] ?? model.pinRatio[input] ?? NEUTRAL_COMPRESSION;
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

/** The filters in topological order, in `model.scratchB` (every filter after the filters feeding it). */
function topologicalOrder(model: GraphModel): Int32Array {
  const n = model.filterCount;
  const indegree = model.scratchA;
  const order = model.scratchB;
  const bits = model.pinBits;
  for (let f = 0; f < n; f++) {
    let d = 0;
    const start = model.filterPinStart[f]!;
    const end = start + model.filterPinCount[f]!;
    for (let p = start; p < end; p++) if ((bits[p]! & PinBit.input) !== 0 && model.pinPeerCount[p]! > 0) d++;
    indegree[f] = d;
  }
  let tail = 0;
  for (let f = 0; f < n; f++) if (indegree[f] === 0) order[tail++] = f;
  for (let head = 0; head < tail; head++) {
    const f = order[head]!;
    const start = model.filterPinStart[f]!;
    const end = start + model.filterPinCount[f]!;
    for (let p = start; p < end; p++) {
      if ((bits[p]! & PinBit.input) !== 0) continue;
      for (let e = model.pinPeerHead[p]!; e >= 0; e = model.connNext[e]!) {
        const target = model.pinFilter[model.connPeer[e]!]!;
        if (--indegree[target]! === 0) order[tail++] = target;
      }
    }
  }
  if (tail !== n) {
    let stuck = 0;
    while (indegree[stuck]! <= 0) stuck++;
    throw argumentError(
      'type',
      'description.connections',
      model.filterId[stuck]!,
      'an acyclic graph (a cycle passes this filter)',
    );
  }
  return order;
}

/** `pipe<n>` ids, built once per index and shared by every record (strings are immutable). */
const pipeIds: string[] = [];
/** The most ids kept. */
const MAX_PIPE_IDS = 1 << 16;

/** The id of pipe `index`: `pipe<index>`. @internal */
export function pipeId(index: number): string {
  if (index < pipeIds.length) return pipeIds[index]!;
  const id = `pipe${index}`;
  if (index === pipeIds.length && index < MAX_PIPE_IDS) pipeIds.push(id);
  return id;
}

/**
 * Splits a validated graph into pipes, in topological order (every pipe after the pipes it is fed from), into the
 * model's pipe and member arrays. Linear in pins + connections.
 * @internal
 */
export function buildPipes(model: GraphModel): void {
  const bits = model.pinBits;
  let stack = 0;
  model.pipeCount = 0;
  model.edgeCount = 0;
  model.memberCount = 0;
  // Every pin is a member of at most one pipe, plus one copySource member per branch pipe (at most one per
  // connection); each pipe has one source member. Edges grow on demand (a filter's source pipes each list every
  // pipe feeding the filter).
  model.ensureMembers(model.pinCount + model.connCount);
  model.ensurePipes(model.pinCount + model.connCount);

  const newPipe = (branchOf: number, prevStart: number, prevCount: number): number => {
    const pipe = model.pipeCount++;
    model.pipeBranchOf[pipe] = branchOf;
    model.pipePrevStart[pipe] = prevStart;
    model.pipePrevCount[pipe] = prevCount;
    model.pipeNextHead[pipe] = -1;
    model.pipeNextTail[pipe] = -1;
    model.pipeNextCount[pipe] = 0;
    model.pipeBits[pipe] = 0;
    model.pipeStamp[pipe] = 0;
    model.pipeMemberCount[pipe] = 0;
    for (let e = prevStart; e < prevStart + prevCount; e++) {
      model.edgeOwner[e] = pipe;
      const p = model.edgePipe[e]!;
      appendEntry(model.pipeNextHead, model.pipeNextTail, model.pipeNextCount, model.edgeNext, p, e);
    }
    return pipe;
  };
  const add = (pipe: number, pin: number, role: number, compression: Compression): void => {
    const m = model.memberCount++;
    const position = model.pipeMemberCount[pipe]!++;
    model.newMemberPipe[m] = pipe;
    model.newMemberPos[m] = position;
    model.newMemberPin[m] = pin;
    model.newMemberRole[m] = role;
    model.newMemberCompression[m] = compression;
    if ((bits[pin]! & PinBit.input) !== 0) {
      model.pinMemberPipe[pin] = pipe;
      model.pinMemberPos[pin] = position;
    }
    if (compression.ratioNumerator === 0) model.pipeBits[pipe]! |= PipeBit.unknownCompression;
  };
  const push = (pipe: number, out: number, ratio: Compression): void => {
    model.workPipe[stack] = pipe;
    model.workPin[stack] = out;
    model.workRatio[stack] = ratio;
    stack++;
  };

  // The work stack holds outputs whose consumers are still to be walked: [pipe, output, compression at the output].
  const walk = (): void => {
    while (stack > 0) {
      stack--;
      const pipe = model.workPipe[stack]!;
      const out = model.workPin[stack]!;
      const ratio = model.workRatio[stack]!;
      const head = model.pinPeerHead[out]!;
      const branches = (bits[out]! & PinBit.splitter) !== 0 && model.pinPeerCount[out]! > 1;
      if (!branches) {
        // One consumer (or a non-splitter): no branch pipes.
        for (let e = head; e >= 0; e = model.connNext[e]!) enterInput(pipe, model.connPeer[e]!, ratio);
        continue;
      }
      // Read-only branches share the pipe; a modifying branch gets its own pipe fed by copies — except that, when
      // no branch only reads, the first connection's consumer keeps the splitter's own frames (nobody else sees
      // them, so it may modify them) and only the further modifying branches get copies.
      let anyReadOnly = false;
      for (let e = head; e >= 0 && !anyReadOnly; e = model.connNext[e]!) {
        anyReadOnly = !modifiesFrames(model, model.connPeer[e]!);
      }
      const first = model.connPeer[head]!;
      let sharing = 0;
      for (let e = head; e >= 0; e = model.connNext[e]!) {
        const input = model.connPeer[e]!;
        if (modifiesFrames(model, input) && (anyReadOnly || input !== first)) {
          model.ensureEdges(model.edgeCount + 1);
          const edge = model.edgeCount++;
          model.edgePipe[edge] = pipe;
          const branch = newPipe(pipe, edge, 1);
          add(branch, out, Role.copySource, NEUTRAL_COMPRESSION);
          if ((bits[out]! & PinBit.user) !== 0) model.pipeBits[branch]! |= PipeBit.userUpstream;
          enterInput(branch, input, NEUTRAL_COMPRESSION);
        } else sharing++;
      }
      if (sharing > 1) model.pipeBits[pipe]! |= PipeBit.multipleOutput;
      for (let e = head; e >= 0; e = model.connNext[e]!) {
        const input = model.connPeer[e]!;
        if (!(modifiesFrames(model, input) && (anyReadOnly || input !== first))) enterInput(pipe, input, ratio);
      }
    }
  };

  const enterInput = (pipe: number, input: number, ratio: Compression): void => {
    const b = bits[input]!;
    if ((b & PinBit.user) !== 0) {
      add(pipe, input, Role.userModeEnd, ratio);
      model.pipeBits[pipe]! |= PipeBit.userDownstream;
      return;
    }
    if (passesThrough(model, input)) {
      const out = model.pinCounterpart[input]!;
      if (modifiesFrames(model, input)) model.pipeBits[pipe]! |= PipeBit.modifies;
      add(pipe, input, (b & PinBit.readOnly) !== 0 ? Role.readOnlyInput : Role.inPlaceInput, ratio);
      const outRatio = composeCompression(ratio, transformRatio(model, input, out));
      add(pipe, out, Role.inPlaceOutput, outRatio);
      if (model.pinPeerCount[out]! > 0) push(pipe, out, outRatio);
      return;
    }
    if ((model.pinFlagsUnion[input]! & INPLACE) !== 0 && (b & PinBit.readOnly) === 0) {
      model.pipeBits[pipe]! |= PipeBit.modifies;
    }
    const f = model.pinFilter[input]!;
    const sink = (b & PinBit.sink) !== 0 || model.filterPinCount[f] === model.filterInputCount[f];
    add(pipe, input, sink ? Role.sink : Role.end, ratio);
  };

  let stamp = 0;
  const order = topologicalOrder(model);
  for (let fi = 0; fi < model.filterCount; fi++) {
    const filter = order[fi]!;
    // The pipes feeding this filter (deduplicated with a per-filter stamp: linear in the filter's inputs), computed
    // once per filter and copied for its further source pipes (each pipe has its own edges).
    let prevStart = -1;
    let prevCount = 0;
    const start = model.filterPinStart[filter]!;
    const end = start + model.filterPinCount[filter]!;
    for (let out = start; out < end; out++) {
      if ((bits[out]! & PinBit.input) !== 0 || model.pinPeerCount[out] === 0) continue;
      const cp = model.pinCounterpart[out]!;
      if (cp >= 0 && passesThrough(model, cp) && model.pinPeerCount[cp]! > 0) continue; // reached by the walk of its input
      let edges: number;
      if (prevStart < 0) {
        edges = model.edgeCount;
        prevCount = feedingPipes(model, filter, ++stamp);
        prevStart = edges;
      } else {
        edges = model.edgeCount;
        model.ensureEdges(edges + prevCount);
        for (let k = 0; k < prevCount; k++) model.edgePipe[edges + k] = model.edgePipe[prevStart + k]!;
        model.edgeCount += prevCount;
      }
      const pipe = newPipe(-1, edges, prevCount);
      add(pipe, out, Role.source, NEUTRAL_COMPRESSION);
      if ((bits[out]! & PinBit.user) !== 0) model.pipeBits[pipe]! |= PipeBit.userUpstream;
      push(pipe, out, NEUTRAL_COMPRESSION);
      walk();
    }
  }
  model.sortMembers();
}

/**
 * Appends the pipes feeding filter `f` (deduplicated with a per-filter stamp: linear in its inputs) to the edge list;
 * returns their count.
 */
function feedingPipes(model: GraphModel, f: number, stamp: number): number {
  const start = model.filterPinStart[f]!;
  const end = start + model.filterPinCount[f]!;
  model.ensureEdges(model.edgeCount + model.filterInputCount[f]!);
  let count = 0;
  for (let p = start; p < end; p++) {
    if ((model.pinBits[p]! & PinBit.input) === 0) continue;
    const pipe = model.pinMemberPipe[p]!;
    if (pipe >= 0 && model.pipeStamp[pipe] !== stamp) {
      model.pipeStamp[pipe] = stamp;
      model.edgePipe[model.edgeCount++] = pipe;
      count++;
    }
  }
  return count;
}
