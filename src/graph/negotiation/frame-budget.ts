import type { FramingItem } from '../../framing/types.js';
import { AllocatorStrategy } from './constants.js';
import type { PinNode } from './graph-model.js';
import type { PipeMember } from './pipes.js';
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
export function pinHolder(pin: PinNode): FrameHolder {
  return {
    pin: pin.ref,
    holds: pin.queueDepth + pin.trailingWindow + pin.clonesKept,
    queueDepth: pin.queueDepth,
    trailingWindow: pin.trailingWindow,
    clonesKept: pin.clonesKept,
  };
}

/** The frames a member may hold; a splitter output feeding a branch with copies holds frames of its own pipe, not of the branch. */
function holdsOf(m: PipeMember): number {
  if (m.role === 'copySource') return 0;
  const pin = m.pin;
  return pin.queueDepth + pin.trailingWindow + pin.clonesKept;
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
  members: readonly PipeMember[],
  items: readonly (FramingItem | null)[],
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
  for (let k = 0; k < members.length; k++) {
    const item = items[k];
    const pin = members[k]!.pin;
    if (item && item.frames > required) {
      required = item.frames;
      imposedBy = pin.ref;
    }
    if (pin.maxFrames !== null && pin.maxFrames < limit) {
      limit = pin.maxFrames;
      limitedBy = pin.ref;
    }
    const holds = holdsOf(members[k]!);
    if (holds > 0) {
      holderCount++;
      held += holds;
    }
  }
  // The holders, in an exact-size array (a second pass: no temporary holder for pins that hold nothing).
  const holders = new Array<FrameHolder>(holderCount);
  if (holderCount > 0) {
    let h = 0;
    for (let k = 0; k < members.length; k++) {
      if (holdsOf(members[k]!) > 0) holders[h++] = pinHolder(members[k]!.pin);
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
    const pin = imposedBy ?? members[0]!.pin.ref;
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
      for (const h of holders) if (h.holds > biggest.holds) biggest = h;
      out.failure = { rule: 'frameBudget', pin: biggest.pin, field: 'frames', required: raised, offered: limit };
      return decision;
    }
    decision.budgetRaise = raised - count;
    count = raised;
  }
  decision.frames = count;
  return decision;
}
