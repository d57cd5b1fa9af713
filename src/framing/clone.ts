import type { AllocatorFraming, AllocatorFramingEx, FramingItem, FramingRange } from './types.js';

/**
 * Copying and freezing framings.
 *
 * Policy (docs/framing.md, "Ownership"): every function that builds a framing (`simpleFraming`, `parseFramingEx`,
 * `decodeFramingEx`, `cloneFramingEx`) returns a fresh, mutable object that shares nothing with its input. A framing
 * that becomes part of a shared descriptor is frozen with {@link freezeFramingEx}; a per-instance edit (KsEdit) starts
 * from {@link cloneFramingEx}, which always returns a mutable copy, also of a frozen framing.
 * @module
 */

function cloneRange(r: FramingRange): FramingRange {
  return { minFrameSize: r.minFrameSize, maxFrameSize: r.maxFrameSize, stepping: r.stepping };
}

function cloneItem(item: FramingItem): FramingItem {
  return {
    memoryType: item.memoryType,
    busType: item.busType,
    memoryFlags: item.memoryFlags,
    busFlags: item.busFlags,
    flags: item.flags,
    frames: item.frames,
    fileAlignment: item.fileAlignment,
    memoryTypeWeight: item.memoryTypeWeight,
    physicalRange: cloneRange(item.physicalRange),
    framingRange: {
      range: cloneRange(item.framingRange.range),
      inPlaceWeight: item.framingRange.inPlaceWeight,
      notInPlaceWeight: item.framingRange.notInPlaceWeight,
    },
  };
}

/**
 * A deep, mutable copy of a KSALLOCATOR_FRAMING_EX (the per-instance copy a pin edits, as KsEdit makes one). Only the
 * modelled fields are copied; the copy shares no object with `x` and is never frozen, even when `x` is.
 */
export function cloneFramingEx(x: Readonly<AllocatorFramingEx>): AllocatorFramingEx {
  return {
    pinFlags: x.pinFlags,
    outputCompression: {
      ratioNumerator: x.outputCompression.ratioNumerator,
      ratioDenominator: x.outputCompression.ratioDenominator,
      ratioConstantMargin: x.outputCompression.ratioConstantMargin,
    },
    pinWeight: x.pinWeight,
    items: x.items.map(cloneItem),
  };
}

/** A mutable copy of a legacy KSALLOCATOR_FRAMING (only the modelled fields). */
export function cloneFraming(x: Readonly<AllocatorFraming>): AllocatorFraming {
  return {
    optionsFlags: x.optionsFlags,
    poolType: x.poolType,
    frames: x.frames,
    frameSize: x.frameSize,
    fileAlignment: x.fileAlignment,
    reserved: x.reserved,
  };
}

/**
 * Deep-freezes a KSALLOCATOR_FRAMING_EX in place (every nested object and the items array) and returns it: the form a
 * shared descriptor keeps. Writing to it afterwards throws a TypeError (ES modules are strict).
 */
export function freezeFramingEx<T extends AllocatorFramingEx>(x: T): T {
  for (const item of x.items) {
    Object.freeze(item.physicalRange);
    Object.freeze(item.framingRange.range);
    Object.freeze(item.framingRange);
    Object.freeze(item);
  }
  Object.freeze(x.items);
  Object.freeze(x.outputCompression);
  return Object.freeze(x);
}

/** Freezes a legacy KSALLOCATOR_FRAMING in place and returns it. */
export function freezeFraming<T extends AllocatorFraming>(x: T): T {
  return Object.freeze(x);
}
