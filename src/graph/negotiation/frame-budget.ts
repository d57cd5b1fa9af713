import { AllocatorStrategy } from './constants.js';
import { type GraphModel, Role } from './graph-model.js';
import type { FrameHolder, FramesDecision, Rejection } from './record.js';

/**
 * The frame count of a pipe and the static frame budget (docs/negotiation.md §3.3): the largest Frames asked, the
 * strategy's recommendation, and a raise so that the pipe has more frames than its members can hold together (else
 * the source starves: a deadlock), all within the physical limits; or a failure naming the holders.
 * @module
 */

/** Frames recommended for smooth data flow when the strategy does not minimize the frame count. */
export const RECOMMENDED_FRAMES = 3;

/** The frames a pin may hold at once (queue + trailing-edge window + clones). @internal */
export function pinHolder(model: GraphModel, pin: number): FrameHolder {
  const queueDepth = model.pinQueue[pin]!;
  const trailingWindow = model.pinTrail[pin]!;
  const clonesKept = model.pinClones[pin]!;
  return {
    pin: model.pinRef[pin]!,
    holds: queueDepth + trailingWindow + clonesKept,
    queueDepth,
    trailingWindow,
    clonesKept,
  };
}

/**
 * The frames the member in `slot` may hold; a splitter output feeding a branch with copies holds frames of its own
 * pipe, not of the branch. @internal
 */
export function holdsOf(model: GraphModel, slot: number): number {
  if (model.memberRole[slot] === Role.copySource) return 0;
  const pin = model.memberPin[slot]!;
  return model.pinQueue[pin]! + model.pinTrail[pin]! + model.pinClones[pin]!;
}

/** Where resolveFrames reports its failure (a caller's scratch object: no result wrapper per pipe). @internal */
export interface FramesOutcome {
  failure: Rejection | null;
}

/**
 * Resolves a pipe's frame count. The decision's `frames` is null when `out.failure` is set (rule `frames`: a pin
 * asks more than the limit; rule `frameBudget`: the members can hold every frame the limit allows); `out.failure`
 * is null otherwise.
 * @internal
 */
export function resolveFrames(
  model: GraphModel,
  start: number,
  n: number,
  items: readonly number[],
  strategy: number,
  graphLimit: number,
  out: FramesOutcome,
): FramesDecision {
  out.failure = null;
  let required = 0;
  let imposedBy: string | null = null;
  let limit = graphLimit;
  let limitedBy: string | null = null;
  let held = 0;
  let holderCount = 0;
  for (let k = 0; k < n; k++) {
    const item = items[k];
    const pin = model.memberPin[start + k]!;
    if (item !== undefined && item >= 0 && model.itemFrames[item]! > required) {
      required = model.itemFrames[item]!;
      imposedBy = model.pinRef[pin]!;
    }
    const maxFrames = model.pinMaxFrames[pin]!;
    if (maxFrames !== 0 && maxFrames < limit) {
      limit = maxFrames;
      limitedBy = model.pinRef[pin]!;
    }
    const holds = holdsOf(model, start + k);
    if (holds > 0) {
      holderCount++;
      held += holds;
    }
  }
  // The holders, in an exact-size array (a second pass: no temporary holder for pins that hold nothing).
  const holders = new Array<FrameHolder>(holderCount);
  if (holderCount > 0) {
    let h = 0;
    for (let k = 0; k < n; k++) {
      if (holdsOf(model, start + k) > 0) holders[h++] = pinHolder(model, model.memberPin[start + k]!);
    }
  }
  const decision: FramesDecision = {
    required: Math.max(required, 1),
    imposedBy,
    strategyExtra: 0,
    holders,
    held,
    budgetRaise: 0,
    frames: null,
    limit,
    limitedBy,
  };
  let count = decision.required;
  if (count > limit) {
    const pin = imposedBy ?? model.pinRef[model.memberPin[start]!]!;
    out.failure = { rule: 'frames', pin, field: 'frames', required: count, offered: limit };
    return decision;
  }
  if ((strategy & AllocatorStrategy.minimizeNumberOfFrames) === 0 && count < RECOMMENDED_FRAMES) {
    decision.strategyExtra = Math.max(0, Math.min(RECOMMENDED_FRAMES, limit) - count);
    count += decision.strategyExtra;
  }
  if (count <= held) {
    const raised = held + 1;
    if (raised > limit) {
      let biggest = holders[0]!;
      for (let h = 1; h < holders.length; h++) if (holders[h]!.holds > biggest.holds) biggest = holders[h]!;
      out.failure = { rule: 'frameBudget', pin: biggest.pin, field: 'frames', required: raised, offered: limit };
      return decision;
    }
    decision.budgetRaise = raised - count;
    count = raised;
  }
  decision.frames = count;
  return decision;
}
