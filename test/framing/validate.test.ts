import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AvStreamError, FramingError } from '../../src/errors.js';
import {
  AllocatorFlags,
  FRAMING_ITEM_FLAGS_MASK,
  MAX_FRAMING_ITEMS,
  MemoryType,
  OptionFlags,
  RequirementFlags,
} from '../../src/framing/constants.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFraming, AllocatorFramingEx } from '../../src/framing/types.js';
import { FRAMING_OPTIONS_FLAGS_MASK, validateFraming, validateFramingEx } from '../../src/framing/validate.js';
import { Status } from '../../src/status.js';
import { validFraming, validFramingEx } from './arbitraries.js';
import { corruption, guidPathsEx, LEGACY_PATHS, notUlong, numericPathsEx, setPath } from './corrupt.js';

const base = (): AllocatorFramingEx => simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 2, 3, 1000, 2000);
const legacy = (): AllocatorFraming => ({
  optionsFlags: OptionFlags.systemMemory,
  poolType: 0,
  frames: 2,
  frameSize: 4096,
  fileAlignment: 3,
  reserved: 0,
});

/** Asserts `fn` throws a FramingError naming `field`. */
function throwsField(fn: () => unknown, field: string, ...value: [unknown?]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof FramingError, `expected a FramingError, got ${String(e)}`);
    assert.equal(e.field, field);
    if (value.length > 0) assert.deepEqual(e.value, value[0]);
    return true;
  });
}

function withField(path: string, value: unknown, x = base()): AllocatorFramingEx {
  setPath(x, path, value);
  return x;
}

