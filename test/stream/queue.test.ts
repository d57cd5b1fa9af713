import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamError } from '../../src/errors.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { type Frame, FrameState } from '../../src/stream/frame.js';
import { DATAFLOW_IN, Queue, type QueueHost } from '../../src/stream/queue.js';
import { ManualScheduler } from '../../src/stream/scheduler.js';
import { type StreamPointer, StreamPointerState } from '../../src/stream/stream-pointer.js';
import { StreamRequest, StreamRequestState } from '../../src/stream/stream-request.js';
import { assertAllBack, frames, setup, TestHost } from './helpers.js';

const LOCKED = StreamPointerState.locked;
const UNLOCKED = StreamPointerState.unlocked;
const isDeviceNotReady = (e: unknown) => e instanceof StreamError && e.status === Status.deviceNotReady;

describe('queue: reset, flush, timeouts in PAUSE (spec §3.4)', () => {
  it('§3.4/§9.17 reset: resetBegin cancels queued I/O and rejects new I/O with deviceNotReady until resetEnd; a state change does not end it', () => {
    const { queue, host } = setup();
    const fs = frames(4);
    const r1 = new StreamRequest(fs.slice(0, 2));
    queue.addRequest(r1);
    queue.add(fs[2]!);
    const lead = queue.getLeadingEdge(LOCKED)!; // frame 0 locked: cancelled once unlocked
    queue.resetBegin();
    assert.equal(queue.resetting, true);
    assert.equal(fs[2]!.state, FrameState.idle, 'unlocked queued frame cancelled and completed');
    assert.equal(fs[2]!.status, Status.cancelled);
    assert.equal(fs[0]!.cancelled, false, 'the locked frame waits');
    assert.throws(() => queue.add(fs[3]!), isDeviceNotReady);
    const r2 = new StreamRequest([fs[3]!]);
    assert.throws(() => queue.addRequest(r2), isDeviceNotReady);
    assert.equal(r2.state, StreamRequestState.idle, 'a rejected request stays with its submitter');
    host.deviceState = KsState.stop; // a state change does not end the reset
    host.deviceState = KsState.run;
    assert.throws(() => queue.add(fs[3]!), isDeviceNotReady);
    lead.unlock(false);
    assert.equal(r1.completed, true);
    assert.equal(r1.status, Status.cancelled);
    queue.resetEnd();
    queue.add(fs[3]!);
    queue.getLeadingEdge(LOCKED)!.unlock(true);
    assertAllBack(queue, fs);
  });

  it('§3.4 →STOP flush: every queued frame completes back once the clones holding frames are deleted', () => {
    const { queue, host } = setup(PinFlags.distinctTrailingEdge | PinFlags.enforceFifo);
    const fs = frames(5);
    for (const f of fs) queue.add(f);
    const lead = queue.getLeadingEdge(LOCKED)!;
    const dma = lead.clone(); // locked clone: a frame in flight on hardware
    lead.advance(); // frame 1, locked edge
    lead.unlock(true); // frames 0, 1 in the trailing↔leading window
    const waiting = lead.clone(); // unlocked clone on frame 2, no cancel callback
    queue.flush();
    assert.equal(lead.locked, false);
    assert.deepEqual(
      host.completed.map((f) => f.context),
      [],
      'FIFO: frame 0 (locked by the clone) holds the others',
    );
    dma.delete(); // avshws deletes its clones at STOP
    assert.deepEqual(
      host.completed.map((f) => f.context),
      [0, 1],
      'frame 2 is still held by an unlocked clone',
    );
    waiting.delete();
    assert.deepEqual(
      host.completed.map((f) => f.context),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(host.completedStatus, [
      Status.cancelled,
      Status.cancelled,
      Status.cancelled,
      Status.cancelled,
      Status.cancelled,
    ]);
    assertAllBack(queue, fs);
    // the queue works again afterwards
    queue.add(fs[0]!.reset());
    assert.equal(queue.getLeadingEdge(UNLOCKED)!.frame, fs[0]);
    queue.flush(Status.unsuccessful);
    assert.equal(fs[0]!.status, Status.unsuccessful, 'flush status');
    assertAllBack(queue, fs);
  });

  it('§3.4 PAUSE caveat: a timeout scheduled below RUN fires only once a timeout is scheduled in RUN (then at its original due time)', () => {
    const { queue, host, scheduler } = setup(0, { state: KsState.pause });
    const fs = frames(1);
    queue.add(fs[0]!);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    const a = lead.clone();
    const fired: string[] = [];
    a.scheduleTimeout(() => fired.push('paused'), 100);
    assert.equal(a.timeoutPending, true);
    scheduler.advance(1000);
    assert.deepEqual([...fired], [], 'parked in PAUSE');
    host.deviceState = KsState.run;
    scheduler.advance(1000);
    assert.deepEqual([...fired], [], 'entering RUN alone does not arm it');
    lead.scheduleTimeout(() => fired.push('run'), 50);
    scheduler.advance(0);
    assert.deepEqual([...fired], ['paused'], 'overdue: fires at once when armed');
    scheduler.advance(50);
    assert.deepEqual([...fired], ['paused', 'run']);
    // parked timeouts keep their order and remaining time
    host.deviceState = KsState.pause;
    a.scheduleTimeout(() => fired.push('p300'), 300);
    const b = lead.clone();
    b.scheduleTimeout(() => fired.push('p100'), 100);
    scheduler.advance(50);
    host.deviceState = KsState.run;
    lead.scheduleTimeout(() => fired.push('r500'), 500);
    scheduler.advance(49);
    assert.deepEqual(fired.slice(2), []);
    scheduler.advance(1);
    assert.deepEqual(fired.slice(2), ['p100']);
    scheduler.advance(200);
    assert.deepEqual(fired.slice(2), ['p100', 'p300']);
    scheduler.runAll();
    assert.deepEqual(fired.slice(2), ['p100', 'p300', 'r500']);
    // a parked timeout of a deleted pointer never fires
    host.deviceState = KsState.pause;
    b.scheduleTimeout(() => fired.push('deleted'), 1);
    b.delete();
    host.deviceState = KsState.run;
    lead.scheduleTimeout(() => fired.push('last'), 1);
    scheduler.runAll();
    assert.deepEqual(fired.slice(5), ['last']);
    a.delete();
    lead.advance();
    assertAllBack(queue, fs);
  });
});

describe('queue: edges, window, bytes, mappings', () => {
  it('§4 trailing edge: frames in the window hold one reference, stay unlocked and cancellable; advancing it releases them; it never passes the leading edge', () => {
    const { queue, host } = setup(PinFlags.distinctTrailingEdge);
    const fs = frames(3);
    const reqs = fs.map((f) => new StreamRequest([f]));
    for (const r of reqs) queue.addRequest(r);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    const trail = queue.getTrailingEdge(UNLOCKED)!;
    assert.equal(trail.frame, fs[0]);
    lead.advance();
    lead.advance(); // window: frames 0, 1; leading on 2
    assert.equal(fs[1]!.referenceCount, 1, 'one reference inside the window');
    assert.equal(fs[0]!.referenceCount, 2, 'window + trailing edge');
    assert.deepEqual(host.completed, []);
    reqs[1]!.cancel(); // a window frame is cancellable
    assert.deepEqual(host.completed, [fs[1]]);
    assert.equal(trail.advance(), Status.success); // releases frame 0, skips the cancelled frame 1
    assert.deepEqual(host.completed, [fs[1], fs[0]]);
    assert.equal(trail.frame, fs[2], 'stops at the leading edge');
    assert.equal(trail.lock(), Status.success);
    assert.equal(trail.advance(), Status.deviceNotReady, 'locked: cannot pass the leading edge');
    assert.equal(trail.frame, fs[2]);
    assert.equal(trail.locked, false);
    assert.equal(trail.advance(), Status.success, 'unlocked: success, stays');
    assert.equal(trail.frame, fs[2]);
    lead.advance();
    assert.equal(host.completed.length, 2, 'frame 2 now in the window');
    trail.advance();
    assert.equal(trail.frame, null);
    assertAllBack(queue, fs);
  });

  it('§4 availableByteCount: input data and output space at and ahead of the leading edge', () => {
    const { queue } = setup(0, { dataFlow: DATAFLOW_IN });
    assert.deepEqual(queue.availableByteCount(), { inputDataBytes: 0, outputBufferBytes: 0 });
    const fs = frames(3, 100, 60);
    for (const f of fs) queue.add(f);
    assert.deepEqual(queue.availableByteCount(), { inputDataBytes: 180, outputBufferBytes: 300 });
    const lead = queue.getLeadingEdge(LOCKED)!;
    lead.advanceOffsets(20, 0);
    const out = { inputDataBytes: -1, outputBufferBytes: -1 };
    assert.equal(queue.availableByteCount(out), out);
    assert.deepEqual(out, { inputDataBytes: 160, outputBufferBytes: 300 });
    lead.advanceOffsetsAndUnlock(40, 0);
    assert.deepEqual(queue.availableByteCount(), { inputDataBytes: 120, outputBufferBytes: 200 });
    assert.equal(queue.framesAhead, 2);
    lead.advance();
    lead.advance();
    assertAllBack(queue, fs);
  });

  it('§9.28 hook: with GENERATE_MAPPINGS the mappings hook runs at every lock (and its failure fails the lock); release runs on unlock', () => {
    const calls: string[] = [];
    let fail = false;
    const mappings = {
      generateMappings(pointer: StreamPointer, frame: Frame) {
        calls.push(`generate ${String(frame.context)}`);
        if (fail) return Status.insufficientResources;
        pointer.offset.mappings = [{ physicalAddress: 0, byteCount: frame.header.frameExtent, alignment: 0 }];
        return Status.success;
      },
      releaseMappings(_pointer: StreamPointer, frame: Frame) {
        calls.push(`release ${String(frame.context)}`);
      },
    };
    const { queue } = setup(PinFlags.generateMappings, { mappings });
    const fs = frames(2);
    for (const f of fs) queue.add(f);
    const lead = queue.getLeadingEdge(LOCKED)!;
    assert.ok(Array.isArray(lead.offset.mappings));
    assert.equal(lead.advance(), Status.success);
    fail = true;
    lead.unlock(false);
    assert.equal(lead.lock(), Status.insufficientResources);
    assert.equal(lead.locked, false);
    assert.equal(queue.getLeadingEdge(LOCKED), null, 'a failed lock returns no edge');
    fail = false;
    assert.equal(lead.lock(), Status.success);
    lead.unlock(true);
    assert.deepEqual(calls, [
      'generate 0',
      'release 0',
      'generate 1',
      'release 1',
      'generate 1',
      'generate 1',
      'generate 1',
      'release 1',
    ]);
    // without the flag the hook is never called
    const plain = setup(0, { mappings });
    calls.length = 0;
    plain.queue.add(fs[0]!.reset());
    plain.queue.getLeadingEdge(LOCKED)!.unlock(true);
    assert.deepEqual(calls, []);
    assertAllBack(queue, fs);
  });

  it('completions run once the queue is consistent: the host may re-add a completed frame at once (a circuit)', () => {
    let queue!: Queue;
    let cycles = 0;
    const host: QueueHost = {
      flags: PinFlags.enforceFifo,
      dataFlow: 2,
      deviceState: KsState.run,
      _onArrival() {},
      _onFrameComplete(frame: Frame) {
        cycles++;
        if (cycles < 100) queue.add(frame.reset());
      },
    };
    queue = new Queue(host, { scheduler: new ManualScheduler(), initialCapacity: 2 });
    const fs = frames(3);
    for (const f of fs) queue.add(f);
    for (;;) {
      const lead = queue.getLeadingEdge(LOCKED);
      if (lead === null) break;
      lead.advanceOffsets(0, lead.offset.remaining);
    }
    assert.equal(cycles, 102);
    assertAllBack(queue, fs);
  });

  it('the ring grows past its initial capacity and keeps arrival order', () => {
    const { queue, host } = setup(0, { initialCapacity: 1 });
    const fs = frames(40);
    for (const f of fs) queue.add(f);
    const keep = queue.getLeadingEdge(UNLOCKED)!.clone(); // holds frame 0 while the rest cycle
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    for (let i = 0; i < 40; i++) lead.advance();
    assert.deepEqual(
      host.completed.map((f) => f.context),
      fs.slice(1).map((f) => f.context),
    );
    keep.delete();
    assertAllBack(queue, fs);
  });
});

describe('stream requests', () => {
  it('an AbortSignal cancels the request; an aborted signal cancels it on entry; whenComplete resolves with it', async () => {
    const { queue, host } = setup();
    const fs = frames(2);
    const ac = new AbortController();
    let callbacks = 0;
    const r = new StreamRequest(fs, { signal: ac.signal, onComplete: () => callbacks++ });
    const done = r.whenComplete();
    queue.addRequest(r);
    assert.equal(r.state, StreamRequestState.pending);
    ac.abort();
    assert.equal(await done, r);
    assert.equal(r.status, Status.cancelled);
    assert.equal(r.cancelRequested, true);
    assert.equal(callbacks, 1);
    ac.abort(); // no second completion
    assert.equal(callbacks, 1);
    r.reset();
    const ac2 = new AbortController();
    ac2.abort();
    const r2 = new StreamRequest(fs, { signal: ac2.signal });
    queue.addRequest(r2);
    assert.equal(r2.completed, true);
    assert.equal(r2.status, Status.cancelled);
    assert.deepEqual(host.arrivals, [true], 'a request cancelled on entry is not an arrival');
    assertAllBack(queue, fs);
  });

  it('cancelling a request touches only its own frames (a completed frame reused elsewhere is left alone)', () => {
    const { queue } = setup();
    const [a, b] = frames(2);
    const r = new StreamRequest([a!, b!]);
    queue.addRequest(r);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    lead.advance(); // a completes
    assert.equal(a!.state, FrameState.idle);
    queue.add(a!.reset()); // reused as a pipe frame
    r.cancel();
    assert.equal(b!.status, Status.cancelled);
    assert.equal(r.completed, true);
    assert.equal(a!.cancelled, false);
    assert.equal(a!.state, FrameState.queued);
    assert.equal(lead.frame, a, 'the edge moved from the cancelled frame to the next one');
    lead.advance();
    assert.equal(a!.status, Status.success);
    assertAllBack(queue, [a!, b!]);
  });

  it('a locked frame of a cancelled request that the minidriver finishes completes normally; the request is cancelled only if a frame was', () => {
    const { queue } = setup();
    const [a, b] = frames(2);
    const r1 = new StreamRequest([a!]);
    queue.addRequest(r1);
    const lead = queue.getLeadingEdge(LOCKED)!;
    r1.cancel();
    assert.equal(r1.cancelRequested, true);
    assert.equal(a!.cancelled, false);
    lead.unlock(true); // finished while locked: never cancelled
    assert.equal(r1.completed, true);
    assert.equal(r1.status, Status.success);
    assert.equal(a!.status, Status.success);
    const r2 = new StreamRequest([a!.reset(), b!]);
    queue.addRequest(r2);
    queue.getLeadingEdge(LOCKED);
    r2.cancel(); // b is cancelled now, a when unlocked without being finished
    assert.equal(b!.cancelled, true);
    lead.unlock(false);
    assert.equal(a!.cancelled, true);
    assert.equal(r2.status, Status.cancelled);
    assertAllBack(queue, [a!, b!]);
  });

  it('a clone gets its cancel callback again when a reused frame is cancelled in a later pass', () => {
    const { queue } = setup();
    const [f] = frames(1);
    let calls = 0;
    const clone = queue.getLeadingEdge(UNLOCKED)!.clone(() => {
      calls++;
      clone.advance(); // step off (to the end) instead of deleting
    });
    for (let pass = 1; pass <= 2; pass++) {
      const r = new StreamRequest([f!.reset()]);
      queue.addRequest(r); // the clone waiting at the end takes the frame
      assert.equal(clone.frame, f);
      r.cancel();
      assert.equal(calls, pass);
      assert.equal(r.completed, true);
    }
    clone.delete();
    assertAllBack(queue, [f!]);
  });

  it('setStatusCode sets the status the frame and its request complete with', () => {
    const { queue, host } = setup();
    const fs = frames(2);
    const r = new StreamRequest(fs);
    queue.addRequest(r);
    const lead = queue.getLeadingEdge(LOCKED)!;
    assert.equal(lead.setStatusCode(Status.endOfFile), Status.success);
    lead.unlock(true);
    queue.getLeadingEdge(LOCKED)!.unlock(true);
    assert.equal(r.status, Status.endOfFile);
    assert.deepEqual(host.completedStatus, [Status.endOfFile, Status.success]);
    assert.equal(lead.setStatusCode(Status.success), Status.deviceNotReady, 'no frame');
    assertAllBack(queue, fs);
  });

  it('bad arguments are TypeError/RangeError naming the argument', () => {
    const { queue } = setup();
    assert.throws(() => new StreamRequest([]), /frames: .* is not allowed; expected a non-empty array/);
    const [f] = frames(1);
    assert.throws(() => new StreamRequest([f!, f!]), TypeError);
    assert.throws(() => queue.add({} as Frame), /frame: .* expected a Frame/);
    queue.add(f!);
    assert.throws(() => queue.add(f!), TypeError, 'already queued');
    assert.throws(() => f!.reset(), TypeError, 'queued frames cannot be reset');
    const lead = queue.getLeadingEdge(LOCKED)!;
    assert.throws(() => lead.advanceOffsets(-1, 0), RangeError);
    assert.throws(() => lead.advanceOffsets(0, 9), /outUsed: 9 is not allowed; expected ≤ offsetOut.remaining \(8\)/);
    assert.throws(() => lead.clone(null, -1), /contextSize/);
    assert.throws(() => lead.scheduleTimeout(() => {}, -5), /interval/);
    assert.throws(() => queue.getLeadingEdge(7 as 0), /state/);
    assert.throws(() => new Queue(new TestHost(0, 3)), /host.dataFlow/);
    lead.unlock(true);
    assert.throws(() => lead.unlock(), StreamError, 'unlock needs a lock');
    assertAllBack(queue, [f!]);
  });

  it('Symbol.dispose deletes a clone (idempotently) and unlocks an edge', () => {
    const { queue } = setup();
    const fs = frames(1);
    queue.add(fs[0]!);
    {
      using lead = queue.getLeadingEdge(LOCKED)!;
      using clone = lead.clone();
      assert.equal(clone.locked, true);
    }
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    assert.equal(lead.locked, false);
    assert.equal(queue.cloneCount, 0);
    const c = lead.clone();
    c.delete();
    c[Symbol.dispose]();
    lead.advance();
    assertAllBack(queue, fs);
  });
});

describe('queue: throwing callbacks', () => {
  it('a host completion that throws propagates at once (the circuit stops there); the next queue operation completes the rest', () => {
    const boom = new Error('complete boom');
    const { queue, host } = setup();
    const fs = frames(3);
    let calls = 0;
    const inner = host._onFrameComplete.bind(host);
    host._onFrameComplete = (f: Frame) => {
      calls++;
      inner(f);
      if (calls === 1) throw boom;
    };
    const done: StreamRequest[] = [];
    const request = new StreamRequest(fs, { onComplete: (r) => done.push(r) });
    queue.addRequest(request);
    assert.throws(() => queue.flush(Status.cancelled), boom);
    assert.equal(calls, 1, 'the error stops the completions where it happened');
    assert.equal(done.length, 0);
    queue.flush(Status.cancelled);
    assert.equal(calls, 3);
    assert.equal(done.length, 1, 'the request completed');
    assertAllBack(queue, fs);
  });

  it('a throwing request onComplete still resolves whenComplete()', async () => {
    const { queue } = setup();
    const fs = frames(1);
    const request = new StreamRequest(fs, {
      onComplete: () => {
        throw new Error('onComplete boom');
      },
    });
    queue.addRequest(request);
    const completed = request.whenComplete();
    assert.throws(() => queue.flush(Status.cancelled), /onComplete boom/);
    assert.equal(await completed, request);
    assertAllBack(queue, fs);
  });
});

describe('unlock(eject) fast path and request callbacks', () => {
  it('a throwing request onComplete propagates from the unlock that completed the request (as on the generic path), not from a later call', () => {
    const { queue } = setup();
    const fs = frames(2);
    const boom = new Error('onComplete boom');
    const request = new StreamRequest([fs[0]!], {
      onComplete: () => {
        throw boom;
      },
    });
    queue.addRequest(request);
    const lead = queue.getLeadingEdge(StreamPointerState.locked)!;
    assert.throws(() => lead.unlock(true), boom, 'the unlock completing the request reports its error');
    assert.equal(request.state, StreamRequestState.completed);
    // a later, unrelated operation does not throw the old error
    queue.add(fs[1]!);
    assert.doesNotThrow(() => queue.getLeadingEdge(StreamPointerState.locked)!.unlock(true));
    assertAllBack(queue, fs);
  });
});
