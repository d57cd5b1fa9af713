import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AllocatorDispatch,
  AllocatorError,
  createVendorAllocator,
  type FrameBuffer,
  Status,
} from '../../src/index.js';
import { allocateN, commonBufferVendor, flush, framing, track } from './helpers.js';

function isReason(reason: string) {
  return (e: unknown): boolean => e instanceof AllocatorError && e.reason === reason;
}

describe('vendor allocator (KSALLOCATOR_DISPATCH)', () => {
  it('§9.1: creating (or deleting a never-initialized) vendor allocator calls none of the vendor callbacks', () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    assert.equal(a.state, 'created');
    a.delete();
    assert.equal(vendor.calls.length, 0);
  });

  it('§9.3: the context from initializeAllocator reaches every allocate, free and deleteAllocator unchanged', () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize('pin', framing());
    const frames = allocateN(a, 4);
    for (const f of frames) a.free(f);
    a.delete();
    const context = vendor.contexts[0];
    assert.ok(context !== undefined);
    const later = vendor.calls.slice(1);
    assert.ok(later.length >= 9);
    for (const call of later) assert.equal(call.context, context, `${call.name} got another context`);
    assert.deepEqual(
      later.map((c) => c.name),
      [...Array(4).fill('allocate'), ...Array(4).fill('free'), 'deleteAllocator'],
    );
  });

  it('§9.4: initializeAllocator gets the pin and the legacy KSALLOCATOR_FRAMING (not _EX)', () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    const pin = { id: 'capture' };
    const f = framing({ frames: 2, frameSize: 8192, fileAlignment: 0x3f });
    a.initialize(pin, f);
    const [call] = vendor.calls;
    assert.equal(call?.name, 'initializeAllocator');
    assert.equal(call.args[0], pin);
    assert.deepEqual(call.args[1], f);
    assert.deepEqual(Object.keys(call.args[1] as object).sort(), [
      'fileAlignment',
      'frameSize',
      'frames',
      'optionsFlags',
      'poolType',
      'reserved',
    ]);
    a.delete();
  });

  it('§9.4: a failure status from initializeAllocator is initializeFailed carrying it; nothing else is called', () => {
    const vendor = commonBufferVendor({ initStatus: Status.insufficientResources });
    const a = createVendorAllocator(vendor.dispatch);
    assert.throws(
      () => a.initialize(null, framing()),
      (e: unknown) =>
        e instanceof AllocatorError && e.reason === 'initializeFailed' && e.status === Status.insufficientResources,
    );
    assert.equal(a.state, 'created');
    assert.throws(() => a.allocate(), isReason('notInitialized'));
    a.delete();
    assert.deepEqual(
      vendor.calls.map((c) => c.name),
      ['initializeAllocator'],
    );
  });

  it('a throwing or malformed initializeAllocator is initializeFailed', () => {
    const base = commonBufferVendor().dispatch;
    const throwing = createVendorAllocator({
      ...base,
      initializeAllocator: () => {
        throw new Error('no hardware');
      },
    });
    assert.throws(
      () => throwing.initialize(null, framing()),
      (e: unknown) => isReason('initializeFailed')(e) && /no hardware/.test(String(e)),
    );
    const malformed = createVendorAllocator({ ...base, initializeAllocator: () => undefined as never });
    assert.throws(() => malformed.initialize(null, framing()), isReason('initializeFailed'));
  });

  it('an invalid framing never reaches the vendor', () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    assert.throws(() => a.initialize(null, framing({ fileAlignment: 6 })), isReason('initializeFailed'));
    assert.equal(vendor.calls.length, 0);
  });

  it('§9.4: nothing runs after deleteAllocator', async () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize(null, framing());
    const f = a.allocate()!;
    a.free(f);
    a.delete();
    const count = vendor.calls.length;
    assert.equal(vendor.calls.at(-1)?.name, 'deleteAllocator');
    assert.throws(() => a.allocate(), isReason('deleted'));
    assert.throws(() => a.free(f), isReason('deleted'));
    await assert.rejects(a.acquire(), isReason('deleted'));
    a.delete();
    assert.equal(vendor.calls.length, count);
    assert.equal(a.context, undefined);
  });

  it('§9.5: a null from the vendor is a recoverable shortage (failure counted, nothing outstanding)', () => {
    const vendor = commonBufferVendor({ capacity: 1 });
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize(null, framing({ frames: 4 }));
    const f = a.allocate()!;
    assert.equal(a.allocate(), null);
    assert.equal(a.outstanding, 1);
    assert.equal(a.status().failures, 1);
    a.free(f);
    const g = a.allocate();
    assert.ok(g !== null);
    a.free(g);
    a.delete();
  });

  it('once frames are outstanding, allocate returns null without calling the vendor', () => {
    const vendor = commonBufferVendor({ capacity: 8 });
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize(null, framing({ frames: 2 }));
    const frames = allocateN(a, 2);
    const calls = vendor.calls.length;
    assert.equal(a.allocate(), null);
    assert.equal(vendor.calls.length, calls);
    for (const f of frames) a.free(f);
    a.delete();
  });

  it('a vendor returning an outstanding buffer again is a contractViolation that changes nothing', () => {
    const dispatch: AllocatorDispatch<{ slice: Uint8Array }> = {
      initializeAllocator: () => ({ status: 0, context: { slice: new Uint8Array(256) } }),
      deleteAllocator: () => {},
      allocate: (c) => c.slice,
      free: () => {},
    };
    const a = createVendorAllocator(dispatch);
    a.initialize(null, framing());
    const f = a.allocate()!;
    assert.throws(() => a.allocate(), isReason('contractViolation'));
    assert.equal(a.outstanding, 1);
    a.free(f);
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('a short, misaligned or non-Uint8Array vendor buffer is a contractViolation; the buffer goes back to the vendor', () => {
    const freed: Uint8Array[] = [];
    let next: unknown = null;
    const a = createVendorAllocator<null>({
      initializeAllocator: () => ({ status: 0, context: null }),
      deleteAllocator: () => {},
      allocate: () => next as Uint8Array,
      free: (_c, b) => freed.push(b),
    });
    a.initialize(null, framing({ frameSize: 256, fileAlignment: 15 }));
    const common = new ArrayBuffer(4096);
    next = new Uint8Array(common, 0, 100);
    assert.throws(() => a.allocate(), isReason('contractViolation'));
    next = new Uint8Array(common, 8, 256);
    assert.throws(() => a.allocate(), isReason('contractViolation'));
    assert.equal(freed.length, 2);
    next = new ArrayBuffer(256);
    assert.throws(() => a.allocate(), isReason('contractViolation'));
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('vendor buffers map to pooled handles: no new handle per frame, even for fresh view objects', () => {
    for (const freshViews of [false, true]) {
      const vendor = commonBufferVendor({ freshViews });
      const a = createVendorAllocator(vendor.dispatch);
      a.initialize(null, framing({ frames: 2 }));
      const seen = new Set<FrameBuffer>();
      for (let i = 0; i < 20; i++) {
        const f = a.allocate()!;
        const g = a.allocate()!;
        seen.add(f).add(g);
        a.free(g);
        a.free(f);
      }
      assert.equal(seen.size, 2, `freshViews ${freshViews}`);
      a.delete();
    }
  });

  it('a vendor rotating more buffers than frames still uses at most frames handles', () => {
    const vendor = commonBufferVendor({ capacity: 6 });
    const ring: Uint8Array[] = [];
    const a = createVendorAllocator({
      ...vendor.dispatch,
      // hand out the least recently freed slice (FIFO), so all 6 slices circulate
      allocate: (c) => c.free.shift() ?? null,
      free: (c, b) => {
        ring.push(b);
        c.free.push(c.slices.find((s) => s.byteOffset === b.byteOffset)!);
      },
    });
    a.initialize(null, framing({ frames: 2 }));
    const handles = new Set<FrameBuffer>();
    const offsets = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const f = a.allocate()!;
      const g = a.allocate()!;
      assert.notEqual(f.data.byteOffset, g.data.byteOffset);
      handles.add(f).add(g);
      offsets.add(f.data.byteOffset).add(g.data.byteOffset);
      a.free(f);
      a.free(g);
    }
    assert.equal(offsets.size, 6);
    assert.ok(handles.size <= 2);
    a.delete();
  });

  it('the common-buffer vendor hands out aligned slices of one buffer and null when exhausted', () => {
    const vendor = commonBufferVendor();
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize(null, framing({ frames: 3, frameSize: 100, fileAlignment: 0x3f }));
    const frames = allocateN(a, 3);
    const common = vendor.contexts[0]!.common;
    for (const f of frames) {
      assert.equal(f.data.buffer, common);
      assert.equal(f.data.byteOffset % 64, 0);
    }
    assert.equal(vendor.dispatch.allocate(vendor.contexts[0]!), null); // the vendor itself is exhausted
    for (const f of frames) a.free(f);
    a.delete();
    assert.equal(vendor.contexts[0]!.deleted, true);
  });

  it('an acquire pended on a vendor shortage is served by the next free', async () => {
    const vendor = commonBufferVendor({ capacity: 1 });
    const a = createVendorAllocator(vendor.dispatch);
    a.initialize(null, framing({ frames: 4 }));
    const f = a.allocate()!;
    const waiter = track(a.acquire());
    await flush();
    assert.equal(waiter.settled, false);
    a.free(f);
    await flush();
    assert.equal(waiter.value?.data.byteOffset, f.data.byteOffset);
    a.free(waiter.value!);
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('a dispatch table missing a callback is a TypeError naming it', () => {
    const { dispatch } = commonBufferVendor();
    assert.throws(() => createVendorAllocator({ ...dispatch, free: undefined as never }), {
      name: 'TypeError',
      message: /^dispatch\.free: undefined is not allowed/,
    });
  });
});

describe('vendor allocator: misbehaving vendors (review)', () => {
  /** A dispatch over `count` 256-byte slices of one buffer, with callbacks overridable per test. */
  function slices(count = 4, overrides: Partial<AllocatorDispatch<null>> = {}) {
    const memory = new ArrayBuffer(256 * (count + 1));
    const pool: Uint8Array[] = Array.from({ length: count }, (_, i) => new Uint8Array(memory, 256 * i, 256)).reverse();
    const freed: Uint8Array[] = [];
    const dispatch: AllocatorDispatch<null> = {
      initializeAllocator: () => ({ status: 0, context: null }),
      deleteAllocator: () => {},
      allocate: () => pool.pop() ?? null,
      free: (_c, b) => {
        freed.push(b);
        pool.push(b);
      },
      ...overrides,
    };
    return { dispatch, memory, freed };
  }
  const violation = (cause?: string) => (e: unknown) =>
    e instanceof AllocatorError &&
    e.reason === 'contractViolation' &&
    e.status === Status.invalidDeviceRequest &&
    (cause === undefined || (e.cause instanceof Error && e.cause.message === cause));

  it('a status that is not a 32-bit integer fails initialize (NaN, 1.5, 2^32, a string) and calls nothing else', () => {
    for (const status of [Number.NaN, 1.5, 2 ** 32, -(2 ** 31) - 1, '0' as unknown as number]) {
      let deleted = 0;
      const a = createVendorAllocator(
        slices(4, { initializeAllocator: () => ({ status, context: null }) as never, deleteAllocator: () => deleted++ })
          .dispatch,
      );
      assert.throws(() => a.initialize(null, framing()), isReason('initializeFailed'), String(status));
      assert.equal(a.state, 'created');
      a.delete();
      assert.equal(deleted, 0);
    }
  });

  it('a vendor allocate that throws is a contractViolation carrying the cause; nothing is outstanding', async () => {
    const a = createVendorAllocator(
      slices(4, {
        allocate: () => {
          throw new Error('dma fault');
        },
      }).dispatch,
    );
    a.initialize(null, framing());
    assert.throws(() => a.allocate(), violation('dma fault'));
    await assert.rejects(a.acquire(), violation('dma fault'));
    assert.equal(a.outstanding, 0);
    assert.equal(a.status().pendingAcquires, 0);
    a.delete();
  });

  it('a vendor free that throws is a contractViolation carrying the cause; the frame stays outstanding and may be freed again', () => {
    let fail = true;
    const base = slices();
    const a = createVendorAllocator({
      ...base.dispatch,
      free: (c, b) => {
        if (fail) throw new Error('bus reset');
        base.dispatch.free(c, b);
      },
    });
    a.initialize(null, framing());
    const f = a.allocate()!;
    assert.throws(() => a.free(f), violation('bus reset'));
    assert.equal(a.outstanding, 1);
    fail = false;
    a.free(f);
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('a vendor deleteAllocator that throws is a contractViolation; the allocator is deleted all the same', () => {
    const a = createVendorAllocator(
      slices(4, {
        deleteAllocator: () => {
          throw new Error('stuck');
        },
      }).dispatch,
    );
    a.initialize(null, framing());
    assert.throws(() => a.delete(), violation('stuck'));
    assert.equal(a.state, 'deleted');
    assert.throws(() => a.allocate(), isReason('deleted'));
    a.delete(); // a no-op now: the vendor is not called again
  });

  it('a vendor buffer overlapping an outstanding frame is a contractViolation and goes back to the vendor', () => {
    const memory = new ArrayBuffer(4096);
    let next = 0;
    const freed: Uint8Array[] = [];
    const a = createVendorAllocator<null>({
      initializeAllocator: () => ({ status: 0, context: null }),
      deleteAllocator: () => {},
      allocate: () => new Uint8Array(memory, next, 256),
      free: (_c, b) => freed.push(b),
    });
    a.initialize(null, framing({ fileAlignment: 0 }));
    const f = a.allocate()!; // bytes 0…255
    for (const start of [1, 255, 0]) {
      next = start;
      assert.throws(() => a.allocate(), isReason('contractViolation'), `start ${start}`);
    }
    assert.equal(freed.length, 2); // the two overlapping slices went back; the identical one is still outstanding
    next = 256; // adjacent, not overlapping
    const g = a.allocate()!;
    assert.equal(g.data.byteOffset, 256);
    assert.equal(a.outstanding, 2);
    a.free(f);
    a.free(g);
    a.delete();
  });

  it('a vendor returning the same memory with a longer view over its neighbour is caught too', () => {
    const memory = new ArrayBuffer(4096);
    let length = 256;
    let start = 0;
    const a = createVendorAllocator<null>({
      initializeAllocator: () => ({ status: 0, context: null }),
      deleteAllocator: () => {},
      allocate: () => new Uint8Array(memory, start, length),
      free: () => {},
    });
    a.initialize(null, framing({ fileAlignment: 0 }));
    const f0 = a.allocate()!; // 0…255
    start = 256;
    const f1 = a.allocate()!; // 256…511
    a.free(f0);
    start = 0;
    length = 512; // frame 0's start again, now spilling into outstanding frame 1
    assert.throws(() => a.allocate(), isReason('contractViolation'));
    assert.equal(a.outstanding, 1);
    a.free(f1);
    a.delete();
  });

  it('delete() with acquires pending on a vendor shortage (nothing outstanding) rejects them and deletes', async () => {
    const { dispatch } = slices(0); // the vendor has no memory: every allocate is null
    let deleted = 0;
    const a = createVendorAllocator({ ...dispatch, deleteAllocator: () => deleted++ });
    a.initialize(null, framing());
    const first = track(a.acquire());
    const second = track(a.acquire());
    await flush();
    assert.equal(a.status().pendingAcquires, 2);
    assert.equal(a.outstanding, 0);
    a.delete();
    await flush();
    for (const t of [first, second]) {
      assert.ok(
        t.error instanceof AllocatorError && t.error.reason === 'deleted' && t.error.status === Status.cancelled,
      );
    }
    assert.equal(deleted, 1);
    await assert.rejects(a.acquire(), isReason('deleted'));
  });

  it('frees of a plain Uint8Array, of a frame of another vendor allocator, or of a hostile object are typed and change nothing', () => {
    const a = createVendorAllocator(slices().dispatch);
    const b = createVendorAllocator(slices().dispatch);
    a.initialize(null, framing());
    b.initialize(null, framing());
    const fa = a.allocate()!;
    const fb = b.allocate()!;
    assert.throws(() => a.free(fb), isReason('foreignBuffer'));
    assert.throws(() => a.free(fa.data as unknown as FrameBuffer), isReason('foreignBuffer'));
    const hostile = new Proxy({} as FrameBuffer, {
      get() {
        throw new Error('trap');
      },
    });
    assert.throws(() => a.free(hostile), isReason('foreignBuffer'));
    assert.equal(a.outstanding, 1);
    assert.equal(b.outstanding, 1);
    a.free(fa);
    b.free(fb);
    a.delete();
    b.delete();
  });
});
