import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  alignUp,
  compressRange,
  compressSize,
  expandSize,
  intersectRanges,
  isAlignmentMask,
  pickSize,
  rangeContains,
  rangeTop,
} from '../../src/framing/range-math.js';
import type { Compression, FramingRange } from '../../src/framing/types.js';
import { validRange } from './arbitraries.js';

const U32 = 0xffffffff;
const uint32 = fc.integer({ min: 0, max: U32 });
const ratio = (ratioNumerator: number, ratioDenominator: number, ratioConstantMargin = 0): Compression => ({
  ratioNumerator,
  ratioDenominator,
  ratioConstantMargin,
});
/** Compressions with full-range ULONG operands (products far beyond 2^53) and small ones. */
const compression = fc.oneof(
  fc.record({
    ratioNumerator: uint32,
    ratioDenominator: fc.integer({ min: 1, max: U32 }),
    ratioConstantMargin: uint32,
  }),
  fc.record({
    ratioNumerator: fc.integer({ min: 0, max: 16 }),
    ratioDenominator: fc.integer({ min: 1, max: 16 }),
    ratioConstantMargin: fc.integer({ min: 0, max: 64 }),
  }),
);
/** The exact ⌈s·n/d⌉ + m (or ⌊⌋), clamped to a ULONG, in BigInt. */
function exactCompress(s: number, c: Compression, up = true): number {
  const p = BigInt(s) * BigInt(c.ratioNumerator);
  const d = BigInt(c.ratioDenominator);
  let q = p / d;
  if (up && q * d !== p) q += 1n;
  q += BigInt(c.ratioConstantMargin);
  return Number(q > BigInt(U32) ? BigInt(U32) : q);
}

const r = (minFrameSize: number, maxFrameSize: number, stepping: number): FramingRange => ({
  minFrameSize,
  maxFrameSize,
  stepping,
});

