import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cloneFraming, cloneFramingEx, freezeFraming, freezeFramingEx } from '../../src/framing/clone.js';
import { FileAlignment, GUID_NULL, MemoryType, PAGE_SIZE, RequirementFlags } from '../../src/framing/constants.js';
import { initializeSimpleFraming, simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFramingEx } from '../../src/framing/types.js';
import { validateFramingEx } from '../../src/framing/validate.js';
import { validFraming, validFramingEx } from './arbitraries.js';

const AVSHWS_FLAGS = RequirementFlags.systemMemory | RequirementFlags.preferencesOnly; // 0x80000002

// avshws' capture pin: DECLARE_SIMPLE_FRAMING_EX(KERNEL_NONPAGED, 0x80000002, 2, 0, 2·PAGE_SIZE, 2·PAGE_SIZE).
const avshws = () => simpleFraming(MemoryType.kernelNonPaged, AVSHWS_FLAGS, 2, 0, 2 * PAGE_SIZE, 2 * PAGE_SIZE);
// A framing whose arguments are all distinct, so a field taking the wrong argument shows.
const distinct = () => simpleFraming(MemoryType.kernelPaged, 0x8, 7, FileAlignment.quad, 1000, 5000);

describe('simpleFraming (DECLARE_SIMPLE_FRAMING_EX, spec §2.3)', () => {
  it('CountItems is 1 (items.length)', () => {
    assert.equal(avshws().items.length, 1);
  });
  it('PinFlags is 0', () => {
    assert.equal(avshws().pinFlags, 0);
  });
  it('OutputCompression is {1, 1, 0}', () => {
    assert.deepEqual(avshws().outputCompression, { ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 });
  });
  it('PinWeight is 0', () => {
    assert.equal(avshws().pinWeight, 0);
  });
  it('MemoryType is the memoryType argument', () => {
    assert.equal(avshws().items[0]?.memoryType, '4a6d5fc4-7895-11d1-b069-00a0c9062802');
    assert.equal(distinct().items[0]?.memoryType, MemoryType.kernelPaged);
  });
  it('BusType is GUID_NULL', () => {
    assert.equal(avshws().items[0]?.busType, GUID_NULL);
  });
  it('MemoryFlags is 0', () => {
    assert.equal(avshws().items[0]?.memoryFlags, 0);
  });
  it('BusFlags is 0', () => {
    assert.equal(avshws().items[0]?.busFlags, 0);
  });
  it('Flags is the flags argument', () => {
    assert.equal(avshws().items[0]?.flags, 0x80000002);
    assert.equal(distinct().items[0]?.flags, 0x8);
  });
  it('Frames is the frames argument', () => {
    assert.equal(avshws().items[0]?.frames, 2);
    assert.equal(distinct().items[0]?.frames, 7);
  });
  it('FileAlignment is the alignment argument', () => {
    assert.equal(avshws().items[0]?.fileAlignment, 0);
    assert.equal(distinct().items[0]?.fileAlignment, 7);
  });
  it('MemoryTypeWeight is 0', () => {
    assert.equal(avshws().items[0]?.memoryTypeWeight, 0);
  });
  it("PhysicalRange is {0, 0xFFFFFFFF, 1} (don't care)", () => {
    assert.deepEqual(avshws().items[0]?.physicalRange, { minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 });
  });
  it('FramingRange is {{min, max, 1}, 0, 0}: the sizes go to the optimal range', () => {
    assert.deepEqual(avshws().items[0]?.framingRange, {
      range: { minFrameSize: 8192, maxFrameSize: 8192, stepping: 1 },
      inPlaceWeight: 0,
      notInPlaceWeight: 0,
    });
    assert.deepEqual(distinct().items[0]?.framingRange.range, { minFrameSize: 1000, maxFrameSize: 5000, stepping: 1 });
  });
  it('has no other fields', () => {
    const x = distinct();
    assert.deepEqual(Object.keys(x).sort(), ['items', 'outputCompression', 'pinFlags', 'pinWeight']);
    assert.equal(Object.keys(x.items[0]!).length, 10);
  });
  it('is valid, including min == max (stepping 1 with max − min 0) and min == max == 0', () => {
    validateFramingEx(avshws());
    validateFramingEx(simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 8, 3, 0, 0));
  });
  it('returns a fresh, mutable object each call', () => {
    const a = avshws();
    const b = avshws();
    assert.notEqual(a, b);
    assert.notEqual(a.items[0], b.items[0]);
    assert.equal(Object.isFrozen(a), false);
    a.items[0]!.frames = 9;
    assert.equal(b.items[0]?.frames, 2);
  });
  it('stores flags combined with | (a negative int32 in JS) as the ULONG', () => {
    assert.equal(AVSHWS_FLAGS < 0, true);
    assert.equal(avshws().items[0]?.flags, 0x80000002);
  });
  it('normalises the memory type GUID (braces, upper case)', () => {
    const x = simpleFraming('{4A6D5FC4-7895-11D1-B069-00A0C9062802}', 0, 1, 0, 1, 1);
    assert.equal(x.items[0]?.memoryType, MemoryType.kernelNonPaged);
  });
  it('rejects bad arguments with a TypeError or RangeError naming the argument', () => {
    const k = MemoryType.kernelNonPaged;
    assert.throws(() => simpleFraming('nope', 0, 1, 0, 1, 1), { name: 'TypeError', message: /^memoryType: "nope"/ });
    assert.throws(() => simpleFraming(k, 0x10000000, 1, 0, 1, 1), { name: 'RangeError', message: /^flags: / });
    assert.throws(() => simpleFraming(k, 0, -1, 0, 1, 1), { name: 'RangeError', message: /^frames: -1/ });
    assert.throws(() => simpleFraming(k, 0, 1, 6, 1, 1), { name: 'RangeError', message: /^alignment: 6/ });
    assert.throws(() => simpleFraming(k, 0, 1, 0x1fff, 1, 1), { name: 'RangeError', message: /^alignment: / });
    assert.throws(() => simpleFraming(k, 0, 1, 0, 10, 9), { name: 'RangeError', message: /^minFrameSize: 10/ });
    assert.throws(() => simpleFraming(k, 0, 1, 0, 1, 2 ** 32), { name: 'RangeError', message: /^maxFrameSize: / });
    assert.throws(() => simpleFraming(k, 0, 1, 0, '1' as unknown as number, 2), {
      name: 'TypeError',
      message: /^minFrameSize: "1"/,
    });
  });
});

