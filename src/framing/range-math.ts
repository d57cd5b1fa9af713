import { argumentError } from '../errors.js';
import type { Compression, FramingRange } from './types.js';

/**
 * Pure range arithmetic used by framing validation and allocator negotiation.
 *
 * A {@link FramingRange} `{ minFrameSize, maxFrameSize, stepping }` stands for the sizes
 * `minFrameSize + k·stepping ≤ maxFrameSize` (k ≥ 0); stepping 0 or 1 means every size in the interval.
 * @module
 */

/** The effective step of a range: stepping 0 behaves as 1. */
export function effectiveStep(range: FramingRange): number {
  return Math.max(range.stepping, 1);
}

/** True when `size` is one of the sizes the range stands for. */
export function rangeContains(range: FramingRange, size: number): boolean {
  if (size < range.minFrameSize || size > range.maxFrameSize) return false;
  return (size - range.minFrameSize) % effectiveStep(range) === 0;
}

/** The largest size the range really allows (its maximum rounded down onto its stepping). */
export function rangeTop(range: FramingRange): number {
  const step = effectiveStep(range);
  return range.minFrameSize + Math.floor((range.maxFrameSize - range.minFrameSize) / step) * step;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** Modular inverse of a mod m (a and m coprime, m ≥ 1). */
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

/**
 * Intersects two stepped ranges: the sizes both allow. The result's stepping is the least common multiple of the
 * two steps (1 when both are unstepped, and 1 when a single size remains, so the result is always a valid framing range
 * with stepping ≤ max − min); `null` when no size is in both.
 *
 * @example
 * ```ts
 * intersectRanges({ minFrameSize: 0, maxFrameSize: 100, stepping: 4 }, { minFrameSize: 2, maxFrameSize: 50, stepping: 6 });
 * // → { minFrameSize: 8, maxFrameSize: 44, stepping: 12 }
 * ```
 */
export function intersectRanges(a: FramingRange, b: FramingRange): FramingRange | null {
  const lo = Math.max(a.minFrameSize, b.minFrameSize);
  const hi = Math.min(rangeTop(a), rangeTop(b));
  if (lo > hi) return null;
  const sa = effectiveStep(a);
  const sb = effectiveStep(b);
  if (sa === 1 && sb === 1) return { minFrameSize: lo, maxFrameSize: hi, stepping: 1 };
  // Solve x ≡ a.min (mod sa), x ≡ b.min (mod sb) with the Chinese remainder theorem (BigInt: products exceed 2^53).
  const m1 = BigInt(sa);
  const m2 = BigInt(sb);
  const r1 = BigInt(a.minFrameSize) % m1;
  const r2 = BigInt(b.minFrameSize) % m2;
  const g = gcd(m1, m2);
  if ((r2 - r1) % g !== 0n) return null;
  const lcm = (m1 / g) * m2;
  const m2g = m2 / g;
  const k = m2g === 1n ? 0n : ((((r2 - r1) / g) % m2g) * modInverse(m1 / g, m2g)) % m2g;
  let x = (r1 + m1 * ((k + m2g) % m2g)) % lcm; // a solution in [0, lcm)
  const loB = BigInt(lo);
  if (x < loB) x += ((loB - x + lcm - 1n) / lcm) * lcm;
  const first = Number(x);
  if (first > hi) return null;
  if (BigInt(hi - first) < lcm) return { minFrameSize: first, maxFrameSize: first, stepping: 1 }; // one size
  const step = Number(lcm);
  const last = first + Math.floor((hi - first) / step) * step;
  return { minFrameSize: first, maxFrameSize: last, stepping: step };
}

/** How to choose one size from a range. */
export type SizeStrategy = 'minimize' | 'maximize' | { readonly near: number };

/**
 * Picks one size from a stepped range: its smallest (`'minimize'`, AllocatorStrategy_MinimizeFrameSize), its largest
 * (`'maximize'`), or the smallest allowed size ≥ `near` (falling back to the largest when `near` is above the range).
 */
export function pickSize(range: FramingRange, strategy: SizeStrategy): number {
  if (strategy === 'minimize') return range.minFrameSize;
  const top = rangeTop(range);
  if (strategy === 'maximize') return top;
  const near = strategy.near;
  if (near <= range.minFrameSize) return range.minFrameSize;
  if (near >= top) return top;
  const step = effectiveStep(range);
  return range.minFrameSize + Math.ceil((near - range.minFrameSize) / step) * step;
}

/** The neutral compression {1, 1, 0}. */
export const NEUTRAL_COMPRESSION: Readonly<Compression> = Object.freeze({
  ratioNumerator: 1,
  ratioDenominator: 1,
  ratioConstantMargin: 0,
});

/** True for {n, n, 0}: a ratio of exactly 1 with no margin. */
export function isNeutralCompression(c: Compression): boolean {
  return c.ratioNumerator === c.ratioDenominator && c.ratioConstantMargin === 0;
}

/**
 * ⌊a·b/c⌋ or ⌈a·b/c⌉ exactly, for non-negative integers a, b and a positive integer c (ULONG-sized operands: the product
 * may exceed 2^53, where a float division would round).
 */
function mulDiv(a: number, b: number, c: number, rounding: 'up' | 'down'): number {
  const p = a * b;
  if (Number.isSafeInteger(p + c)) {
    let q = Math.floor(p / c);
    let r = p - q * c; // exact: q·c ≤ p + c ≤ 2^53 − 1
    if (r < 0) {
      q -= 1;
      r += c;
    } else if (r >= c) {
      q += 1;
      r -= c;
    }
    return rounding === 'up' && r > 0 ? q + 1 : q;
  }
  const P = BigInt(a) * BigInt(b);
  const C = BigInt(c);
  const q = P / C;
  return Number(rounding === 'up' && q * C !== P ? q + 1n : q);
}

function isNonNegativeSafeInteger(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** `value·num/den` rounded as asked: exact (mulDiv) for non-negative safe integers, a float division otherwise. */
function scale(value: number, num: number, den: number, rounding: 'up' | 'down'): number {
  if (isNonNegativeSafeInteger(value) && isNonNegativeSafeInteger(num) && isNonNegativeSafeInteger(den) && den > 0) {
    return mulDiv(value, num, den, rounding);
  }
  const exact = (value * num) / den;
  return rounding === 'up' ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * Applies a compression ratio to an input size: `in·num/den + margin`, rounded up (`'up'`, the default: never an
 * undersized buffer) or down. Exact for integer operands (no float rounding even when `in·num` exceeds 2^53).
 * Results are clamped to [0, 2^32 − 1].
 * @throws RangeError when `ratioDenominator` is 0
 */
export function compressSize(size: number, c: Compression, rounding: 'up' | 'down' = 'up'): number {
  if (c.ratioDenominator === 0) throw argumentError('range', 'compression.ratioDenominator', 0, 'a non-zero number');
  const scaled = scale(size, c.ratioNumerator, c.ratioDenominator, rounding);
  return Math.min(0xffffffff, Math.max(0, scaled + c.ratioConstantMargin));
}

/**
 * The inverse of {@link compressSize}: the input size whose output is `size`, i.e. `(out − margin)·den/num`,
 * rounded as asked (exact for integer operands). An output below the margin maps to 0; a zero numerator maps every
 * output to input 0. Results are clamped to [0, 2^32 − 1].
 */
export function expandSize(size: number, c: Compression, rounding: 'up' | 'down' = 'up'): number {
  if (c.ratioNumerator === 0) return 0;
  const net = size - c.ratioConstantMargin;
  if (net <= 0) return 0;
  return Math.min(0xffffffff, Math.max(0, scale(net, c.ratioDenominator, c.ratioNumerator, rounding)));
}

/**
 * Maps a range through a compression ratio: the sizes the output buffer needs for the inputs the range allows. Both
 * ends go through {@link compressSize} rounded up (the output of the largest allowed input, {@link rangeTop}, included),
 * so the result is never empty. The stepping survives when it maps onto whole bytes (`stepping·num` divisible by
 * `den`: then every mapped size lies on the new progression); otherwise, or when a single size remains, it becomes 1.
 */
export function compressRange(range: FramingRange, c: Compression): FramingRange {
  if (isNeutralCompression(c)) return { ...range, stepping: effectiveStep(range) };
  const minFrameSize = compressSize(range.minFrameSize, c, 'up');
  const maxFrameSize = compressSize(rangeTop(range), c, 'up');
  const step = effectiveStep(range);
  let stepping = 1;
  if (
    step > 1 &&
    mulDiv(step, c.ratioNumerator, c.ratioDenominator, 'down') ===
      mulDiv(step, c.ratioNumerator, c.ratioDenominator, 'up')
  ) {
    const scaled = mulDiv(step, c.ratioNumerator, c.ratioDenominator, 'down');
    if (scaled >= 1 && scaled <= maxFrameSize - minFrameSize) stepping = scaled;
  }
  return { minFrameSize, maxFrameSize, stepping };
}

/** True when `mask` is an alignment mask 2^k − 1 (0, 1, 3, 7, …). */
export function isAlignmentMask(mask: number): boolean {
  return Number.isInteger(mask) && mask >= 0 && mask <= 0xffffffff && (mask & (mask + 1)) === 0 && mask <= 0x7fffffff;
}

/** Rounds `size` up to a multiple of `mask + 1` (mask = FileAlignment, 2^k − 1). */
export function alignUp(size: number, mask: number): number {
  const a = mask + 1;
  return Math.ceil(size / a) * a;
}
