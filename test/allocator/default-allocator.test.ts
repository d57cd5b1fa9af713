import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AllocatorError,
  CANARY_BYTE,
  CanaryOverwrittenError,
  createDefaultAllocator,
  DEBUG_GUARD_BYTES,
  type FrameBuffer,
  POISON_BYTE,
  PoolType,
  Status,
} from '../../src/index.js';
import { allocateN, framing } from './helpers.js';

describe('default allocator: layout', () => {
  it('each frame has exactly frameSize bytes, data aligned per fileAlignment, stride a multiple of the alignment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 1, 4, 5, 512),
        (frameSize, k, prefix, padding, frames, poolType) => {
          const mask = 2 ** k - 1;
          const a = createDefaultAllocator({ prefix, padding });
          a.initialize(null, framing({ frameSize, fileAlignment: mask, frames, poolType }));
          const layout = a.layout!;
          const align = poolType === 4 || poolType === 5 ? Math.max(mask + 1, 64) : mask + 1;
          assert.equal(layout.alignment, align);
          assert.equal(layout.stride % align, 0);
          assert.ok(layout.dataOffset >= prefix);
          assert.ok(layout.stride - layout.dataOffset - frameSize >= padding);
          const all = allocateN(a, frames);
          for (const f of all) {
            assert.equal(f.data.byteLength, frameSize);
            assert.equal(f.data.byteOffset % align, 0);
            assert.equal(f.data.byteOffset, f.index * layout.stride + layout.dataOffset);
          }
          for (const f of all) a.free(f);
          assert.equal(a.outstanding, 0);
          a.delete();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the *CacheAligned pool types align frames to a 64-byte cache line', () => {
    for (const poolType of [PoolType.nonPagedPoolCacheAligned, PoolType.pagedPoolCacheAligned]) {
      const a = createDefaultAllocator();
      a.initialize(null, framing({ poolType, fileAlignment: 3, frameSize: 10 }));
      assert.equal(a.layout!.alignment, 64);
      assert.equal(a.layout!.stride, 64);
      a.delete();
    }
  });

  it('one slab per allocator: every frame is a view on the same buffer', () => {
    const a = createDefaultAllocator();
    a.initialize(null, framing());
    const all = allocateN(a, 4);
    for (const f of all) assert.equal(f.data.buffer, a.buffer);
    for (const f of all) a.free(f);
    a.delete();
    assert.equal(a.buffer, null);
  });

  it('shared: true backs the slab with a SharedArrayBuffer', () => {
    const a = createDefaultAllocator({ shared: true });
    a.initialize(null, framing({ poolType: PoolType.pagedPool }));
    const f = a.allocate()!;
    assert.ok(f.data.buffer instanceof SharedArrayBuffer);
    a.free(f);
    a.delete();
  });

  it('a slab above maxSlabBytes fails initialize with insufficientResources', () => {
    const a = createDefaultAllocator({ maxSlabBytes: 1000 });
    assert.throws(
      () => a.initialize(null, framing({ frames: 4, frameSize: 256 })),
      (e: unknown) =>
        e instanceof AllocatorError && e.reason === 'initializeFailed' && e.status === Status.insufficientResources,
    );
    assert.equal(a.state, 'created');
  });

  it('bad options are TypeError/RangeError naming the option', () => {
    assert.throws(() => createDefaultAllocator({ prefix: -1 }), {
      name: 'RangeError',
      message: /^options\.prefix: -1/,
    });
    assert.throws(() => createDefaultAllocator({ padding: 1.5 }), RangeError);
    assert.throws(() => createDefaultAllocator({ debug: 'yes' as unknown as boolean }), TypeError);
    assert.throws(() => createDefaultAllocator(null as unknown as undefined), TypeError);
  });
});

describe('default allocator: pool types', () => {
  it('NonPagedPool commits the whole slab at initialize', () => {
    for (const poolType of [PoolType.nonPagedPool, PoolType.nonPagedPoolCacheAligned, PoolType.nonPagedPoolNx]) {
      const a = createDefaultAllocator();
      a.initialize(null, framing({ poolType, frames: 8 }));
      assert.equal(a.poolKind, 'nonPaged');
      assert.equal(a.committedBytes, a.layout!.stride * 8);
      a.delete();
    }
  });

  it('PagedPool grows the slab lazily (by doubling) up to frames and no further', () => {
    const a = createDefaultAllocator();
    a.initialize(null, framing({ poolType: PoolType.pagedPool, frames: 5, frameSize: 1024, fileAlignment: 0 }));
    assert.equal(a.poolKind, 'paged');
    assert.equal(a.committedBytes, 0);
    const committed: number[] = [];
    const frames: FrameBuffer[] = [];
    for (let i = 0; i < 5; i++) {
      frames.push(a.allocate()!);
      committed.push(a.committedBytes);
    }
    assert.deepEqual(committed, [1024, 2048, 4096, 4096, 5120]);
    assert.equal(a.allocate(), null);
    assert.equal(a.committedBytes, 5120);
    frames[0]!.data.fill(7);
    assert.equal(frames[0]!.data[1023], 7); // views made before a growth stay valid
    for (const f of frames) a.free(f);
    assert.equal(a.committedBytes, 5120);
    a.delete();
  });

  it('a paged pool reuses freed slots before growing', () => {
    const a = createDefaultAllocator();
    a.initialize(null, framing({ poolType: PoolType.pagedPool, frames: 4, frameSize: 512, fileAlignment: 0 }));
    for (let i = 0; i < 10; i++) a.free(a.allocate()!);
    assert.equal(a.committedBytes, 512);
    a.delete();
  });
});

