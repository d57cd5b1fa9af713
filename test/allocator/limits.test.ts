import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllocatorError,
  createDefaultAllocator,
  createUserMemoryAllocator,
  createVendorAllocator,
  FileAlignment,
  type FrameAllocator,
  MAX_ALLOCATOR_FRAMES,
  PoolType,
  Status,
} from '../../src/index.js';
import { ALLOCATOR_CASES, allocateN, commonBufferVendor, framing, initialized } from './helpers.js';

/** Runs `body` while counting every ArrayBuffer / SharedArrayBuffer construction (any size). */
function countingBuffers<T>(body: () => T): { result?: T; error?: unknown; constructed: number } {
  const g = globalThis as { ArrayBuffer: ArrayBufferConstructor; SharedArrayBuffer: SharedArrayBufferConstructor };
  const original = { ArrayBuffer: g.ArrayBuffer, SharedArrayBuffer: g.SharedArrayBuffer };
  let constructed = 0;
  const counting = <C extends object>(ctor: C): C =>
    new Proxy(ctor, {
      construct(target, args, newTarget) {
        constructed++;
        return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget);
      },
    });
  g.ArrayBuffer = counting(original.ArrayBuffer);
  g.SharedArrayBuffer = counting(original.SharedArrayBuffer);
  try {
    return { result: body(), constructed };
  } catch (error) {
    return { error, constructed };
  } finally {
    g.ArrayBuffer = original.ArrayBuffer;
    g.SharedArrayBuffer = original.SharedArrayBuffer;
  }
}

function isInsufficientResources(error: unknown): boolean {
  return (
    error instanceof AllocatorError &&
    error.reason === 'initializeFailed' &&
    error.status === Status.insufficientResources &&
    /is not allowed; expected at most max/.test(error.message)
  );
}

const ALL_MASKS = Array.from({ length: 13 }, (_, k) => 2 ** k - 1); // 0, 1, 3, … 0xfff

