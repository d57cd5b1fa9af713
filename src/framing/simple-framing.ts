import { argumentError, FramingError } from '../errors.js';
import { GUID_NULL } from './constants.js';
import { type Guid, isGuid, normalizeGuid } from './guid.js';
import type { AllocatorFramingEx, Compression, FramingItem, FramingRange, FramingRangeWeighted } from './types.js';
import { validateFramingEx } from './validate.js';

/**
 * DECLARE_SIMPLE_FRAMING_EX and INITIALIZE_SIMPLE_FRAMING_EX (ks.h, spec §2.3).
 * @module
 */

/** Which macro argument each field of the simple framing comes from (for argument errors). */
const ARGUMENT_OF_FIELD: Readonly<Record<string, string>> = {
  'items[0].memoryType': 'memoryType',
  'items[0].flags': 'flags',
  'items[0].frames': 'frames',
  'items[0].fileAlignment': 'alignment',
  'items[0].framingRange.range.minFrameSize': 'minFrameSize',
  'items[0].framingRange.range.maxFrameSize': 'maxFrameSize',
};

/**
 * DECLARE_SIMPLE_FRAMING_EX: a one-item KSALLOCATOR_FRAMING_EX with exactly the macro's values — CountItems 1,
 * PinFlags 0, OutputCompression {1, 1, 0}, PinWeight 0, and one item { memoryType, BusType GUID_NULL, MemoryFlags 0,
 * BusFlags 0, flags, frames, FileAlignment = alignment, MemoryTypeWeight 0, PhysicalRange {0, 0xFFFFFFFF, 1},
 * FramingRange {{minFrameSize, maxFrameSize, 1}, 0, 0} }. The sizes go to the *optimal* range; the physical range is
 * "don't care".
 *
 * The result is a fresh, mutable (not frozen) object owned by the caller; `memoryType` is normalised to lowercase
 * without braces, and `flags` may be given as the signed 32-bit pattern JS bit operators produce
 * (`RequirementFlags.systemMemory | RequirementFlags.preferencesOnly` is -2147483646): it is stored as the ULONG
 * 0x80000002. Freeze it with {@link freezeFramingEx} when it becomes part of a shared descriptor.
 *
 * @example
 * ```ts
 * // avshws' capture pin: 2 frames of 2 pages, nonpaged, system memory preferred.
 * const framing = simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 2, FileAlignment.byte, 8192, 8192);
 * ```
 * @throws TypeError when an argument has the wrong type (memoryType not a GUID string, a size not a number)
 * @throws RangeError when a value is out of range: not a ULONG, unknown flag bits, alignment not a mask 2^k − 1 up
 *   to PAGE_SIZE − 1, or minFrameSize > maxFrameSize
 */
export function simpleFraming(
  memoryType: Guid,
  flags: number,
  frames: number,
  alignment: number,
  minFrameSize: number,
  maxFrameSize: number,
): AllocatorFramingEx {
  if (!isGuid(memoryType)) {
    throw argumentError('type', 'memoryType', memoryType, 'a GUID string such as MemoryType.kernelNonPaged');
  }
  // Flags combined with `|` in JS are signed 32-bit patterns (0x80000000 | 2 === -2147483646): store them as ULONGs.
  const ulongFlags = Number.isInteger(flags) && flags >= -0x80000000 && flags < 0 ? flags >>> 0 : flags;
  const framing: AllocatorFramingEx = {
    pinFlags: 0,
    outputCompression: { ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 },
    pinWeight: 0,
    items: [
      {
        memoryType: normalizeGuid(memoryType),
        busType: GUID_NULL,
        memoryFlags: 0,
        busFlags: 0,
        flags: ulongFlags,
        frames,
        fileAlignment: alignment,
        memoryTypeWeight: 0,
        physicalRange: { minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 },
        framingRange: { range: { minFrameSize, maxFrameSize, stepping: 1 }, inPlaceWeight: 0, notInPlaceWeight: 0 },
      },
    ],
  };
  try {
    return validateFramingEx(framing);
  } catch (e) {
    if (!(e instanceof FramingError)) throw e;
    const name = ARGUMENT_OF_FIELD[e.field] ?? e.field;
    throw argumentError(typeof e.value === 'number' ? 'range' : 'type', name, e.value, e.allowed);
  }
}

function reuse<T extends object>(existing: unknown, fresh: T): T {
  if (typeof existing !== 'object' || existing === null || Object.isFrozen(existing) || Array.isArray(existing)) {
    return fresh;
  }
  return Object.assign(existing as T, fresh);
}

/**
 * INITIALIZE_SIMPLE_FRAMING_EX: writes the {@link simpleFraming} values into an existing object (a per-instance copy,
 * for example) and returns it. Nested objects already in `target` are written in place when they are mutable (so
 * references to them stay live); `items` is cut to length 1, as the macro sets CountItems to 1.
 *
 * Arguments are checked before anything is written: on a throw `target` is unchanged.
 * @throws TypeError when `target` is not a mutable object, or as {@link simpleFraming}
 * @throws RangeError as {@link simpleFraming}
 */
export function initializeSimpleFraming(
  target: AllocatorFramingEx,
  memoryType: Guid,
  flags: number,
  frames: number,
  alignment: number,
  minFrameSize: number,
  maxFrameSize: number,
): AllocatorFramingEx {
  if (typeof target !== 'object' || target === null || Array.isArray(target) || !Object.isExtensible(target)) {
    throw argumentError('type', 'target', target, 'a mutable (not frozen or sealed) KSALLOCATOR_FRAMING_EX object');
  }
  const src = simpleFraming(memoryType, flags, frames, alignment, minFrameSize, maxFrameSize);
  const item = src.items[0]!;
  const old = target as Partial<AllocatorFramingEx>;
  const oldItem: Partial<FramingItem> | undefined = Array.isArray(old.items) ? old.items[0] : undefined;
  const oldWeighted = (oldItem as { framingRange?: unknown } | undefined)?.framingRange as
    | Partial<FramingRangeWeighted>
    | undefined;

  const physicalRange = reuse<FramingRange>(oldItem?.physicalRange, item.physicalRange);
  const range = reuse<FramingRange>(oldWeighted?.range, item.framingRange.range);
  const framingRange = reuse<FramingRangeWeighted>(oldWeighted, { ...item.framingRange, range });
  const newItem = reuse<FramingItem>(oldItem, { ...item, physicalRange, framingRange });

  target.pinFlags = 0;
  target.outputCompression = reuse<Compression>(old.outputCompression, src.outputCompression);
  target.pinWeight = 0;
  if (Array.isArray(old.items) && !Object.isFrozen(old.items)) {
    old.items.length = 1;
    old.items[0] = newItem;
  } else {
    target.items = [newItem];
  }
  return target;
}
