import type { FrameAllocator } from '../allocator/types.js';
import { normalizeGuid } from '../framing/guid.js';
import type { AllocatorFraming, AllocatorFramingEx } from '../framing/types.js';
import { FRAMING_OPTIONS_FLAGS_MASK } from '../framing/validate.js';
import { poolTypeFor } from '../graph/negotiation/memory-types.js';
import type { Pin } from '../pin/pin.js';
import { DataFlow } from '../pin/pin-descriptor.js';
import { delegateOf } from '../processing/splitter-branches.js';
import { pipeSourceOf } from '../processing/wiring.js';

/** The largest frame size a legacy KSALLOCATOR_FRAMING can state (a ULONG). */
const ULONG_MAX = 0xffffffff;

/**
 * The allocator of the pipe `pin` belongs to, while that pipe exists (its allocator initialized, i.e. the pipe's
 * pins are at ACQUIRE or above), else null.
 *
 * The pipe is found by walking its circuit upstream from `pin`: a pin fed by a requester is the pipe's source (its
 * allocator is the pipe's); otherwise an input pin continues at its connected output pin, and an output pin at its
 * in-place counterpart input pin (a splitter's delegate branch at its delegate). The walk stops at an output pin with neither (a non-in-place transform's output
 * starts a new pipe that has no requester yet) or at a pin seen twice.
 */
export function pipeAllocatorOf(pin: Pin): FrameAllocator | null {
  const seen = new Set<Pin>();
  let p: Pin | null = pin;
  while (p !== null && !seen.has(p)) {
    seen.add(p);
    const requester = pipeSourceOf(p);
    if (requester !== null) {
      const allocator = requester.allocator;
      return allocator.state === 'initialized' && allocator.framing !== null ? allocator : null;
    }
    p = p.dataFlow === DataFlow.in ? p.peer : (p.inPlaceCounterpart ?? delegateOf(p));
  }
  return null;
}

/**
 * The legacy KSALLOCATOR_FRAMING a pin reports before its pipe exists, derived from the first item of its
 * KSALLOCATOR_FRAMING_EX (the preferred memory type):
 *
 * - RequirementsFlags = the item's Flags restricted to the KSALLOCATOR_REQUIREMENTF_ / OPTIONF_ bits;
 * - PoolType = PagedPool for KERNEL_PAGED and USER memory, NonPagedPool otherwise (the negotiation's mapping);
 * - Frames = the item's Frames;
 * - FrameSize = the optimal range's MaxFrameSize, or its MinFrameSize when the maximum is unbounded (0xFFFFFFFF);
 *   0 (no requirement) when the optimal range is zero-filled or the don't-care range {0, 0xFFFFFFFF};
 * - FileAlignment = the item's FileAlignment; Reserved 0.
 */
export function legacyFramingFromEx(x: Readonly<AllocatorFramingEx>): AllocatorFraming {
  const item = x.items[0];
  if (item === undefined) {
    return { optionsFlags: 0, poolType: 0, frames: 0, frameSize: 0, fileAlignment: 0, reserved: 0 };
  }
  const { minFrameSize, maxFrameSize } = item.framingRange.range;
  const frameSize = maxFrameSize === 0 || maxFrameSize >= ULONG_MAX ? minFrameSize : maxFrameSize;
  return {
    optionsFlags: (item.flags & FRAMING_OPTIONS_FLAGS_MASK) >>> 0,
    poolType: poolTypeFor(normalizeGuid(item.memoryType)),
    frames: item.frames,
    frameSize,
    fileAlignment: item.fileAlignment,
    reserved: 0,
  };
}