describe('default allocator: pooled handles', () => {
  it('non-debug handles are pooled: the same object per slot, no allocation per frame', () => {
    const a = createDefaultAllocator();
    a.initialize(null, framing({ frames: 2 }));
    const first = a.allocate()!;
    a.free(first);
    const again = a.allocate()!;
    assert.equal(again, first);
    assert.equal(again.data, first.data);
    a.free(again);
    a.delete();
  });
});

describe('default allocator: debug mode', () => {
  function debugAllocator(prefix?: number, padding?: number) {
    const a = createDefaultAllocator({ debug: true, ...(prefix === undefined ? {} : { prefix, padding }) });
    a.initialize(null, framing({ frames: 2, frameSize: 64, fileAlignment: 15 }));
    return a;
  }

  it('debug mode adds DEBUG_GUARD_BYTES of canary before and after each frame by default', () => {
    const a = debugAllocator();
    const layout = a.layout!;
    assert.ok(layout.dataOffset >= DEBUG_GUARD_BYTES);
    assert.ok(layout.stride - layout.dataOffset - layout.frameSize >= DEBUG_GUARD_BYTES);
    const slab = new Uint8Array(a.buffer!);
    assert.equal(slab[layout.dataOffset - 1], CANARY_BYTE);
    assert.equal(slab[layout.dataOffset + layout.frameSize], CANARY_BYTE);
    a.delete();
  });

  it('a padding canary overwritten is a canaryOverwritten error naming the frame and the offset', () => {
    const a = debugAllocator();
    const f = a.allocate()!;
    const g = a.allocate()!;
    const slab = new Uint8Array(a.buffer!);
    const hit = g.data.byteOffset + 64 + 3;
    slab[hit] = 0; // three bytes past the end of frame g
    assert.throws(
      () => a.free(g),
      (e: unknown) => {
        assert.ok(e instanceof CanaryOverwrittenError);
        assert.equal(e.reason, 'canaryOverwritten');
        assert.equal(e.status, Status.unsuccessful);
        assert.equal(e.frameIndex, g.index);
        assert.equal(e.byteOffset, 67);
        assert.match(e.message, new RegExp(`frame ${g.index} has its padding canary overwritten at data offset 67`));
        return true;
      },
    );
    // The free completed (the frame is back, its canaries restored): the allocator stays consistent.
    assert.equal(a.outstanding, 1);
    assert.equal(slab[hit], CANARY_BYTE);
    a.free(f);
    a.delete();
  });

  it('a prefix canary overwritten reports a negative data offset', () => {
    const a = debugAllocator();
    const f = a.allocate()!;
    const slab = new Uint8Array(a.buffer!);
    slab[a.layout!.dataOffset - 2] = 1; // frame 0's prefix, two bytes before its data
    assert.throws(
      () => a.free(f),
      (e: unknown) => e instanceof CanaryOverwrittenError && e.byteOffset === -2 && e.frameIndex === 0,
    );
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('freed frame data is poisoned', () => {
    const a = debugAllocator();
    const f = a.allocate()!;
    f.data.fill(1);
    const bytes = new Uint8Array(a.buffer!, f.data.byteOffset, 64);
    a.free(f);
    assert.ok(bytes.every((b) => b === POISON_BYTE));
    a.delete();
  });

  it('debug handles are fresh per allocation; a stale handle is detected on data access', () => {
    const a = debugAllocator();
    const f = a.allocate()!;
    a.free(f);
    const g = a.allocate()!;
    assert.equal(g.index, f.index); // the same slot …
    assert.notEqual(g, f); // … under a fresh handle
    assert.throws(
      () => f.data,
      (e: unknown) => e instanceof AllocatorError && e.reason === 'staleHandle',
    );
    assert.equal(g.data.byteLength, 64);
    a.free(g);
    a.delete();
  });

  it('freeing a stale handle after its slot was reallocated is staleHandle; a repeat free is doubleFree', () => {
    const a = debugAllocator();
    const f = a.allocate()!;
    a.free(f);
    assert.throws(
      () => a.free(f),
      (e: unknown) => e instanceof AllocatorError && e.reason === 'doubleFree',
    );
    const g = a.allocate()!;
    assert.throws(
      () => a.free(f),
      (e: unknown) => e instanceof AllocatorError && e.reason === 'staleHandle',
    );
    assert.equal(a.outstanding, 1); // g is still outstanding: the stale free changed nothing
    a.free(g);
    a.delete();
  });

  it('debug mode with prefix and padding 0 has no canary zones (alignment slack aside)', () => {
    const a = createDefaultAllocator({ debug: true, prefix: 0, padding: 0 });
    a.initialize(null, framing({ frames: 1, frameSize: 64, fileAlignment: 15 }));
    assert.equal(a.layout!.stride, 64);
    const f = a.allocate()!;
    a.free(f);
    a.delete();
  });
});
