import { FramingError } from '../errors.js';
import {
  FRAMING_ITEM_FLAGS_MASK,
  MAX_FILE_ALIGNMENT,
  MAX_FRAMING_ITEMS,
  OptionFlags,
  REQUIREMENT_FLAGS_MASK,
} from './constants.js';
import { intersectRanges, isAlignmentMask } from './range-math.js';
import type { AllocatorFraming, AllocatorFramingEx, FramingItem, FramingRange } from './types.js';

/**
 * Validation of KSALLOCATOR_FRAMING_EX and KSALLOCATOR_FRAMING values (the rules are listed in docs/framing.md).
 * Every failure is a {@link FramingError} whose `field` is the path of the offending field, e.g.
 * `items[0].framingRange.range.minFrameSize`, with the value and what is allowed.
 * @module
 */

const UINT32_MAX = 0xffffffff;
const UINT32 = 'an integer from 0 to 4294967295 (a ULONG)';
const CANONICAL_GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The option and requirement bits `KSALLOCATOR_FRAMING.OptionsFlags` may carry (the two share one ULONG). */
export const FRAMING_OPTIONS_FLAGS_MASK = (OptionFlags.valid | REQUIREMENT_FLAGS_MASK) >>> 0;

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** True when `value` is an integer 0..2^32−1: the range of a ULONG field. */
export function isUint32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
}

function uint32(owner: Record<string, unknown>, key: string, path: string): void {
  const value = owner[key];
  if (!isUint32(value)) throw new FramingError(path + key, value, UINT32);
}

function object(owner: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const value = owner[key];
  if (!isObject(value) || Array.isArray(value)) throw new FramingError(path + key, value, 'an object');
  return value;
}

function guid(owner: Record<string, unknown>, key: string, path: string): void {
  const value = owner[key];
  if (typeof value !== 'string' || !CANONICAL_GUID_RE.test(value)) {
    throw new FramingError(
      path + key,
      value,
      'a GUID in lowercase registry form without braces, e.g. "4a6d5fc4-7895-11d1-b069-00a0c9062802"',
    );
  }
}

function rangeShape(owner: Record<string, unknown>, key: string, path: string): void {
  const range = object(owner, key, path);
  const p = `${path}${key}.`;
  uint32(range, 'minFrameSize', p);
  uint32(range, 'maxFrameSize', p);
  uint32(range, 'stepping', p);
}

function itemShape(item: Record<string, unknown>, path: string): void {
  guid(item, 'memoryType', path);
  guid(item, 'busType', path);
  uint32(item, 'memoryFlags', path);
  uint32(item, 'busFlags', path);
  uint32(item, 'flags', path);
  uint32(item, 'frames', path);
  uint32(item, 'fileAlignment', path);
  uint32(item, 'memoryTypeWeight', path);
  rangeShape(item, 'physicalRange', path);
  const weighted = object(item, 'framingRange', path);
  const wp = `${path}framingRange.`;
  rangeShape(weighted, 'range', wp);
  uint32(weighted, 'inPlaceWeight', wp);
  uint32(weighted, 'notInPlaceWeight', wp);
}

/**
 * @internal The structural checks only: every object present, every numeric field a ULONG, GUIDs in canonical form,
 * 1..{@link MAX_FRAMING_ITEMS} items. The codec runs this even with `{ validate: false }` (a value must fit its wire
 * form).
 */
export function _checkFramingExShape(x: unknown): asserts x is AllocatorFramingEx {
  if (!isObject(x) || Array.isArray(x)) throw new FramingError('framingEx', x, 'a KSALLOCATOR_FRAMING_EX object');
  uint32(x, 'pinFlags', '');
  const c = object(x, 'outputCompression', '');
  uint32(c, 'ratioNumerator', 'outputCompression.');
  uint32(c, 'ratioDenominator', 'outputCompression.');
  uint32(c, 'ratioConstantMargin', 'outputCompression.');
  uint32(x, 'pinWeight', '');
  const items = x.items;
  if (!Array.isArray(items)) throw new FramingError('items', items, 'an array of framing items');
  if (items.length < 1 || items.length > MAX_FRAMING_ITEMS) {
    throw new FramingError('items', items.length, `between 1 and ${MAX_FRAMING_ITEMS} framing items (CountItems)`);
  }
  for (let i = 0; i < items.length; i++) {
    const item: unknown = items[i];
    if (!isObject(item) || Array.isArray(item)) throw new FramingError(`items[${i}]`, item, 'a framing item object');
    itemShape(item, `items[${i}].`);
  }
}

function checkRange(range: FramingRange, path: string): void {
  const { minFrameSize: min, maxFrameSize: max, stepping } = range;
  if (min > max) throw new FramingError(`${path}.minFrameSize`, min, `at most maxFrameSize (${max})`);
  if (stepping > 1 && stepping > max - min) {
    throw new FramingError(
      `${path}.stepping`,
      stepping,
      `0 or 1 (any size), or at most maxFrameSize − minFrameSize (${max - min})`,
    );
  }
}

