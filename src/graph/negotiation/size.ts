import { compressSize, expandSize, intersectRanges, isNeutralCompression, pickSize } from '../../framing/range-math.js';
import type { Compression, FramingRange } from '../../framing/types.js';
import type { CarriedSize, SizePreference } from './record.js';

/**
 * Frame-size arithmetic of negotiation (docs/negotiation.md §3.2): ranges mapped to allocator-pin units through
 * compression ratios, preferences applied in order, the strategy's pick.
 * @module
 */

/** The don't-care range {0 .. 2^32 − 1}. @internal */
export const FULL_RANGE: Readonly<FramingRange> = Object.freeze({
  minFrameSize: 0,
  maxFrameSize: 0xffffffff,
  stepping: 1,
});

/** Frame sizes are ≥ 1: a 0-byte frame carries nothing (and FrameSize 0 means "no requirement"). @internal */
export const SIZE_FLOOR: Readonly<FramingRange> = Object.freeze({
  minFrameSize: 1,
  maxFrameSize: 0xffffffff,
  stepping: 1,
});

/** True for the don't-care range. @internal */
export const isFull = (r: FramingRange): boolean => r.minFrameSize === 0 && r.maxFrameSize >= 0xffffffff;

/**
 * A range with MaxFrameSize 0 (a zero-filled KS_FRAMING_RANGE) states no requirement: it reads as don't-care.
 * @internal
 */
export function specified(r: FramingRange): FramingRange {
  return r.maxFrameSize === 0 ? FULL_RANGE : r;
}

/**
 * Maps a pin's range (its own units) to allocator-pin units through the cumulative ratio `c`: the sizes S with
 * compressSize(S, c) inside [min, max]. The stepping survives only through a neutral ratio (else it becomes 1 and
 * the pin's stepping is a preference). Null when no size maps inside, or when the ratio is unknown.
 */
export function mapRangeToAllocator(range: FramingRange, c: Compression): FramingRange | null {
  if (isNeutralCompression(c)) return range;
  if (c.ratioNumerator === 0) return null;
  if (range.maxFrameSize < c.ratioConstantMargin) return null;
  const lo = range.minFrameSize <= c.ratioConstantMargin ? 0 : expandSize(range.minFrameSize, c, 'up');
  const hi = range.maxFrameSize >= 0xffffffff ? 0xffffffff : expandSize(range.maxFrameSize, c, 'down');
  if (lo > hi) return null;
  return { minFrameSize: lo, maxFrameSize: hi, stepping: 1 };
}

/** The size a pin sees when the allocator's frames are `size` bytes and its cumulative ratio is `c`. @internal */
export function localSize(size: number, c: Compression): number {
  return isNeutralCompression(c) ? size : compressSize(size, c, 'up');
}

/**
 * `intersectRanges` without allocation in the common cases: when one range is unstepped and covers the other, the
 * other is the intersection.
 * @internal
 */
export function narrow(r: FramingRange, p: FramingRange): FramingRange | null {
  if (p.stepping <= 1 && p.minFrameSize <= r.minFrameSize && p.maxFrameSize >= r.maxFrameSize) return r;
  if (r.stepping <= 1 && r.minFrameSize <= p.minFrameSize && r.maxFrameSize >= p.maxFrameSize) return p;
  return intersectRanges(r, p);
}

/** What the size choice starts from. @internal */
export interface SizePlan {
  /** The intersection of the hard ranges, or null when empty. */
  hard: FramingRange | null;
  /** Preferences, in the order they are applied. */
  prefs: SizePreference[];
  /** The size carried in from the feeding pipe, or null. */
  carried: CarriedSize | null;
  /** The strategy's pick. */
  pick: 'minimize' | 'maximize';
}

/** The chosen size, the range it was picked from and the preferences' outcomes. @internal */
export interface SizeChoice {
  range: FramingRange;
  size: number;
  prefs: SizePreference[];
}

/**
 * Applies the preferences in order to `base` (each kept only if some size remains, else recorded `relaxed`) and picks
 * the size: `maximize` falls back to `minimize` when nothing bounded the range above.
 * @internal
 */
export function applyPreferences(base: FramingRange, plan: SizePlan): SizeChoice {
  let range = base;
  // The plan's preferences are `honored` entries; an honored one is kept as it is (shared, not copied), and the
  // plan's array itself is the answer unless some preference had to be relaxed.
  const planned = plan.prefs;
  let prefs = planned;
  for (let k = 0; k < planned.length; k++) {
    const p = planned[k]!;
    const next = narrow(range, p.range);
    if (next) range = next;
    if (next !== null && p.outcome === 'honored') continue;
    if (prefs === planned) prefs = planned.slice();
    prefs[k] = { pin: p.pin, source: p.source, range: p.range, outcome: next ? 'honored' : 'relaxed' };
  }
  let pick = plan.pick;
  if (pick === 'maximize' && range.maxFrameSize >= 0xffffffff) pick = 'minimize';
  return { range, size: pickSize(range, pick), prefs };
}
