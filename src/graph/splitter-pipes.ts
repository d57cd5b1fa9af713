import type { Pin } from '../pin/pin.js';
import { setDelegateBranches } from '../processing/splitter-branches.js';
import type { GraphPipe } from './graph-types.js';
import type { PipeDecision } from './negotiation/record.js';

/**
 * How the live graph maps a SPLITTER output pin type onto the engine's pipe model (docs/graph.md "Splitters"): the
 * live description names the pin type once (the key of its first instance, `tee.out1`) with one connection per
 * connected instance, in instance order. The engine then puts read-only consumers in the splitter's pipe and gives
 * each modifying consumer a pipe of its own (`branchOf`, role `copySource`). Back in the live graph:
 *
 * - the **delegate** (the instance the driver fills, the pipe's requester) is the first instance, in creation
 *   order, whose consumer is in the splitter's pipe (the first instance when none is);
 * - every other instance whose consumer is in that pipe, and every unconnected instance, is a **delegate branch**
 *   (views of the delegate's frames, no copy);
 * - an instance whose consumer is in a `branchOf` pipe is a **copy branch**: the source of that pipe.
 * @internal
 * @module
 */

/** The live pins of one pipe decision. @internal */
export interface LivePipePins {
  /** Every pin of the pipe in pipe order (a delegate branch instance just before its consumer). */
  readonly pins: Pin[];
  /** The live pin of a description key in this pipe (a splitter key names its delegate or copy branch here). */
  readonly pinOf: (key: string) => Pin;
  /** The splitter instances sharing this pipe besides their delegates. */
  readonly delegateBranches: Pin[];
}

/** The splitter roles of one SPLITTER pin type decided at STOP→ACQUIRE. @internal */
export interface SplitterRoles {
  /** The instance the driver fills. */
  readonly delegate: Pin;
  /** Delegate branches: connected ones sharing the pipe, then the unconnected ones. */
  readonly shared: Pin[];
  /** The pipe decision the delegate's frames belong to. */
  readonly decision: PipeDecision;
}

/**
 * Resolves the live pins of `decision`. `pins` maps description keys to live pins; `splitters` maps the key of
 * a SPLITTER pin type to its instances (creation order). Adds the roles of every splitter whose own pipe this is to
 * `roles`.
 * @internal
 */
export function livePipePins(
  decision: PipeDecision,
  pins: ReadonlyMap<string, Pin>,
  splitters: ReadonlyMap<string, readonly Pin[]>,
  roles: SplitterRoles[],
): LivePipePins {
  const keys = decision.pins;
  const live = keys.map((key) => pins.get(key)!);
  const pinOf = (key: string): Pin => overrides.get(key) ?? pins.get(key)!;
  const overrides = new Map<string, Pin>();
  const branchSet = new Set<Pin>();
  const delegateBranches: Pin[] = [];
  for (let j = 0; j < keys.length; j++) {
    const instances = splitters.get(keys[j]!);
    if (instances === undefined) continue;
    if (decision.requirements[j]!.role === 'copySource') {
      // A copy branch: the instance connected to the pipe's first consumer.
      overrides.set(keys[j]!, live[1]?.peer ?? instances[0]!);
      continue;
    }
    // The splitter's own pipe: its direct consumers are the inputs whose peer is one of its instances.
    const consumers = new Set<Pin>();
    for (let k = j + 1; k < live.length; k++) {
      const peer = live[k]!.peer;
      if (peer !== null && instances.includes(peer)) consumers.add(live[k]!);
    }
    // An in-place splitter output already linked to the input carries the frames: it is the delegate — provided its
    // consumer is in this pipe (a link left from an earlier run, whose consumer now modifies and gets copies, is not
    // kept: the input is linked again to the chosen delegate below).
    const linked = j > 0 ? live[j - 1]!.inPlaceCounterpart : null;
    const delegate =
      (linked !== null && instances.includes(linked) && linked.peer !== null && consumers.has(linked.peer)
        ? linked
        : undefined) ??
      instances.find((p) => p.peer !== null && consumers.has(p.peer)) ??
      instances[0]!;
    overrides.set(keys[j]!, delegate);
    const connected = instances.filter((p) => p !== delegate && p.peer !== null && consumers.has(p.peer));
    for (const p of connected) {
      branchSet.add(p);
      delegateBranches.push(p);
    }
    roles.push({
      delegate,
      shared: [...connected, ...instances.filter((p) => p !== delegate && p.peer === null)],
      decision,
    });
  }
  if (overrides.size === 0) return { pins: live, pinOf, delegateBranches };
  const ordered: Pin[] = [];
  for (let k = 0; k < keys.length; k++) {
    const pin = pinOf(keys[k]!);
    const peer = pin.peer;
    if (peer !== null && branchSet.has(peer)) ordered.push(peer);
    ordered.push(pin);
  }
  return { pins: ordered, pinOf, delegateBranches };
}

/**
 * Gives each splitter its roles (setDelegateBranches) once every pipe exists, and records each fan-out on the pipe
 * the delegate's frames belong to. Returns the delegates (cleared at teardown).
 * @internal
 */
export function wireSplitters(roles: readonly SplitterRoles[], pipes: GraphPipe[], verify: boolean): Pin[] {
  const delegates: Pin[] = [];
  for (const r of roles) {
    const first = r.delegate.filter.pins(r.delegate.id)[0];
    if (r.shared.length === 0 && r.delegate === first) continue; // the default roles: every other instance copies
    const i = pipes.findIndex((p) => p.decision === r.decision);
    const fanOut = setDelegateBranches(r.delegate, r.shared, {
      frames: Math.max(1, r.decision.framing?.frames ?? 4),
      verify,
      name: `${r.decision.id} (${r.decision.pins.join(', ')})`,
    });
    delegates.push(r.delegate);
    if (i >= 0) pipes[i] = { ...pipes[i]!, fanOut };
  }
  return delegates;
}