function checkAlignment(mask: number, field: string): void {
  if (!isAlignmentMask(mask) || mask > MAX_FILE_ALIGNMENT) {
    throw new FramingError(
      field,
      mask,
      `an alignment mask 2^k − 1 from 0 to ${MAX_FILE_ALIGNMENT} (${hex(MAX_FILE_ALIGNMENT)}, PAGE_SIZE − 1)`,
    );
  }
}

function checkItem(item: FramingItem, path: string): void {
  const unknownMemory = (item.memoryFlags & ~REQUIREMENT_FLAGS_MASK) >>> 0;
  if (unknownMemory !== 0) {
    throw new FramingError(
      `${path}.memoryFlags`,
      item.memoryFlags,
      `only KSALLOCATOR_REQUIREMENTF_* bits (mask ${hex(REQUIREMENT_FLAGS_MASK)}); unknown bits ${hex(unknownMemory)}`,
    );
  }
  const unknownFlags = (item.flags & ~FRAMING_ITEM_FLAGS_MASK) >>> 0;
  if (unknownFlags !== 0) {
    throw new FramingError(
      `${path}.flags`,
      item.flags,
      `only KSALLOCATOR_REQUIREMENTF_* and KSALLOCATOR_FLAG_* bits (mask ${hex(FRAMING_ITEM_FLAGS_MASK)}); unknown bits ${hex(unknownFlags)}`,
    );
  }
  checkAlignment(item.fileAlignment, `${path}.fileAlignment`);
  checkRange(item.physicalRange, `${path}.physicalRange`);
  checkRange(item.framingRange.range, `${path}.framingRange.range`);
  if (intersectRanges(item.framingRange.range, item.physicalRange) === null) {
    const p = item.physicalRange;
    throw new FramingError(
      `${path}.framingRange.range`,
      item.framingRange.range,
      `an optimal range with at least one size inside physicalRange {${p.minFrameSize}, ${p.maxFrameSize}, ${p.stepping}}`,
    );
  }
}

/**
 * Checks a KSALLOCATOR_FRAMING_EX and returns it unchanged.
 *
 * Rules (each documented in docs/framing.md): every numeric field a ULONG; 1..{@link MAX_FRAMING_ITEMS} items;
 * GUIDs in canonical lowercase form; `outputCompression.ratioDenominator` ≠ 0; per item `memoryFlags` only
 * requirement bits, `flags` only bits of {@link FRAMING_ITEM_FLAGS_MASK}, `fileAlignment` a mask 2^k − 1 ≤ PAGE_SIZE − 1,
 * in both ranges `minFrameSize ≤ maxFrameSize` and stepping 0, 1 or ≤ max − min, and the optimal range
 * (`framingRange.range`) sharing at least one size with `physicalRange`.
 *
 * @throws FramingError naming the first offending field, e.g. `items[0].framingRange.range.minFrameSize`
 */
export function validateFramingEx<T extends AllocatorFramingEx>(x: T): T {
  _checkFramingExShape(x);
  if (x.outputCompression.ratioDenominator === 0) {
    throw new FramingError('outputCompression.ratioDenominator', 0, 'a non-zero ULONG (the ratio is num/den)');
  }
  for (let i = 0; i < x.items.length; i++) checkItem(x.items[i]!, `items[${i}]`);
  return x;
}

/**
 * @internal The structural checks of a legacy KSALLOCATOR_FRAMING: an object whose six fields are ULONGs.
 */
export function _checkFramingShape(x: unknown): asserts x is AllocatorFraming {
  if (!isObject(x) || Array.isArray(x)) throw new FramingError('framing', x, 'a KSALLOCATOR_FRAMING object');
  uint32(x, 'optionsFlags', '');
  uint32(x, 'poolType', '');
  uint32(x, 'frames', '');
  uint32(x, 'frameSize', '');
  uint32(x, 'fileAlignment', '');
  uint32(x, 'reserved', '');
}

/**
 * Checks a legacy KSALLOCATOR_FRAMING and returns it unchanged.
 *
 * Rules: every field a ULONG (`poolType` included: POOL_TYPE values are not restricted to {@link PoolType}'s names);
 * `optionsFlags` only OPTIONF_* or REQUIREMENTF_* bits ({@link FRAMING_OPTIONS_FLAGS_MASK}, the field is a union);
 * `fileAlignment` a mask 2^k − 1 ≤ PAGE_SIZE − 1. `frames` and `frameSize` 0 mean "no requirement" and are valid.
 *
 * @throws FramingError naming the offending field
 */
export function validateFraming<T extends AllocatorFraming>(x: T): T {
  _checkFramingShape(x);
  const unknown = (x.optionsFlags & ~FRAMING_OPTIONS_FLAGS_MASK) >>> 0;
  if (unknown !== 0) {
    throw new FramingError(
      'optionsFlags',
      x.optionsFlags,
      `only KSALLOCATOR_OPTIONF_* or KSALLOCATOR_REQUIREMENTF_* bits (mask ${hex(FRAMING_OPTIONS_FLAGS_MASK)}); unknown bits ${hex(unknown)}`,
    );
  }
  checkAlignment(x.fileAlignment, 'fileAlignment');
  return x;
}
