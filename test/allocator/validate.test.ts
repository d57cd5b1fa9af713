import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AllocatorError,
  type AllocatorFraming,
  createDefaultAllocator,
  FramingError,
  MAX_ALLOCATOR_FRAMES,
  Status,
  validateAllocatorFraming,
} from '../../src/index.js';
import { framing } from './helpers.js';

function rejects(overrides: Partial<AllocatorFraming>, field: string, status: number = Status.invalidParameter) {
  assert.throws(
    () => validateAllocatorFraming(framing(overrides)),
    (error: unknown) => {
      assert.ok(error instanceof FramingError, String(error));
      assert.equal(error.field, field);
      assert.equal(error.status, status);
      assert.match(error.message, new RegExp(`^${field}: .* is not allowed; expected `));
      return true;
    },
  );
}

describe('validateAllocatorFraming (KsValidateAllocatorCreateRequest)', () => {
  it('accepts a valid create request and returns a frozen copy', () => {
    const f = framing();
    const copy = validateAllocatorFraming(f);
    assert.deepEqual(copy, f);
    assert.notEqual(copy, f);
    assert.equal(Object.isFrozen(copy), true);
  });

  it('FrameSize 0 is STATUS_INVALID_PARAMETER naming frameSize', () => rejects({ frameSize: 0 }, 'frameSize'));

  it('unknown option bits are STATUS_INVALID_PARAMETER naming optionsFlags', () => {
    rejects({ optionsFlags: 0x4 }, 'optionsFlags');
    rejects({ optionsFlags: 0x80000002 }, 'optionsFlags');
    assert.doesNotThrow(() => validateAllocatorFraming(framing({ optionsFlags: 0x3 })));
  });

  it('a FileAlignment that is not a mask 2^k − 1 is STATUS_INVALID_PARAMETER', () => {
    rejects({ fileAlignment: 5 }, 'fileAlignment');
    rejects({ fileAlignment: 64 }, 'fileAlignment');
  });

  it('a FileAlignment above PAGE_SIZE − 1 is STATUS_INVALID_PARAMETER', () => {
    rejects({ fileAlignment: 0x1fff }, 'fileAlignment');
    assert.doesNotThrow(() => validateAllocatorFraming(framing({ fileAlignment: 0xfff })));
  });

  it('Frames 0 is rejected (a pool needs a frame budget) and so is a count above MAX_ALLOCATOR_FRAMES', () => {
    rejects({ frames: 0 }, 'frames');
    rejects({ frames: MAX_ALLOCATOR_FRAMES + 1 }, 'frames', Status.insufficientResources);
  });

  it('only the POOL_TYPE values 0, 1, 4, 5 and 512 are accepted', () => {
    for (const poolType of [0, 1, 4, 5, 512])
      assert.doesNotThrow(() => validateAllocatorFraming(framing({ poolType })));
    for (const poolType of [2, 3, 6, 32, 513]) rejects({ poolType }, 'poolType');
  });

  it('a non-zero Reserved field is rejected', () => rejects({ reserved: 1 }, 'reserved'));

  it('non-uint32 values are FramingErrors; non-numbers and non-objects are TypeErrors naming the field', () => {
    rejects({ frames: -1 }, 'frames');
    rejects({ frameSize: 1.5 }, 'frameSize');
    rejects({ frameSize: 2 ** 32 }, 'frameSize');
    assert.throws(() => validateAllocatorFraming(framing({ frameSize: '4096' as unknown as number })), {
      name: 'TypeError',
      message: /^framing\.frameSize: "4096" is not allowed/,
    });
    assert.throws(() => validateAllocatorFraming(null as unknown as AllocatorFraming), TypeError);
  });

  it('property: every accepted framing has frames ≥ 1, frameSize ≥ 1 and a mask alignment ≤ 4095', () => {
    fc.assert(
      fc.property(
        fc.record({
          optionsFlags: fc.integer({ min: 0, max: 7 }),
          poolType: fc.constantFrom(0, 1, 2, 4, 5, 512),
          frames: fc.integer({ min: 0, max: 64 }),
          frameSize: fc.integer({ min: 0, max: 1 << 20 }),
          fileAlignment: fc.integer({ min: 0, max: 8192 }),
          reserved: fc.constantFrom(0, 0, 1),
        }),
        (f) => {
          let ok = true;
          try {
            validateAllocatorFraming(f);
          } catch (error) {
            assert.ok(error instanceof FramingError);
            ok = false;
          }
          const expected =
            f.optionsFlags <= 3 &&
            f.poolType !== 2 &&
            f.frames >= 1 &&
            f.frameSize >= 1 &&
            (f.fileAlignment & (f.fileAlignment + 1)) === 0 &&
            f.fileAlignment <= 4095 &&
            f.reserved === 0;
          assert.equal(ok, expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('validateAllocatorFraming: hostile framings (review)', () => {
  it('reads every field once: a getter cannot pass the checks with one value and hand the allocator another', () => {
    const reads: Record<string, number> = {};
    const hostile = {} as AllocatorFraming;
    const values: Record<string, [number, number]> = {
      optionsFlags: [0, 0x80],
      poolType: [0, 7],
      frames: [2, 2 ** 31],
      frameSize: [64, 0],
      fileAlignment: [3, 6],
      reserved: [0, 9],
    };
    for (const [key, [first, later]] of Object.entries(values)) {
      Object.defineProperty(hostile, key, {
        enumerable: true,
        get() {
          reads[key] = (reads[key] ?? 0) + 1;
          return reads[key] === 1 ? first : later;
        },
      });
    }
    const copy = validateAllocatorFraming(hostile);
    assert.deepEqual(copy, { optionsFlags: 0, poolType: 0, frames: 2, frameSize: 64, fileAlignment: 3, reserved: 0 });
    for (const key of Object.keys(values)) assert.equal(reads[key], 1, key);
  });

  it('an allocator initialized from such a getter gets the checked values', () => {
    let frameReads = 0;
    const hostile = { ...framing({ frames: 2 }) };
    Object.defineProperty(hostile, 'frames', {
      get: () => (++frameReads === 1 ? 2 : 2 ** 31),
    });
    const a = createDefaultAllocator();
    a.initialize(null, hostile);
    assert.equal(a.framing?.frames, 2);
    assert.equal(a.committedBytes, 2 * 256);
    a.delete();
  });
});

describe('validateAllocatorFraming: unreadable framings (review)', () => {
  it('a getter or proxy trap that throws is a FramingError naming the field; initialize wraps it as initializeFailed', () => {
    const throwing = Object.defineProperty({ ...framing() }, 'frameSize', {
      get() {
        throw new Error('trap');
      },
    });
    assert.throws(
      () => validateAllocatorFraming(throwing),
      (e: unknown) => e instanceof FramingError && e.field === 'frameSize' && (e.cause as Error).message === 'trap',
    );
    const proxy = new Proxy(framing(), {
      get() {
        throw new Error('trap');
      },
    });
    assert.throws(
      () => validateAllocatorFraming(proxy),
      (e: unknown) => e instanceof FramingError && e.field === 'optionsFlags',
    );
    const a = createDefaultAllocator();
    assert.throws(
      () => a.initialize(null, proxy),
      (e: unknown) => e instanceof AllocatorError && e.reason === 'initializeFailed' && e.cause instanceof FramingError,
    );
    assert.equal(a.state, 'created');
  });
});
