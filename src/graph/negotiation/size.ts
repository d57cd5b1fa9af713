import { compressSize, expandSize, intersectRanges, isNeutralCompression, pickSize } from '../../framing/range-math.js';
import type { Compression, FramingRange } from '../../framing/types.js';
import type { SizePreference } from './record.js';

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

/** The chosen size, the range it was picked from and the preferences' outcomes. @internal */
export interface SizeChoice {
  range: FramingRange;
  size: number;
  prefs: SizePreference[];
}

const NO_PREFS = Object.freeze([]) as unknown as SizePreference[];

/** applyPreferences' answer (module scratch: negotiation is synchronous; read it before the next call). */
const choice: SizeChoice = { range: FULL_RANGE, size: 0, prefs: NO_PREFS };

/**
 * Applies the preferences `planned` (in order) to `base` (each kept only if some size remains, else recorded
 * `relaxed`) and picks the size: `maximize` falls back to `minimize` when nothing bounded the range above. The answer
 * is a scratch object, valid until the next call.
 * @internal
 */
export function applyPreferences(
  base: FramingRange,
  planned: SizePreference[],
  pickWanted: 'minimize' | 'maximize',
): Readonly<SizeChoice> {
  let range = base;
  // The planned preferences are `honored` entries; an honored one is kept as it is (shared, not copied), and the
  // planned array itself is the answer unless some preference had to be relaxed.
  let prefs = planned;
  for (let k = 0; k < planned.length; k++) {
    const p = planned[k]!;
    const next = narrow(range, p.range);
    if (next) range = next;
    if (next !== null && p.outcome === 'honored') continue;
    if (prefs === planned) prefs = planned.slice();
    prefs[k] = { pin: p.pin, source: p.source, range: p.range, outcome: next ? 'honored' : 'relaxed' };
  }
  let pick = pickWanted;
  if (pick === 'maximize' && range.maxFrameSize >= 0xffffffff) pick = 'minimize';
  choice.range = range;
  choice.size = pickSize(range, pick);
  choice.prefs = prefs;
  return choice;
}

/** Drops the scratch answer's references (so that it keeps no record alive between negotiations). @internal */
export function clearSizeChoice(): void {
  choice.range = FULL_RANGE;
  choice.prefs = NO_PREFS;
}

/** The last carried-size range handed out (frozen). */
let lastCarried: Readonly<FramingRange> = SIZE_FLOOR;

/**
 * The range of a carried-size preference, `{ max(1, size) .. 2^32 − 1 }`: frozen and shared (most pipes of a graph
 * carry the same size, so the last one is kept).
 * @internal
 */
export function carriedRange(size: number): FramingRange {
  const min = Math.max(1, size);
  if (lastCarried.minFrameSize !== min)
    lastCarried = Object.freeze({ minFrameSize: min, maxFrameSize: 0xffffffff, stepping: 1 });
  return lastCarried;
}
