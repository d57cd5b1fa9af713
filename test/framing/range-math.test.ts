import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { alignUp, intersectRanges, isAlignmentMask, pickSize, rangeContains } from '../../src/framing/range-math.js';
import type { FramingRange } from '../../src/framing/types.js';

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
});
