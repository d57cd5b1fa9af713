import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator, DefaultAllocator } from '../../src/allocator/default-allocator.js';
import type { FrameAllocator, FrameBuffer } from '../../src/allocator/types.js';
import { createUserMemoryAllocator } from '../../src/allocator/user-memory-allocator.js';
import { createVendorAllocator } from '../../src/allocator/vendor-allocator.js';
import { AllocatorError } from '../../src/errors.js';
import { PoolType } from '../../src/framing/constants.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import type { Requester } from '../../src/processing/requester.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import type { Frame } from '../../src/stream/frame.js';
import { FrameLedger } from '../../src/stream/frame-ledger.js';
import { type StreamPointer, StreamPointerState } from '../../src/stream/stream-pointer.js';
import { commonBufferVendor, framing } from '../allocator/helpers.js';
import { makeFilter, pinDescriptor, streamFormat } from './helpers.js';

// The requester's fused path (a non-debug slot pool: the default and the user-memory allocator) takes and gives back
// frames through the allocator's _allocateSlot/_freeSlot and resets only the header itself (the queue resets the
// frame's own fields as it enters). Every rule of the generic path must hold on it: these tests run the same circuit
// on the fused and the generic paths.

type Routine = (lead: StreamPointer, frame: Frame) => void;

/** source → sink fed by `allocator`; the source runs `produce` on each frame, the sink `consume`, until `total`. */
function circuit(allocator: FrameAllocator, total: number, produce: Routine = () => {}, consume: Routine = () => {}) {
  const seen = { produced: 0, consumed: 0, sinkPends: false };
  const source = makeFilter([
    pinDescriptor({
      dataFlow: DataFlow.out,
      communication: Communication.source,
      dispatch: {
        process: (pin: Pin) => {
          for (;;) {
            if (seen.produced >= total) return Status.pending;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            seen.produced++;
            lead.frame!.header.dataUsed = 8;
            produce(lead, lead.frame!);
            lead.unlock(true);
          }
        },
      },
    }),
  ]);
  const sink = makeFilter([
    pinDescriptor({
      dispatch: {
        process: (pin: Pin) => {
          for (;;) {
            if (seen.sinkPends) return Status.pending;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            seen.consumed++;
            consume(lead, lead.frame!);
            lead.unlock(true);
          }
        },
      },
    }),
  ]);
  const src = source.filter.createPin(0, streamFormat);
  const snk = sink.filter.createPin(0, streamFormat);
  connectPins(src, snk);
  return {
    seen,
    src,
    snk,
    attach: (options?: { ledger?: FrameLedger }): Requester => setPipeSource(src, allocator, options),
    run: () => {
      snk.setState(KsState.run);
      src.setState(KsState.run);
    },
    stop: () => {
      src.setState(KsState.stop);
      snk.setState(KsState.stop);
    },
  };
}

const pooled = (frames = 2) => {
  const a = createDefaultAllocator();
  a.initialize(null, framing({ frames, frameSize: 64 }));
  return a;
};

/** Writes every header field and the frame status away from its initial value. */
function dirty(lead: StreamPointer, frame: Frame): void {
  const h = frame.header;
  h.typeSpecificFlags = 7;
  h.presentationTime.time = 1234;
  h.presentationTime.numerator = 3;
  h.presentationTime.denominator = 5;
  h.duration = 99;
  h.optionsFlags = 0x200;
  lead.setStatusCode(Status.success);
}

/** Asserts the frame the source gets is reset (the header metadata and the frame's own fields). */
function assertFresh(frame: Frame, failures: string[]): void {
  const h = frame.header;
  const t = h.presentationTime;
  if (
    h.typeSpecificFlags !== 0 ||
    t.time !== 0 ||
    t.numerator !== 1 ||
    t.denominator !== 1 ||
    h.duration !== 0 ||
    h.optionsFlags !== 0 ||
    frame.status !== Status.success ||
    frame.request !== null ||
    frame.cancelled !== false ||
    h.frameExtent !== 64 ||
    h.data === null
  ) {
    failures.push(
      JSON.stringify({
        tsf: h.typeSpecificFlags,
        t,
        duration: h.duration,
        flags: h.optionsFlags,
        status: frame.status,
        cancelled: frame.cancelled,
      }),
    );
  }
}