describe('allocator limits (review)', () => {
  it('frameSize 0xFFFFFFFF × 1000 frames fails initialize with insufficientResources before any buffer is built', () => {
    const huge = { frameSize: 0xffffffff, frames: 1000 };
    const kinds: Array<[string, () => FrameAllocator, number]> = [
      ['default nonpaged', () => createDefaultAllocator(), PoolType.nonPagedPool],
      ['default paged', () => createDefaultAllocator(), PoolType.pagedPool],
      ['default shared', () => createDefaultAllocator({ shared: true }), PoolType.nonPagedPool],
      ['default debug', () => createDefaultAllocator({ debug: true }), PoolType.nonPagedPool],
      ['user memory', () => createUserMemoryAllocator(), PoolType.pagedPool],
      ['user memory shared', () => createUserMemoryAllocator({ shared: true }), PoolType.pagedPool],
    ];
    for (const [name, create, poolType] of kinds) {
      const a = create();
      const run = countingBuffers(() => a.initialize(null, framing({ ...huge, poolType })));
      assert.ok(isInsufficientResources(run.error), `${name}: ${String(run.error)}`);
      assert.equal(run.constructed, 0, `${name}: no buffer may be constructed`);
      assert.equal(a.state, 'created', name);
      assert.throws(() => a.allocate(), { reason: 'notInitialized' });
    }
  });

  it('one frame of 0xFFFFFFFF bytes is refused up front too (default cap 1 GiB)', () => {
    for (const create of [() => createDefaultAllocator(), () => createUserMemoryAllocator()]) {
      const a = create();
      const run = countingBuffers(() => a.initialize(null, framing({ frameSize: 0xffffffff, frames: 1 })));
      assert.ok(isInsufficientResources(run.error), String(run.error));
      assert.equal(run.constructed, 0);
    }
  });

  it('the user-memory cap is options.maxBytes; a memory failure of the runtime is insufficientResources', () => {
    const capped = createUserMemoryAllocator({ maxBytes: 1023 });
    assert.throws(() => capped.initialize(null, framing({ frames: 4, frameSize: 256 })), isInsufficientResources);
    const exact = createUserMemoryAllocator({ maxBytes: 1024 });
    exact.initialize(null, framing({ frames: 4, frameSize: 256 }));
    exact.delete();
    assert.throws(() => createUserMemoryAllocator({ maxBytes: -1 }), {
      name: 'RangeError',
      message: /^options\.maxBytes/,
    });
    assert.throws(() => createUserMemoryAllocator({ maxBytes: '1' as never }), { name: 'TypeError' });
    // The runtime refusing memory (simulated: ArrayBuffer throws) is a typed failure, not a raw RangeError.
    const g = globalThis as { ArrayBuffer: ArrayBufferConstructor };
    const original = g.ArrayBuffer;
    g.ArrayBuffer = new Proxy(original, {
      construct() {
        throw new RangeError('Array buffer allocation failed');
      },
    });
    const refused = createUserMemoryAllocator();
    try {
      assert.throws(
        () => refused.initialize(null, framing({ frames: 2 })),
        (e: unknown) =>
          e instanceof AllocatorError &&
          e.reason === 'initializeFailed' &&
          e.status === Status.insufficientResources &&
          e.cause instanceof RangeError,
      );
    } finally {
      g.ArrayBuffer = original;
    }
    assert.equal(refused.state, 'created');
  });

  it('odd frame sizes × every alignment mask 0 … 0xfff × frames = 1: exact size, aligned data, one frame then null', () => {
    for (const c of ALLOCATOR_CASES) {
      for (const frameSize of [1, 3, 4095, 4097]) {
        for (const fileAlignment of ALL_MASKS) {
          const a = initialized(c, { frames: 1, frameSize, fileAlignment });
          const where = `${c.name} frameSize ${frameSize} mask ${fileAlignment}`;
          const f = a.allocate();
          assert.ok(f !== null, where);
          assert.ok(f.data.byteLength >= frameSize, where);
          if (c.name.startsWith('default') || c.name.startsWith('user')) assert.equal(f.data.byteLength, frameSize);
          assert.equal(f.data.byteOffset & fileAlignment, 0, where);
          f.data.fill(0xab);
          assert.equal(a.allocate(), null, where);
          a.free(f);
          assert.equal(a.outstanding, 0, where);
          a.delete();
        }
      }
    }
  });

  it('every alignment mask: frames of an odd size never overlap and every data start is aligned', () => {
    for (const fileAlignment of ALL_MASKS) {
      for (const poolType of [PoolType.nonPagedPool, PoolType.pagedPool, PoolType.pagedPoolCacheAligned]) {
        const a = createDefaultAllocator({ prefix: 5, padding: 3 });
        a.initialize(null, framing({ frames: 5, frameSize: 3, fileAlignment, poolType }));
        const frames = allocateN(a, 5);
        const spans = frames.map((f) => [f.data.byteOffset, f.data.byteOffset + f.data.byteLength] as const);
        spans.sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < spans.length; i++)
          assert.ok(spans[i - 1]![1] <= spans[i]![0], `overlap at mask ${fileAlignment}`);
        for (const f of frames) assert.equal(f.data.byteOffset % a.layout!.alignment, 0);
        assert.ok(a.layout!.alignment >= fileAlignment + 1);
        for (const f of frames) a.free(f);
        assert.equal(a.outstanding, 0);
        a.delete();
      }
    }
  });

  it('a paged pool grows to exactly its limit: stride · frames committed, then null without growing further', () => {
    const frames = 37;
    const a = createDefaultAllocator();
    a.initialize(
      null,
      framing({ poolType: PoolType.pagedPool, frames, frameSize: 4095, fileAlignment: FileAlignment.bytes512 }),
    );
    const limit = a.layout!.stride * frames;
    const got = allocateN(a, frames);
    assert.equal(a.committedBytes, limit);
    assert.equal(a.allocate(), null);
    assert.equal(a.committedBytes, limit);
    assert.equal(a.status().failures, 1);
    for (const f of got) a.free(f);
    for (const f of allocateN(a, frames)) a.free(f);
    assert.equal(a.committedBytes, limit);
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('a vendor allocator with frames = 1 and the largest alignment mask', () => {
    const { dispatch } = commonBufferVendor();
    const a = createVendorAllocator(dispatch);
    a.initialize(null, framing({ frames: 1, frameSize: 3, fileAlignment: 0xfff }));
    const f = a.allocate()!;
    assert.equal(f.data.byteOffset & 0xfff, 0);
    assert.equal(a.allocate(), null);
    a.free(f);
    assert.equal(a.outstanding, 0);
    a.delete();
  });
});

describe('allocator frame-count bound (review)', () => {
  it('MAX_ALLOCATOR_FRAMES frames of one byte build, MAX_ALLOCATOR_FRAMES + 1 is refused before anything is built', () => {
    for (const create of [() => createDefaultAllocator(), () => createUserMemoryAllocator()]) {
      const a = create();
      a.initialize(null, framing({ frames: MAX_ALLOCATOR_FRAMES, frameSize: 1, fileAlignment: 0 }));
      for (const f of allocateN(a, 3)) a.free(f);
      assert.equal(a.outstanding, 0);
      a.delete();
      const b = create();
      const run = countingBuffers(() =>
        b.initialize(null, framing({ frames: MAX_ALLOCATOR_FRAMES + 1, frameSize: 1, fileAlignment: 0 })),
      );
      assert.ok(run.error instanceof AllocatorError && run.error.status === Status.insufficientResources);
      assert.equal(run.constructed, 0);
    }
    assert.ok(MAX_ALLOCATOR_FRAMES <= 1 << 16, 'the bound keeps up-front bookkeeping small');
  });
});