describe('range math', () => {
  it('intersects stepped ranges onto the common progression', () => {
    assert.deepEqual(intersectRanges(r(0, 100, 4), r(2, 50, 6)), r(8, 44, 12));
    assert.deepEqual(intersectRanges(r(0, 100, 1), r(10, 20, 0)), r(10, 20, 1));
    assert.equal(intersectRanges(r(0, 10, 1), r(11, 20, 1)), null);
    assert.equal(intersectRanges(r(0, 100, 2), r(1, 99, 2)), null);
  });

  it('intersection holds exactly the sizes both ranges allow (property)', () => {
    const range = fc
      .tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 12 }))
      .map(([a, b, s]) => r(Math.min(a, b), Math.max(a, b), s));
    fc.assert(
      fc.property(range, range, (a, b) => {
        const i = intersectRanges(a, b);
        for (let size = 0; size <= 200; size++) {
          const both = rangeContains(a, size) && rangeContains(b, size);
          assert.equal(i !== null && rangeContains(i, size), both, `size ${size}`);
        }
      }),
    );
  });

  it('picks sizes by strategy', () => {
    assert.equal(pickSize(r(100, 200, 16), 'minimize'), 100);
    assert.equal(pickSize(r(100, 200, 16), 'maximize'), 196);
    assert.equal(pickSize(r(100, 200, 16), { near: 130 }), 132);
    assert.equal(pickSize(r(100, 200, 16), { near: 5000 }), 196);
  });

  it('aligns and recognises alignment masks', () => {
    assert.equal(alignUp(1, 0xf), 16);
    assert.equal(alignUp(32, 0x1f), 32);
    assert.equal(isAlignmentMask(0x3f), true);
    assert.equal(isAlignmentMask(0x3e), false);
  });

  it('intersecting down to a single size gives stepping 1 (a valid framing range, stepping ≤ max − min)', () => {
    assert.deepEqual(intersectRanges(r(0, 20, 12), r(0, 20, 8)), r(0, 0, 1));
    assert.deepEqual(intersectRanges(r(10, 30, 10), r(30, 40, 5)), r(30, 30, 1));
    // Huge coprime steppings: the common progression's step exceeds a ULONG, yet one size is shared.
    assert.deepEqual(intersectRanges(r(0, U32, 0xfffffffb), r(0, U32, 0xfffffffa)), r(0, 0, 1));
  });

  it('intersection results are valid framing ranges (property)', () => {
    fc.assert(
      fc.property(validRange, validRange, (a, b) => {
        const i = intersectRanges(a, b);
        if (i === null) return;
        assert.ok(i.minFrameSize <= i.maxFrameSize);
        assert.ok(i.stepping <= 1 || i.stepping <= i.maxFrameSize - i.minFrameSize);
        assert.ok(rangeContains(a, i.minFrameSize) && rangeContains(b, i.minFrameSize));
        assert.ok(rangeContains(a, rangeTop(i)) && rangeContains(b, rangeTop(i)));
      }),
      { numRuns: 300 },
    );
  });

  it('compressSize is in·num/den + margin, rounded up by default, exact beyond 2^53', () => {
    assert.equal(compressSize(100, ratio(1, 2, 10)), 60);
    assert.equal(compressSize(101, ratio(1, 2, 10)), 61);
    assert.equal(compressSize(101, ratio(1, 2, 10), 'down'), 60);
    assert.equal(compressSize(5, ratio(3, 1)), 15);
    assert.equal(compressSize(U32, ratio(2, 1)), U32); // clamped to a ULONG
    assert.equal(compressSize(7, ratio(0, 5, 3)), 3);
    // Regression: the float formula gave 3118045439 here (s·n exceeds 2^53 and rounds up).
    assert.equal(compressSize(3118045438, ratio(3238476748, 3238476748)), 3118045438);
    assert.throws(() => compressSize(1, ratio(1, 0)), RangeError);
  });

  it('compressSize equals the exact BigInt result (property, full ULONG operands)', () => {
    fc.assert(
      fc.property(uint32, compression, (s, c) => {
        assert.equal(compressSize(s, c), exactCompress(s, c, true));
        assert.equal(compressSize(s, c, 'down'), exactCompress(s, c, false));
      }),
      { numRuns: 500 },
    );
  });

  it('expandSize inverts compressSize: compress(expand(out, up)) ≥ out, and expand(out, up) is the least such input (property)', () => {
    fc.assert(
      fc.property(uint32, compression, (out, c) => {
        fc.pre(c.ratioNumerator > 0);
        const input = expandSize(out, c, 'up');
        const reached = compressSize(input, c, 'down');
        if (input < U32) assert.ok(reached >= out || reached === U32, `compress(${input}) = ${reached} < ${out}`);
        if (input > 0) assert.ok(compressSize(input - 1, c, 'down') < out, 'not the least input');
      }),
      { numRuns: 500 },
    );
  });

  it('compress then expand round-trips: expand(compress(s, up), down) ≥ s, = s for exact ratios (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 << 24 }), compression, (s, c) => {
        fc.pre(c.ratioNumerator > 0);
        const out = compressSize(s, c, 'up');
        fc.pre(out < U32); // not clamped
        const back = expandSize(out, c, 'down');
        assert.ok(back >= s, `expand(${out}) = ${back} < ${s}`);
        if ((BigInt(s) * BigInt(c.ratioNumerator)) % BigInt(c.ratioDenominator) === 0n) {
          assert.equal(back, s);
        }
      }),
      { numRuns: 500 },
    );
    assert.equal(expandSize(compressSize(1000, ratio(1, 4, 16)), ratio(1, 4, 16), 'down'), 1000);
    assert.equal(expandSize(5, ratio(1, 1, 10)), 0); // below the margin
    assert.equal(expandSize(5, ratio(0, 1)), 0);
  });

  it('compressRange maps both ends up and keeps whole-byte steppings; never empty (property)', () => {
    assert.deepEqual(compressRange(r(100, 200, 10), ratio(1, 2, 4)), r(54, 104, 5));
    assert.deepEqual(compressRange(r(5, 5, 1), ratio(1, 2)), r(3, 3, 1)); // was {3, 2}: empty
    assert.deepEqual(compressRange(r(8, 11, 0), ratio(3, 3)), r(8, 11, 1)); // neutral: stepping 0 reads as 1
    assert.deepEqual(compressRange(r(100, 205, 10), ratio(3, 4)), r(75, 150, 1)); // 10·3/4 is not whole
    fc.assert(
      fc.property(validRange, compression, (range, c) => {
        fc.pre(c.ratioDenominator > 0);
        const out = compressRange(range, c);
        assert.ok(out.minFrameSize <= out.maxFrameSize);
        assert.ok(out.stepping >= 1 && (out.stepping === 1 || out.stepping <= out.maxFrameSize - out.minFrameSize));
        // The output size of every allowed input (sampled: ends and a middle point) is in the mapped range.
        const step = Math.max(1, range.stepping);
        const k = Math.floor((rangeTop(range) - range.minFrameSize) / step / 2);
        for (const s of [range.minFrameSize, range.minFrameSize + k * step, rangeTop(range)]) {
          const o = compressSize(s, c, 'up');
          if (o < U32) assert.ok(rangeContains(out, o), `${o} (from ${s}) not in ${JSON.stringify(out)}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('alignUp: the least multiple of mask + 1 that is ≥ size (property)', () => {
    fc.assert(
      fc.property(uint32, fc.integer({ min: 0, max: 12 }), (size, k) => {
        const mask = 2 ** k - 1;
        const a = alignUp(size, mask);
        assert.ok(a >= size);
        assert.equal(a % (mask + 1), 0);
        assert.ok(a - size <= mask);
        assert.equal(alignUp(a, mask), a); // idempotent
        assert.equal(alignUp(size, 0), size); // byte alignment is the identity
      }),
      { numRuns: 500 },
    );
  });

  it('isAlignmentMask accepts exactly 2^k − 1 (property)', () => {
    for (let k = 0; k <= 31; k++) assert.equal(isAlignmentMask(2 ** k - 1), true);
    fc.assert(
      fc.property(uint32, (n) => {
        const isMask = Number.isInteger(Math.log2(n + 1)) && n <= 0x7fffffff;
        assert.equal(isAlignmentMask(n), isMask);
      }),
      { numRuns: 500 },
    );
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 32 - 1]) assert.equal(isAlignmentMask(bad), false);
  });
});