describe('requester fused path (slot pools)', () => {
  it('a frame is reset before reuse: header metadata and the status a pin set are cleared when it comes back out', () => {
    for (const allocator of [pooled(), createDefaultAllocator({ debug: true })]) {
      if (allocator.state === 'created') allocator.initialize(null, framing({ frames: 2, frameSize: 64 }));
      const failures: string[] = [];
      let n = 0;
      const c = circuit(
        allocator,
        40,
        (lead, frame) => {
          // the source finds it fresh, however the last pass left it
          assertFresh(frame, failures);
          dirty(lead, frame);
          frame.header.dataUsed = 8;
          // every third frame fails at the source: it goes back to the requester with that status at once
          if (++n % 3 === 0) lead.setStatusCode(Status.unsuccessful);
        },
        (lead, frame) => {
          dirty(lead, frame);
          frame.header.dataUsed = 64;
          if (n % 4 === 0) lead.setStatusCode(Status.deviceNotReady);
        },
      );
      c.attach();
      c.run();
      assert.deepEqual(failures, [], 'every reused frame came out reset');
      assert.equal(c.seen.produced, 40);
      assert.ok(c.seen.consumed > 0 && c.seen.consumed < 40, 'failed frames skipped the sink');
      c.stop();
      assert.equal(allocator.outstanding, 0);
      allocator.delete();
    }
  });

  it('the fused path keeps allocate()/free() accounting: the same status as the generic (debug) path', () => {
    const statusAfter = (allocator: FrameAllocator) => {
      const c = circuit(allocator, 50);
      c.seen.sinkPends = true;
      c.attach();
      c.run();
      const stalled = { ...allocator.status(), framing: null };
      c.seen.sinkPends = false;
      c.snk.attemptProcessing();
      const done = { ...allocator.status(), framing: null };
      c.stop();
      const stopped = { ...allocator.status(), framing: null };
      allocator.delete();
      return { produced: c.seen.produced, consumed: c.seen.consumed, stalled, done, stopped };
    };
    const fused = statusAfter(pooled(3));
    const debug = createDefaultAllocator({ debug: true });
    debug.initialize(null, framing({ frames: 3, frameSize: 64 }));
    const generic = statusAfter(debug);
    assert.deepEqual(fused, generic);
    assert.equal(fused.stalled.allocatedFrames, 3, 'back-pressure: the pool is out while the sink pends');
    assert.equal(fused.stalled.highWaterMark, 3);
    assert.equal(fused.stopped.allocatedFrames, 0);
    assert.equal(fused.consumed, 50);
  });

  it('a double free is still detected: a pin that frees a circulating frame itself makes its return throw doubleFree', () => {
    const allocator = pooled();
    let freed: FrameBuffer | null = null;
    const c = circuit(allocator, 10, undefined, (_lead, frame) => {
      if (freed === null) {
        freed = frame.buffer!;
        allocator.free(freed); // a driver bug: the frame is still in the circuit
      }
    });
    c.attach();
    assert.throws(
      () => c.run(),
      (e: unknown) => e instanceof AllocatorError && e.reason === 'doubleFree',
    );
    assert.notEqual(freed, null);
    c.stop();
    assert.equal(allocator.outstanding, 0, 'the slot was freed once (by the pin), never twice');
    allocator.delete();
  });

  it('a foreign buffer is still detected: a circulating frame whose buffer was replaced makes its return throw foreignBuffer', () => {
    const allocator = pooled();
    const other = pooled(1);
    const foreign = other.allocate()!;
    let own: FrameBuffer | null = null;
    const c = circuit(allocator, 10, undefined, (_lead, frame) => {
      if (own === null) {
        own = frame.buffer!;
        frame.buffer = foreign; // a driver bug
      }
    });
    c.attach();
    assert.throws(
      () => c.run(),
      (e: unknown) => e instanceof AllocatorError && e.reason === 'foreignBuffer',
    );
    assert.equal(other.outstanding, 1, 'the other allocator kept its frame');
    c.stop();
    assert.equal(allocator.outstanding, 1, 'the replaced slot was never freed');
    allocator.free(own!);
    other.free(foreign);
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
    other.delete();
  });

  it('a pending acquire() is served first by a frame the circuit returns', async () => {
    const allocator = pooled(2);
    const c = circuit(allocator, 20);
    c.seen.sinkPends = true;
    c.attach();
    c.run();
    assert.equal(allocator.outstanding, 2);
    const acquired = allocator.acquire();
    assert.equal(allocator.status().pendingAcquires, 1);
    c.seen.sinkPends = false;
    c.snk.attemptProcessing();
    assert.equal(allocator.status().pendingAcquires, 0, 'served by the first frame that came back');
    const buffer = await acquired;
    assert.equal(buffer.allocator, allocator);
    assert.equal(c.seen.produced, 20, 'the circuit went on with the other frame');
    allocator.free(buffer);
    c.stop();
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
  });

  it('FREEFRAME listeners see every free of a circulating frame', () => {
    const allocator = pooled(2);
    let frees = 0;
    const off = allocator.onFreeFrame(() => frees++);
    const c = circuit(allocator, 20);
    c.attach();
    c.run();
    assert.equal(c.seen.consumed, 20);
    assert.equal(frees, 20);
    off();
    c.stop();
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
  });

  it('a paged pool makes its slots on first use through allocate(); the circuit then reuses them', () => {
    const allocator = createDefaultAllocator();
    allocator.initialize(null, framing({ frames: 3, frameSize: 64, poolType: PoolType.pagedPool }));
    assert.equal(allocator.committedBytes, 0);
    const c = circuit(allocator, 30);
    c.attach();
    c.run();
    assert.equal(c.seen.consumed, 30);
    assert.ok(allocator.committedBytes >= 3 * 64, 'every slot was made');
    assert.equal(allocator.status().highWaterMark, 3);
    c.stop();
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
  });

  it('a debug pool stays on the generic path: a fresh handle per allocation', () => {
    const allocator = createDefaultAllocator({ debug: true });
    allocator.initialize(null, framing({ frames: 1, frameSize: 64 }));
    const handles = new Set<FrameBuffer>();
    const frames = new Set<Frame>();
    const c = circuit(allocator, 5, (_lead, frame) => {
      handles.add(frame.buffer!);
      frames.add(frame);
    });
    c.attach();
    c.run();
    assert.equal(frames.size, 1, 'one frame object per slot');
    assert.equal(handles.size, 5, 'a fresh debug handle each time');
    c.stop();
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
  });

  it('a user-memory allocator takes the fused path too; a vendor allocator the generic one (its allocate/free are called per frame)', () => {
    const user = createUserMemoryAllocator();
    user.initialize(null, framing({ frames: 2, frameSize: 64 }));
    const cu = circuit(user, 12);
    cu.attach();
    cu.run();
    assert.equal(cu.seen.consumed, 12);
    cu.stop();
    assert.equal(user.outstanding, 0);
    user.delete();

    const { dispatch, calls } = commonBufferVendor();
    const vendor = createVendorAllocator(dispatch);
    vendor.initialize(null, framing({ frames: 2, frameSize: 64 }));
    const cv = circuit(vendor, 12);
    cv.attach();
    cv.run();
    assert.equal(cv.seen.consumed, 12);
    assert.equal(calls.filter((x) => x.name === 'allocate').length, 12 + 2, 'twelve circulated, two refilled after');
    cv.stop();
    assert.equal(calls.filter((x) => x.name === 'free').length, 14);
    assert.equal(vendor.outstanding, 0);
    vendor.delete();
  });

  it('a slot pool whose _take/_give are overridden keeps the generic path: the overrides see every frame', () => {
    class Counting extends DefaultAllocator {
      takes = 0;
      gives = 0;
      override _take(): FrameBuffer | null {
        const b = super._take();
        if (b !== null) this.takes++;
        return b;
      }
      override _give(buffer: FrameBuffer): AllocatorError | null {
        this.gives++;
        return super._give(buffer);
      }
    }
    const allocator = new Counting();
    allocator.initialize(null, framing({ frames: 2, frameSize: 64 }));
    const c = circuit(allocator, 10);
    c.attach();
    c.run();
    assert.equal(c.seen.consumed, 10);
    c.stop();
    assert.equal(allocator.outstanding, 0);
    assert.ok(allocator.takes >= 10);
    assert.equal(allocator.gives, allocator.takes, 'every frame taken and given back through the overrides');
    allocator.delete();
  });

  it('the ledger tracks every frame the fused path hands out until it comes back', () => {
    const allocator = pooled(2);
    const ledger = new FrameLedger();
    let maxHeld = 0;
    const c = circuit(allocator, 10, () => {
      maxHeld = Math.max(maxHeld, ledger.outstanding().length);
    });
    c.attach({ ledger });
    c.run();
    assert.equal(maxHeld, 2);
    assert.equal(ledger.outstanding().length, 2, 'the refilled source queue');
    c.stop();
    assert.equal(ledger.outstanding().length, 0);
    assert.equal(allocator.outstanding, 0);
    allocator.delete();
  });

  it('an allocator that is not an AllocatorBase: the requester reads its state and deletePending getters', () => {
    const inner = pooled(2);
    let deletePending = false;
    const wrapper: FrameAllocator = {
      kind: 'default',
      get state() {
        return inner.state;
      },
      get framing() {
        return inner.framing;
      },
      get outstanding() {
        return inner.outstanding;
      },
      get deletePending() {
        return deletePending;
      },
      initialize: (pin, f) => inner.initialize(pin, f),
      allocate: () => inner.allocate(),
      free: (b) => inner.free(b),
      acquire: (s) => inner.acquire(s),
      onFreeFrame: (l) => inner.onFreeFrame(l),
      status: () => inner.status(),
      delete: () => inner.delete(),
      deleteWhenIdle: () => inner.deleteWhenIdle(),
      [Symbol.dispose]: () => inner.delete(),
    };
    const c = circuit(wrapper, 10);
    c.seen.sinkPends = true;
    c.attach();
    c.run();
    assert.equal(inner.outstanding, 2);
    deletePending = true; // as between deleteWhenIdle() and the deletion: frames only come back
    c.seen.sinkPends = false;
    c.snk.attemptProcessing();
    assert.equal(c.seen.consumed, 2);
    assert.equal(inner.outstanding, 0, 'nothing was taken while deletePending read true');
    deletePending = false;
    c.src.setState(KsState.stop);
    c.run();
    assert.equal(c.seen.consumed, 10);
    c.stop();
    assert.equal(inner.outstanding, 0);
    inner.delete();
  });
});