describe('validateFramingEx', () => {
  it('accepts and returns a valid framing unchanged', () => {
    const x = base();
    const copy = structuredClone(x);
    assert.equal(validateFramingEx(x), x);
    assert.deepEqual(x, copy);
  });

  it('error: names the field path, the value and what is allowed; status invalidParameter', () => {
    const x = withField('items[0].framingRange.range.minFrameSize', 2001);
    try {
      validateFramingEx(x);
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof FramingError && e instanceof AvStreamError);
      assert.equal(e.field, 'items[0].framingRange.range.minFrameSize');
      assert.equal(e.value, 2001);
      assert.equal(e.allowed, 'at most maxFrameSize (2000)');
      assert.equal(
        e.message,
        'items[0].framingRange.range.minFrameSize: 2001 is not allowed; expected at most maxFrameSize (2000)',
      );
      assert.equal(e.status, Status.invalidParameter);
    }
  });

  it('rule: every numeric field is a ULONG (integer 0..2^32−1)', () => {
    for (const path of numericPathsEx(2)) {
      for (const bad of [-1, 2 ** 32, 0.5, Number.NaN, '1', null, undefined, 1n]) {
        const x = base();
        x.items.push(structuredClone(x.items[0]!));
        throwsField(() => validateFramingEx(withField(path, bad, x)), path, bad);
      }
      const x = base();
      x.items.push(structuredClone(x.items[0]!));
      if (!path.endsWith('Denominator') && !path.endsWith('fileAlignment')) {
        // 0 and 2^32 − 1 are ULONGs; other rules may still object, but never on the ULONG grounds of this field.
        try {
          validateFramingEx(withField(path, 0xffffffff, x));
        } catch (e) {
          assert.ok(e instanceof FramingError);
          assert.doesNotMatch(e.allowed, /ULONG/);
        }
      }
    }
  });

  it('rule: minFrameSize > maxFrameSize is rejected (optimal and physical range)', () => {
    throwsField(
      () => validateFramingEx(withField('items[0].framingRange.range.minFrameSize', 2001)),
      'items[0].framingRange.range.minFrameSize',
      2001,
    );
    const x = withField('items[0].physicalRange', { minFrameSize: 10, maxFrameSize: 9, stepping: 1 });
    throwsField(() => validateFramingEx(x), 'items[0].physicalRange.minFrameSize', 10);
    validateFramingEx(withField('items[0].framingRange.range', { minFrameSize: 7, maxFrameSize: 7, stepping: 1 }));
  });

  it('rule: stepping > 1 and > maxFrameSize − minFrameSize is rejected; 0 and 1 are always fine', () => {
    const r = (stepping: number, min = 1000, max = 2000) =>
      withField('items[0].framingRange.range', { minFrameSize: min, maxFrameSize: max, stepping });
    throwsField(() => validateFramingEx(r(1001)), 'items[0].framingRange.range.stepping', 1001);
    validateFramingEx(r(1000));
    validateFramingEx(r(0));
    validateFramingEx(r(1));
    validateFramingEx(r(1, 5, 5)); // DECLARE_SIMPLE_FRAMING_EX with min == max
    validateFramingEx(r(0, 5, 5)); // avshws' KsEdit: both ranges = biSizeImage, stepping 0
    throwsField(() => validateFramingEx(r(2, 5, 5)), 'items[0].framingRange.range.stepping', 2);
    const p = withField('items[0].physicalRange', { minFrameSize: 0, maxFrameSize: 10, stepping: 11 });
    throwsField(() => validateFramingEx(p), 'items[0].physicalRange.stepping', 11);
  });

  it('rule: fileAlignment must be an alignment mask 2^k − 1', () => {
    for (const bad of [2, 6, 0x10, 0x3e, 0x101]) {
      throwsField(() => validateFramingEx(withField('items[0].fileAlignment', bad)), 'items[0].fileAlignment', bad);
    }
    for (let k = 0; k <= 12; k++) validateFramingEx(withField('items[0].fileAlignment', 2 ** k - 1));
  });

  it('rule: fileAlignment above PAGE_SIZE − 1 (0xfff) is rejected', () => {
    validateFramingEx(withField('items[0].fileAlignment', 0xfff));
    for (const bad of [0x1fff, 0xffff, 0x7fffffff, 0xffffffff]) {
      throwsField(() => validateFramingEx(withField('items[0].fileAlignment', bad)), 'items[0].fileAlignment', bad);
    }
  });

  it('rule: zero items (CountItems 0) is rejected, and more than MAX_FRAMING_ITEMS', () => {
    throwsField(() => validateFramingEx(withField('items', [])), 'items', 0);
    const many = base();
    many.items = Array.from({ length: MAX_FRAMING_ITEMS + 1 }, () => structuredClone(many.items[0]!));
    throwsField(() => validateFramingEx(many), 'items', MAX_FRAMING_ITEMS + 1);
    many.items.length = MAX_FRAMING_ITEMS;
    validateFramingEx(many);
  });

  it('rule: outputCompression.ratioDenominator 0 is rejected', () => {
    throwsField(
      () => validateFramingEx(withField('outputCompression.ratioDenominator', 0)),
      'outputCompression.ratioDenominator',
      0,
    );
    validateFramingEx(
      withField('outputCompression', { ratioNumerator: 0, ratioDenominator: 3, ratioConstantMargin: 9 }),
    );
  });

  it('rule: unknown bits in items[i].flags are rejected (FRAMING_ITEM_FLAGS_MASK)', () => {
    assert.equal(FRAMING_ITEM_FLAGS_MASK, 0x8000ffff); // a ULONG, like every other mask
    for (const bit of [...Object.values(RequirementFlags), ...Object.values(AllocatorFlags)]) {
      validateFramingEx(withField('items[0].flags', bit >>> 0));
    }
    validateFramingEx(withField('items[0].flags', FRAMING_ITEM_FLAGS_MASK >>> 0));
    for (let bit = 0; bit < 32; bit++) {
      const value = 2 ** bit;
      if ((FRAMING_ITEM_FLAGS_MASK & value) !== 0) continue;
      throwsField(() => validateFramingEx(withField('items[0].flags', value)), 'items[0].flags', value);
    }
  });

  it('rule: memoryFlags may carry only requirement bits', () => {
    for (const bit of Object.values(RequirementFlags)) validateFramingEx(withField('items[0].memoryFlags', bit));
    for (const bad of [AllocatorFlags.canAllocate, 0x100, 0x40000000]) {
      throwsField(() => validateFramingEx(withField('items[0].memoryFlags', bad)), 'items[0].memoryFlags', bad);
    }
  });

  it('rule: memoryType and busType must be GUIDs in canonical form (lowercase, no braces)', () => {
    for (const field of ['memoryType', 'busType']) {
      for (const bad of [
        'nope',
        '{4a6d5fc4-7895-11d1-b069-00a0c9062802}',
        '4A6D5FC4-7895-11D1-B069-00A0C9062802',
        '',
        7,
        null,
      ]) {
        throwsField(() => validateFramingEx(withField(`items[0].${field}`, bad)), `items[0].${field}`, bad);
      }
    }
  });

  it('rule: the optimal range must share at least one size with the physical range (intersectRanges)', () => {
    const x = withField('items[0].physicalRange', { minFrameSize: 0, maxFrameSize: 999, stepping: 1 });
    throwsField(() => validateFramingEx(x), 'items[0].framingRange.range');
    // Overlapping intervals whose steppings never meet: {1000..2000 step 2 from 1000} vs {1001..1999 step 2}.
    const y = base();
    y.items[0]!.framingRange.range = { minFrameSize: 1000, maxFrameSize: 2000, stepping: 2 };
    y.items[0]!.physicalRange = { minFrameSize: 1001, maxFrameSize: 1999, stepping: 2 };
    throwsField(() => validateFramingEx(y), 'items[0].framingRange.range');
    y.items[0]!.physicalRange.minFrameSize = 1002;
    validateFramingEx(y);
    // Touching at one size is enough.
    validateFramingEx(withField('items[0].physicalRange', { minFrameSize: 0, maxFrameSize: 1000, stepping: 0 }));
  });

  it('rule: nested objects and the items array must be present', () => {
    throwsField(() => validateFramingEx(null as unknown as AllocatorFramingEx), 'framingEx');
    throwsField(() => validateFramingEx(withField('outputCompression', undefined)), 'outputCompression');
    throwsField(() => validateFramingEx(withField('items', {})), 'items');
    throwsField(() => validateFramingEx(withField('items[0]', null)), 'items[0]');
    throwsField(() => validateFramingEx(withField('items[0].physicalRange', 5)), 'items[0].physicalRange');
    throwsField(() => validateFramingEx(withField('items[0].framingRange.range', [])), 'items[0].framingRange.range');
  });

  it('decision: reserved and unused fields (PinFlags, PinWeight, BusFlags, weights) are ULONGs, not forced to 0', () => {
    const x = base();
    x.pinFlags = 1;
    x.pinWeight = 2;
    x.items[0]!.busFlags = 3;
    x.items[0]!.memoryTypeWeight = 4;
    x.items[0]!.framingRange.inPlaceWeight = 5;
    x.items[0]!.framingRange.notInPlaceWeight = 6;
    validateFramingEx(x);
  });

  it('property: random valid framings validate', () => {
    fc.assert(
      fc.property(validFramingEx(4), (x) => {
        validateFramingEx(x);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a random single-field corruption throws a FramingError naming that field', () => {
    const arb = validFramingEx(3).chain((x) =>
      corruption(x, [...numericPathsEx(x.items.length), ...guidPathsEx(x.items.length)]).map((c) => ({ x, c })),
    );
    fc.assert(
      fc.property(arb, ({ x: generated, c }) => {
        let x = generated;
        x = structuredClone(x);
        setPath(x, c.path, c.value);
        throwsField(() => validateFramingEx(x), c.path);
      }),
      { numRuns: 500 },
    );
  });
});

describe('validateFraming (legacy KSALLOCATOR_FRAMING)', () => {
  it('accepts a valid framing and returns it', () => {
    const x = legacy();
    assert.equal(validateFraming(x), x);
  });

  it('rule: every field is a ULONG (PoolType included, any POOL_TYPE value)', () => {
    for (const path of LEGACY_PATHS) {
      for (const bad of [-1, 2 ** 32, 2.5, '0', null, undefined]) {
        const x = legacy() as unknown as Record<string, unknown>;
        x[path] = bad;
        throwsField(() => validateFraming(x as unknown as AllocatorFraming), path, bad);
      }
    }
    validateFraming({ ...legacy(), poolType: 512 });
    validateFraming({ ...legacy(), poolType: 0x21 }); // PagedPoolSession: not named in PoolType, still a POOL_TYPE
  });

  it('rule: optionsFlags may carry only OPTIONF_* or REQUIREMENTF_* bits', () => {
    assert.equal(FRAMING_OPTIONS_FLAGS_MASK, 0x8000001f);
    validateFraming({ ...legacy(), optionsFlags: 0x8000001f });
    for (const bad of [0x20, 0x100, 0x40000000]) {
      throwsField(() => validateFraming({ ...legacy(), optionsFlags: bad }), 'optionsFlags', bad);
    }
  });

  it('rule: fileAlignment must be a mask 2^k − 1 no larger than PAGE_SIZE − 1', () => {
    validateFraming({ ...legacy(), fileAlignment: 0xfff });
    for (const bad of [2, 0x1fff])
      throwsField(() => validateFraming({ ...legacy(), fileAlignment: bad }), 'fileAlignment', bad);
  });

  it('decision: frames 0 and frameSize 0 ("no requirement") are valid', () => {
    validateFraming({ ...legacy(), frames: 0, frameSize: 0 });
  });

  it('property: random valid legacy framings validate; single-field corruptions name the field', () => {
    fc.assert(
      fc.property(
        validFraming.chain((x) => corruption(x, LEGACY_PATHS).map((c) => ({ x, c }))),
        ({ x: generated, c }) => {
          let x = generated;
          validateFraming(x);
          x = structuredClone(x);
          setPath(x, c.path, c.value);
          throwsField(() => validateFraming(x), c.path);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('non-ULONG values are all rejected (sanity of the corruption generator)', () => {
    fc.assert(
      fc.property(notUlong, (bad) => {
        throwsField(() => validateFraming({ ...legacy(), frames: bad as number }), 'frames');
      }),
      { numRuns: 30 },
    );
  });
});
