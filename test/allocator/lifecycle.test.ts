import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllocatorError, AvStreamError, type FrameBuffer, FramingError, Status } from '../../src/index.js';
import { ALLOCATOR_CASES, allocateN, flush, framing, initialized, track } from './helpers.js';

function isAllocatorError(reason: string, status?: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof AllocatorError, `expected an AllocatorError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  };
}

for (const c of ALLOCATOR_CASES) {
  describe(`allocator lifecycle: ${c.name}`, () => {
    it('allocate, free and acquire before initialize are notInitialized errors', async () => {
      const a = c.create();
      const other = initialized(c);
      const frame = other.allocate()!;
      assert.equal(a.state, 'created');
      assert.throws(() => a.allocate(), isAllocatorError('notInitialized', Status.invalidDeviceState));
      assert.throws(() => a.free(frame), isAllocatorError('notInitialized'));
      await assert.rejects(a.acquire(), isAllocatorError('notInitialized'));
      assert.throws(() => a.status(), isAllocatorError('notInitialized'));
      other.free(frame);
      other.delete();
    });

    it('allocate, free and acquire after delete are deleted errors', async () => {
      const a = initialized(c);
      const f = a.allocate()!;
      a.free(f);
      a.delete();
      assert.equal(a.state, 'deleted');
      assert.throws(() => a.allocate(), isAllocatorError('deleted', Status.invalidDeviceState));
      assert.throws(() => a.free(f), isAllocatorError('deleted'));
      await assert.rejects(a.acquire(), isAllocatorError('deleted'));
      assert.throws(() => a.initialize(null, framing()), isAllocatorError('deleted'));
    });

    it('initialize runs once', () => {
      const a = initialized(c);
      assert.throws(() => a.initialize(null, framing({ poolType: c.poolType })), isAllocatorError('contractViolation'));
      a.delete();
    });

    it('an invalid framing fails initialize with initializeFailed carrying the FramingError; the allocator stays created', () => {
      const a = c.create();
      assert.throws(
        () => a.initialize(null, framing({ frameSize: 0 })),
        (error: unknown) => {
          assert.ok(error instanceof AllocatorError);
          assert.equal(error.reason, 'initializeFailed');
          assert.equal(error.status, Status.invalidParameter);
          assert.ok(error.cause instanceof FramingError);
          assert.equal(error.cause.field, 'frameSize');
          assert.match(error.message, /frameSize: 0 is not allowed/);
          return true;
        },
      );
      assert.equal(a.state, 'created');
      assert.throws(() => a.allocate(), isAllocatorError('notInitialized'));
      a.initialize(null, framing({ poolType: c.poolType })); // a later valid initialize works
      a.delete();
    });

    it('never more than frames outstanding: allocate returns null at once and counts a failure', () => {
      const a = initialized(c, { frames: 3 });
      const frames = allocateN(a, 3);
      assert.equal(a.outstanding, 3);
      assert.equal(a.allocate(), null);
      assert.equal(a.allocate(), null);
      assert.equal(a.status().failures, 2);
      assert.equal(a.outstanding, 3);
      for (const f of frames) a.free(f);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('a null from allocate is a recoverable shortage: the next allocate after a free succeeds', () => {
      const a = initialized(c, { frames: 1 });
      const f = a.allocate()!;
      assert.equal(a.allocate(), null);
      a.free(f);
      const g = a.allocate();
      assert.ok(g !== null);
      a.free(g);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('frames have frameSize bytes aligned per fileAlignment and never overlap', () => {
      const a = initialized(c, { frames: 4, frameSize: 100, fileAlignment: 63 });
      const frames = allocateN(a, 4);
      for (const f of frames) {
        assert.ok(f.data.byteLength >= 100);
        assert.equal(f.data.byteOffset % 64, 0);
        assert.equal(f.allocator, a);
      }
      for (const x of frames) {
        for (const y of frames) {
          if (x === y || x.data.buffer !== y.data.buffer) continue;
          const disjoint =
            x.data.byteOffset + x.data.byteLength <= y.data.byteOffset ||
            y.data.byteOffset + y.data.byteLength <= x.data.byteOffset;
          assert.ok(disjoint, `frames ${x.index} and ${y.index} overlap`);
        }
      }
      assert.equal(new Set(frames.map((f) => f.index)).size, 4);
      for (const f of frames) a.free(f);
      a.delete();
    });

    it('a double free is a doubleFree error that changes nothing', () => {
      const a = initialized(c);
      const [f, g] = allocateN(a, 2) as [FrameBuffer, FrameBuffer];
      a.free(f);
      const before = a.status();
      assert.throws(() => a.free(f), isAllocatorError('doubleFree', Status.invalidParameter));
      assert.deepEqual(a.status(), before);
      a.free(g);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('a foreign buffer is a foreignBuffer error that changes nothing', () => {
      const a = initialized(c);
      const b = initialized(c);
      const mine = a.allocate()!;
      const theirs = b.allocate()!;
      const before = a.status();
      assert.throws(() => a.free(theirs), isAllocatorError('foreignBuffer', Status.invalidParameter));
      assert.throws(
        () => a.free({ data: mine.data, allocator: a, index: mine.index }),
        isAllocatorError('foreignBuffer'),
      );
      assert.throws(() => a.free(mine.data as unknown as FrameBuffer), isAllocatorError('foreignBuffer'));
      assert.throws(() => a.free(null as unknown as FrameBuffer), TypeError);
      // Hostile handles: a throwing getter, a proxy whose every trap throws, a revoked proxy.
      const boom = () => {
        throw new Error('trap');
      };
      const revocable = Proxy.revocable({}, {});
      revocable.revoke();
      for (const hostile of [
        Object.defineProperty({}, 'index', { get: boom }),
        new Proxy({}, { get: boom, getPrototypeOf: boom, has: boom, getOwnPropertyDescriptor: boom }),
        revocable.proxy,
      ]) {
        assert.throws(() => a.free(hostile as FrameBuffer), isAllocatorError('foreignBuffer', Status.invalidParameter));
      }
      assert.deepEqual(a.status(), before);
      a.free(mine);
      b.free(theirs);
      a.delete();
      b.delete();
    });

    it('delete while frames are outstanding is a framesOutstanding error naming the count; nothing changes', () => {
      const a = initialized(c);
      const frames = allocateN(a, 2);
      assert.throws(
        () => a.delete(),
        (error: unknown) =>
          isAllocatorError('framesOutstanding')(error) && /2 frame\(s\) outstanding/.test(String(error)),
      );
      assert.equal(a.state, 'initialized');
      assert.equal(a.outstanding, 2);
      for (const f of frames) a.free(f);
      a.delete();
      assert.equal(a.state, 'deleted');
    });

    it('a second delete is a no-op; deleting a created allocator needs no initialize', () => {
      const a = initialized(c);
      a.delete();
      a.delete();
      assert.equal(a.state, 'deleted');
      const b = c.create();
      b.delete();
      assert.equal(b.state, 'deleted');
      assert.throws(() => b.allocate(), isAllocatorError('deleted'));
    });

    it('deleteWhenIdle refuses allocations at once, accepts frees and deletes after the last free', async () => {
      const a = initialized(c, { frames: 2 });
      const [f, g] = allocateN(a, 2) as [FrameBuffer, FrameBuffer];
      const waiting = track(a.acquire());
      const idle = track(a.deleteWhenIdle());
      assert.equal(a.deletePending, true);
      await flush();
      assert.ok(waiting.error instanceof AllocatorError && waiting.error.reason === 'deleted');
      assert.equal(waiting.error.status, Status.cancelled);
      assert.throws(() => a.allocate(), isAllocatorError('deleted'));
      a.free(f);
      await flush();
      assert.equal(idle.settled, false);
      assert.equal(a.state, 'initialized');
      a.free(g);
      await flush();
      assert.equal(idle.settled, true);
      assert.equal(a.state, 'deleted');
      assert.equal(a.outstanding, 0);
    });

    it('acquire pends when no frame is free while a direct allocate fails at once', async () => {
      const a = initialized(c, { frames: 1 });
      const f = a.allocate()!;
      const pending = track(a.acquire());
      assert.equal(a.allocate(), null);
      await flush();
      assert.equal(pending.settled, false);
      assert.equal(a.status().pendingAcquires, 1);
      a.free(f);
      await flush();
      assert.ok(pending.value !== undefined);
      assert.equal(a.status().pendingAcquires, 0);
      assert.equal(a.outstanding, 1);
      a.free(pending.value);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('acquire resolves at once when a frame is free', async () => {
      const a = initialized(c);
      const f = await a.acquire();
      assert.equal(a.outstanding, 1);
      a.free(f);
      a.delete();
    });

    it('a free serves pending acquires first-come-first-served and then signals FREEFRAME', async () => {
      const a = initialized(c, { frames: 2 });
      const [f, g] = allocateN(a, 2) as [FrameBuffer, FrameBuffer];
      const order: string[] = [];
      const first = a.acquire().then((x) => {
        order.push('first');
        return x;
      });
      const second = a.acquire().then((x) => {
        order.push('second');
        return x;
      });
      const events: number[] = [];
      a.onFreeFrame(() => events.push(a.status().pendingAcquires));
      a.free(g);
      assert.deepEqual(events, [1]); // FREEFRAME after the first waiter was served
      a.free(f);
      assert.deepEqual(events, [1, 0]);
      const [x, y] = await Promise.all([first, second]);
      assert.deepEqual(order, ['first', 'second']);
      a.free(x);
      a.free(y);
      assert.deepEqual(events, [1, 0, 0, 0]);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('an aborted acquire rejects with STATUS_CANCELLED and leaves the queue; the next waiter is served', async () => {
      const a = initialized(c, { frames: 1 });
      const f = a.allocate()!;
      const controller = new AbortController();
      const aborted = track(a.acquire(controller.signal));
      const next = track(a.acquire());
      assert.equal(a.status().pendingAcquires, 2);
      controller.abort(new Error('user gave up'));
      await flush();
      assert.ok(aborted.error instanceof AvStreamError);
      assert.equal(aborted.error.status, Status.cancelled);
      assert.equal(a.status().pendingAcquires, 1);
      a.free(f);
      await flush();
      assert.ok(next.value !== undefined);
      a.free(next.value);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('an acquire with an already aborted signal rejects at once without taking a frame', async () => {
      const a = initialized(c);
      await assert.rejects(
        a.acquire(AbortSignal.abort()),
        (e: unknown) => e instanceof AvStreamError && e.status === Status.cancelled,
      );
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it("aborting after the acquire was served changes nothing: the frame stays the caller's", async () => {
      const a = initialized(c, { frames: 1 });
      const f = a.allocate()!;
      const controller = new AbortController();
      const served = track(a.acquire(controller.signal));
      a.free(f);
      await flush();
      assert.ok(served.value !== undefined);
      const before = a.status();
      controller.abort();
      await flush();
      assert.deepEqual(a.status(), before);
      assert.equal(a.outstanding, 1);
      a.free(served.value);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('a signal that is not an AbortSignal rejects with a TypeError naming it, free frame or not', async () => {
      const a = initialized(c, { frames: 1 });
      for (const bad of [{}, 42, { aborted: false }, 'signal']) {
        await assert.rejects(a.acquire(bad as unknown as AbortSignal), { name: 'TypeError', message: /^signal: / });
      }
      const f = a.allocate()!;
      await assert.rejects(a.acquire({} as AbortSignal), { name: 'TypeError' });
      assert.equal(a.status().pendingAcquires, 0);
      a.free(f);
      assert.equal(a.outstanding, 0);
      a.delete();
    });

    it('delete rejects pending acquires with a typed error', async () => {
      const a = initialized(c, { frames: 1 });
      const f = a.allocate()!;
      const pending = track(a.acquire());
      a.free(f); // serves the waiter
      await flush();
      a.free(pending.value!);
      const again = a.allocate()!;
      const rejected = track(a.acquire());
      a.free(again); // serves it too
      await flush();
      a.free(rejected.value!);
      // now a waiter that is still pending when delete runs (frames all back: nothing to serve it)
      const held = a.allocate()!;
      const waiter = track(a.acquire());
      assert.throws(() => a.delete(), isAllocatorError('framesOutstanding'));
      const idle = a.deleteWhenIdle();
      await flush();
      assert.ok(waiter.error instanceof AllocatorError && waiter.error.reason === 'deleted');
      a.free(held);
      await idle;
      assert.equal(a.state, 'deleted');
    });

    it('onFreeFrame listeners run after each free until removed; a throwing listener does not undo the free', () => {
      const a = initialized(c);
      let calls = 0;
      const off = a.onFreeFrame(() => calls++);
      const bad = a.onFreeFrame(() => {
        throw new Error('listener failed');
      });
      const f = a.allocate()!;
      assert.throws(() => a.free(f), /listener failed/);
      assert.equal(calls, 1);
      assert.equal(a.outstanding, 0);
      bad();
      off();
      off();
      a.free(a.allocate()!);
      assert.equal(calls, 1);
      assert.throws(() => a.onFreeFrame(42 as unknown as () => void), TypeError);
      a.delete();
    });

    it('status() reports the creation framing, allocatedFrames, highWaterMark, failures and pendingAcquires', async () => {
      const a = initialized(c, { frames: 3 });
      const frames = allocateN(a, 3);
      assert.equal(a.allocate(), null);
      const waiter = track(a.acquire());
      a.free(frames.pop()!);
      await flush();
      const s = a.status();
      assert.deepEqual(s.framing, framing({ frames: 3, poolType: c.poolType }));
      assert.equal(Object.isFrozen(s.framing), true);
      assert.equal(s.allocatedFrames, 3);
      assert.equal(s.highWaterMark, 3);
      assert.equal(s.failures, 2); // the null and the pended acquire
      assert.equal(s.pendingAcquires, 0);
      for (const f of [...frames, waiter.value!]) a.free(f);
      assert.equal(a.status().allocatedFrames, 0);
      assert.equal(a.status().highWaterMark, 3);
      a.delete();
    });

    it('Symbol.dispose deletes the allocator', () => {
      const a = initialized(c);
      a[Symbol.dispose]();
      assert.equal(a.state, 'deleted');
    });
  });
}

describe('allocator lifecycle: details', () => {
  const c = ALLOCATOR_CASES[0]!;

  it('deleteWhenIdle with no frame outstanding deletes at once', async () => {
    const a = initialized(c);
    await a.deleteWhenIdle();
    assert.equal(a.state, 'deleted');
    assert.equal(a.deletePending, false);
  });

  it('a FREEFRAME listener may allocate again (re-entrancy): the allocator is consistent when listeners run', () => {
    const a = initialized(c, { frames: 1 });
    const got: FrameBuffer[] = [];
    let take = true;
    a.onFreeFrame(() => {
      assert.equal(a.outstanding, 0);
      const f = take ? a.allocate() : null;
      if (f !== null) got.push(f);
    });
    a.free(a.allocate()!);
    assert.equal(got.length, 1);
    assert.equal(a.outstanding, 1);
    a.free(got[0]!); // the listener takes it again
    assert.equal(got.length, 2);
    take = false;
    a.free(got[1]!);
    assert.equal(a.outstanding, 0);
    a.delete();
  });

  it('aborted acquires do not grow the waiter ring without bound', async () => {
    const a = initialized(c, { frames: 1 });
    const f = a.allocate()!;
    for (let i = 0; i < 1000; i++) {
      const controller = new AbortController();
      const p = a.acquire(controller.signal);
      controller.abort();
      await p.catch(() => {});
    }
    const ring = (a as unknown as { _waiters: { _ring: unknown[] } })._waiters._ring;
    assert.ok(ring.length <= 16, `ring grew to ${ring.length}`);
    assert.equal(a.status().pendingAcquires, 0);
    a.free(f);
    a.delete();
  });

  it('a vendor contract violation during acquire rejects the promise instead of throwing', async () => {
    const { createVendorAllocator } = await import('../../src/index.js');
    const a = createVendorAllocator<null>({
      initializeAllocator: () => ({ status: 0, context: null }),
      deleteAllocator: () => {},
      allocate: () => new Uint8Array(1),
      free: () => {},
    });
    a.initialize(null, framing());
    await assert.rejects(a.acquire(), isAllocatorError('contractViolation'));
    assert.equal(a.outstanding, 0);
    a.delete();
  });
});