describe('initializeSimpleFraming (INITIALIZE_SIMPLE_FRAMING_EX)', () => {
  const twoItems = (): AllocatorFramingEx => {
    const x = simpleFraming(MemoryType.system, 0x1, 5, 0xf, 1, 100);
    x.pinFlags = 3;
    x.outputCompression.ratioNumerator = 2;
    x.items.push(structuredClone(x.items[0]!));
    x.items[0]!.busType = '9d7debbc-c85d-11d1-9eb4-006008c3a19a';
    x.items[0]!.physicalRange.stepping = 0;
    return x;
  };

  it('writes exactly the DECLARE_SIMPLE_FRAMING_EX values into an existing object', () => {
    const target = twoItems();
    const result = initializeSimpleFraming(target, MemoryType.kernelNonPaged, AVSHWS_FLAGS, 2, 0, 8192, 8192);
    assert.equal(result, target);
    assert.deepEqual(target, avshws());
  });
  it('keeps nested objects in place (references stay live) and sets CountItems to 1', () => {
    const target = twoItems();
    const { items, outputCompression } = target;
    const item = items[0]!;
    const range = item.framingRange.range;
    initializeSimpleFraming(target, MemoryType.kernelNonPaged, 0, 4, 3, 64, 128);
    assert.equal(target.items, items);
    assert.equal(target.items.length, 1);
    assert.equal(target.items[0], item);
    assert.equal(target.outputCompression, outputCompression);
    assert.equal(target.items[0]?.framingRange.range, range);
    assert.deepEqual(range, { minFrameSize: 64, maxFrameSize: 128, stepping: 1 });
  });
  it('leaves the target unchanged when an argument is bad', () => {
    const target = twoItems();
    const before = structuredClone(target);
    assert.throws(() => initializeSimpleFraming(target, MemoryType.kernelNonPaged, 0, 1, 0, 9, 8), RangeError);
    assert.deepEqual(target, before);
  });
  it('rejects a frozen target with a TypeError', () => {
    assert.throws(() => initializeSimpleFraming(freezeFramingEx(avshws()), MemoryType.user, 0, 1, 0, 1, 1), {
      name: 'TypeError',
      message: /^target: /,
    });
  });
  it('fills an empty object', () => {
    const target = {} as AllocatorFramingEx;
    initializeSimpleFraming(target, MemoryType.kernelNonPaged, AVSHWS_FLAGS, 2, 0, 8192, 8192);
    assert.deepEqual(target, avshws());
  });
});

describe('cloneFramingEx / freezeFramingEx (ownership policy)', () => {
  it('clones deeply: equal, sharing no object', () => {
    fc.assert(
      fc.property(validFramingEx(3), (x) => {
        const c = cloneFramingEx(x);
        assert.deepEqual(c, x);
        assert.notEqual(c, x);
        assert.notEqual(c.items, x.items);
        assert.notEqual(c.outputCompression, x.outputCompression);
        for (let i = 0; i < x.items.length; i++) {
          assert.notEqual(c.items[i], x.items[i]);
          assert.notEqual(c.items[i]?.physicalRange, x.items[i]?.physicalRange);
          assert.notEqual(c.items[i]?.framingRange, x.items[i]?.framingRange);
          assert.notEqual(c.items[i]?.framingRange.range, x.items[i]?.framingRange.range);
        }
      }),
      { numRuns: 50 },
    );
  });
  it('a clone of a frozen framing is mutable, and editing it leaves the original alone (KsEdit)', () => {
    const shared = freezeFramingEx(avshws());
    const instance = cloneFramingEx(shared);
    instance.items[0]!.frames = 4;
    instance.items[0]!.framingRange.range.stepping = 0;
    assert.equal(shared.items[0]?.frames, 2);
    assert.equal(shared.items[0]?.framingRange.range.stepping, 1);
  });
  it('copies only the modelled fields', () => {
    const x = avshws() as AllocatorFramingEx & { extra?: number };
    x.extra = 1;
    assert.equal('extra' in cloneFramingEx(x), false);
  });
  it('freezes deeply: every write throws', () => {
    const x = freezeFramingEx(avshws());
    assert.throws(() => {
      x.pinFlags = 1;
    }, TypeError);
    assert.throws(() => {
      x.items[0]!.framingRange.range.minFrameSize = 1;
    }, TypeError);
    assert.throws(() => {
      x.items[0]!.physicalRange.stepping = 0;
    }, TypeError);
    assert.throws(() => {
      x.outputCompression.ratioNumerator = 2;
    }, TypeError);
    assert.throws(() => x.items.push(x.items[0]!), TypeError);
  });
  it('legacy framings clone and freeze too', () => {
    fc.assert(
      fc.property(validFraming, (x) => {
        const c = cloneFraming(freezeFraming(x));
        assert.deepEqual(c, x);
        assert.equal(Object.isFrozen(c), false);
        assert.equal(Object.isFrozen(x), true);
      }),
      { numRuns: 30 },
    );
  });
});
