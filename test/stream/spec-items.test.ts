import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamError } from '../../src/errors.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { Status } from '../../src/status.js';
import { FrameState } from '../../src/stream/frame.js';
import { DATAFLOW_IN } from '../../src/stream/queue.js';
import { type IrpFrameFlags, type StreamPointer, StreamPointerState } from '../../src/stream/stream-pointer.js';
import { StreamRequest } from '../../src/stream/stream-request.js';
import { assertAllBack, frames, setup } from './helpers.js';

const LOCKED = StreamPointerState.locked;
const UNLOCKED = StreamPointerState.unlocked;

describe('spec §9 stream pointers', () => {
  it('§9.18 a frame completes exactly when its refcount hits 0; a request with its last frame; ENFORCE_FIFO holds later requests', () => {
    // refcount: the leading edge leaves, a clone still holds the frame
    {
      const { queue, host } = setup();
      const [f0, f1] = frames(2);
      queue.add(f0!);
      queue.add(f1!);
      const lead = queue.getLeadingEdge(LOCKED)!;
      const clone = lead.clone();
      assert.equal(f0!.referenceCount, 3, 'queue hold + leading edge + clone');
      lead.unlock(true);
      assert.equal(f0!.referenceCount, 1);
      assert.deepEqual(host.completed, []);
      clone.delete();
      assert.deepEqual(host.completed, [f0], 'completes when the last reference goes');
      queue.getLeadingEdge(LOCKED)!.unlock(true);
      assert.deepEqual(host.completed, [f0, f1]);
      assertAllBack(queue, [f0!, f1!]);
    }
    // a request completes with its last frame
    {
      const { queue, host } = setup();
      const fs = frames(2);
      const req = new StreamRequest(fs);
      queue.addRequest(req);
      queue.getLeadingEdge(LOCKED)!.unlock(true);
      assert.equal(req.completed, false);
      assert.deepEqual(host.requestsCompleted, []);
      queue.getLeadingEdge(LOCKED)!.unlock(true);
      assert.equal(req.completed, true);
      assert.deepEqual(host.requestsCompleted, [req]);
      assert.equal(req.status, Status.success);
      assertAllBack(queue, fs);
    }
    // ENFORCE_FIFO: the second request finishes first but completes after the first; without it, at once
    for (const fifo of [true, false]) {
      const { queue, host } = setup(fifo ? PinFlags.enforceFifo : 0);
      const [a, b] = frames(2);
      const r1 = new StreamRequest([a!]);
      const r2 = new StreamRequest([b!]);
      queue.addRequest(r1);
      queue.addRequest(r2);
      const lead = queue.getLeadingEdge(LOCKED)!;
      const holdA = lead.clone(); // frame a stays referenced (e.g. DMA in flight)
      lead.unlock(true); // leaves a
      queue.getLeadingEdge(LOCKED)!.unlock(true); // b is finished
      if (fifo) {
        assert.equal(r2.completed, false, 'r2 waits for r1');
        assert.equal(b!.state, FrameState.done);
        assert.deepEqual(host.completed, []);
      } else {
        assert.equal(r2.completed, true);
        assert.deepEqual(host.completed, [b]);
      }
      holdA.delete();
      assert.equal(r1.completed && r2.completed, true);
      assert.deepEqual(host.requestsCompleted, fifo ? [r1, r2] : [r2, r1]);
      assert.deepEqual(host.completed, fifo ? [a, b] : [b, a]);
      assertAllBack(queue, [a!, b!]);
    }
  });

  it('§9.19 the leading edge moves by itself only on arrival into an empty queue or cancel of its frame’s request', () => {
    const { queue, host } = setup();
    const fs = frames(5);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    assert.equal(lead.frame, null);
    queue.add(fs[0]!); // arrival into an empty queue: the edge takes it
    assert.equal(lead.frame, fs[0]);
    queue.add(fs[1]!); // arrival into a non-empty queue: the edge stays
    assert.equal(lead.frame, fs[0]);
    assert.deepEqual(host.arrivals, [true, false]);
    lead.advance();
    lead.advance();
    assert.equal(lead.frame, null, 'past the end');
    const r = new StreamRequest([fs[2]!]);
    queue.addRequest(r); // empty again (no frame at/ahead of the edge)
    assert.equal(lead.frame, fs[2]);
    assert.deepEqual(host.arrivals, [true, false, true]);
    const r2 = new StreamRequest([fs[3]!]);
    queue.addRequest(r2);
    r2.cancel(); // a frame ahead is cancelled: the edge stays
    assert.equal(lead.frame, fs[2]);
    queue.add(fs[4]!);
    r.cancel(); // its own frame's request: it moves to the next frame (skipping the cancelled one)
    assert.equal(lead.frame, fs[4]);
    lead.advance();
    assertAllBack(queue, fs);
    assert.equal(r.status, Status.cancelled);
    assert.equal(r2.status, Status.cancelled);
  });

  it('§9.20 without DISTINCT_TRAILING_EDGE the trailing edge getter returns null', () => {
    const plain = setup();
    const [f] = frames(1);
    plain.queue.add(f!);
    assert.equal(plain.queue.getTrailingEdge(UNLOCKED), null);
    assert.equal(plain.queue.getTrailingEdge(LOCKED), null);
    assert.equal(plain.queue.trailingEdge, null);
    plain.queue.getLeadingEdge(UNLOCKED)!.advance();
    assertAllBack(plain.queue, [f!]);
    const distinct = setup(PinFlags.distinctTrailingEdge);
    assert.notEqual(distinct.queue.getTrailingEdge(UNLOCKED), null);
    assert.equal(distinct.queue.getTrailingEdge(LOCKED), null, 'no frame yet');
  });

  it('§9.21 Get*Edge(LOCKED) is null with no frame; lock on a cancelled frame ⇒ deviceNotReady', () => {
    const { queue } = setup(PinFlags.distinctTrailingEdge);
    assert.equal(queue.getLeadingEdge(LOCKED), null);
    assert.equal(queue.getTrailingEdge(LOCKED), null);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    assert.equal(lead.lock(), Status.deviceNotReady, 'no frame');
    const fs = frames(1);
    const req = new StreamRequest(fs);
    queue.addRequest(req);
    const clone = lead.clone(); // unlocked clone, no cancel callback
    req.cancel();
    assert.equal(fs[0]!.cancelled, true);
    assert.equal(clone.lock(), Status.deviceNotReady, 'cancelled frame');
    assert.equal(queue.getLeadingEdge(LOCKED), null, 'the edge moved past the cancelled frame');
    assert.equal(req.completed, false, 'the clone still holds the frame');
    clone.delete();
    assert.equal(req.completed, true);
    assertAllBack(queue, fs);
  });

  it('§9.22 advance: unlocked always succeeds; locked at queue end ⇒ deviceNotReady', () => {
    const { queue } = setup();
    const fs = frames(2);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    assert.equal(lead.advance(), Status.success, 'unlocked, empty queue');
    queue.add(fs[0]!);
    queue.add(fs[1]!);
    assert.equal(lead.lock(), Status.success);
    assert.equal(lead.advance(), Status.success, 'locked, a next frame');
    assert.equal(lead.locked, true);
    assert.equal(lead.frame, fs[1]);
    assert.equal(lead.advance(), Status.deviceNotReady, 'locked at the end');
    assert.equal(lead.locked, false);
    assert.equal(lead.frame, null);
    assert.equal(lead.advance(), Status.success, 'unlocked past the end');
    assertAllBack(queue, fs);
  });

  it('§9.23 advanceOffsets needs a lock; Remaining 0 or eject ⇒ next frame; DataUsed = Count − Remaining only with GENERATE_MAPPINGS', () => {
    for (const mappings of [false, true]) {
      const { queue } = setup(mappings ? PinFlags.generateMappings : 0);
      const fs = frames(3, 100);
      for (const f of fs) queue.add(f);
      const lead = queue.getLeadingEdge(UNLOCKED)!;
      assert.equal(lead.advanceOffsets(0, 0), Status.deviceNotReady, 'unlocked');
      assert.equal(lead.lock(), Status.success);
      assert.equal(lead.offset, lead.offsetOut, 'output pin');
      assert.equal(lead.offset.count, 100);
      assert.equal(lead.advanceOffsets(0, 40), Status.success);
      assert.equal(lead.offset.remaining, 60);
      assert.equal(lead.offset.position, 40);
      assert.equal(lead.frame, fs[0]);
      assert.throws(() => lead.advanceOffsets(0, 61), RangeError, 'never past Remaining');
      assert.equal(lead.offset.remaining, 60, 'a refused advance changes nothing');
      assert.equal(lead.advanceOffsets(0, 60), Status.success, 'Remaining 0 ⇒ next frame, relocked');
      assert.equal(lead.frame, fs[1]);
      assert.equal(lead.locked, true);
      assert.equal(lead.offset.remaining, 100, 'fresh offsets on the next frame');
      assert.equal(fs[0]!.header.dataUsed, mappings ? 100 : 0);
      assert.equal(lead.advanceOffsets(0, 30, true), Status.success, 'eject ⇒ next frame');
      assert.equal(lead.frame, fs[2]);
      assert.equal(fs[1]!.header.dataUsed, mappings ? 30 : 0);
      assert.equal(lead.advanceOffsetsAndUnlock(0, 10), Status.success);
      assert.equal(lead.locked, false);
      assert.equal(lead.frame, fs[2], 'not finished: stays, unlocked');
      assert.equal(lead.lock(), Status.success);
      assert.equal(lead.offset.remaining, 90, 'offsets kept across unlock/relock on the same frame');
      assert.equal(lead.advanceOffsets(0, 90), Status.deviceNotReady, 'finished at the end of the queue');
      assert.equal(fs[2]!.header.dataUsed, mappings ? 100 : 0);
      assertAllBack(queue, fs);
    }
    // an input pin uses offsetIn (Count = DataUsed)
    const { queue } = setup(0, { dataFlow: DATAFLOW_IN });
    const fs = frames(1, 64, 50);
    queue.add(fs[0]!);
    const lead = queue.getLeadingEdge(LOCKED)!;
    assert.equal(lead.offset, lead.offsetIn);
    assert.equal(lead.offset.count, 50);
    assert.equal(lead.offsetOut.count, 64);
    assert.equal(lead.advanceOffsetsAndUnlock(50, 0), Status.success);
    assert.equal(lead.frame, null);
    assertAllBack(queue, fs);
  });

  it('§9.24 clone: same frame + lock state, +1 ref, context bytes (edges null); edges cannot be deleted; clones enumerate in creation order', () => {
    const { queue } = setup(PinFlags.distinctTrailingEdge);
    const fs = frames(2);
    queue.add(fs[0]!);
    queue.add(fs[1]!);
    const lead = queue.getLeadingEdge(LOCKED)!;
    const trail = queue.getTrailingEdge(UNLOCKED)!;
    assert.equal(lead.context, null);
    assert.equal(trail.context, null);
    lead.advanceOffsets(0, 3);
    const refs = fs[0]!.referenceCount;
    const a = lead.clone(null, 16);
    assert.equal(a.frame, fs[0]);
    assert.equal(a.locked, true, 'same lock state');
    assert.equal(a.offset.remaining, lead.offset.remaining, 'same offsets');
    assert.equal(fs[0]!.referenceCount, refs + 1);
    assert.ok(a.context instanceof Uint8Array);
    assert.equal((a.context as Uint8Array).byteLength, 16);
    lead.unlock(true);
    const b = lead.clone(); // unlocked edge on frame 1
    assert.equal(b.locked, false);
    assert.equal(b.frame, fs[1]);
    assert.equal(b.context, null);
    const c = a.clone(); // a clone of a clone
    assert.equal(c.locked, true);
    assert.equal(queue.getFirstClone(), a);
    assert.equal(a.getNextClone(), b);
    assert.equal(b.getNextClone(), c);
    assert.equal(c.getNextClone(), null);
    assert.equal(lead.getNextClone(), null, 'edges: null');
    assert.throws(() => lead.delete(), StreamError);
    assert.throws(() => trail.delete(), StreamError);
    b.delete();
    assert.equal(a.getNextClone(), c);
    assert.throws(() => b.delete(), StreamError, 'deleted twice');
    assert.throws(() => b.lock(), StreamError, 'use after delete');
    a.delete();
    c.delete();
    assert.equal(queue.getFirstClone(), null);
    lead.advance();
    trail.advance();
    trail.advance();
    assertAllBack(queue, fs);
  });

  it('§9.25 locked frames are not cancellable; each unlocked clone gets its cancel callback; the request waits for their deletion', () => {
    const { queue, host } = setup();
    const fs = frames(3);
    const req = new StreamRequest(fs);
    queue.addRequest(req);
    const lead = queue.getLeadingEdge(LOCKED)!; // frame 0 locked
    const seen: StreamPointer[] = [];
    let deleteInCallback = false;
    const cb = (p: StreamPointer) => {
      seen.push(p);
      if (deleteInCallback) p.delete();
    };
    const locked0 = lead.clone(cb);
    lead.advance(); // frame 1, locked by the edge
    lead.unlock(false);
    const u1 = lead.clone(cb); // unlocked clones on frame 1
    const u1b = lead.clone(cb);
    lead.advance();
    const u2 = lead.clone(cb); // unlocked clone on frame 2
    req.cancel();
    assert.deepEqual(seen, [u1, u1b, u2], 'only unlocked clones, in creation order');
    assert.equal(fs[0]!.cancelled, false, 'locked frame not cancelled');
    assert.equal(fs[1]!.cancelled, true);
    assert.equal(fs[2]!.cancelled, true);
    assert.equal(req.completed, false, 'waits for the clones');
    u1.delete();
    u1b.delete();
    u2.delete();
    assert.equal(req.completed, false, 'frame 0 still locked');
    deleteInCallback = true;
    locked0.unlock(false); // cancellation takes effect now; the (now unlocked) clone gets its callback
    assert.deepEqual(seen, [u1, u1b, u2, locked0]);
    assert.equal(fs[0]!.cancelled, true);
    assert.equal(req.completed, true);
    assert.equal(req.status, Status.cancelled);
    assert.deepEqual(host.completedStatus, [Status.cancelled, Status.cancelled, Status.cancelled]);
    assertAllBack(queue, fs);
  });

  it('§9.26 getIrp/getMdl are null when unlocked; getIrp reports the first/last frame of its request', () => {
    const { queue } = setup();
    const fs = frames(3);
    const req = new StreamRequest(fs);
    queue.addRequest(req);
    const loose = frames(1)[0]!;
    queue.add(loose);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    const flags: IrpFrameFlags = { first: true, last: true };
    assert.equal(lead.getIrp(flags), null);
    assert.equal(lead.getMdl(), null);
    assert.equal(lead.streamHeader, fs[0]!.header, 'the header stays reachable unlocked');
    const seen: [boolean, boolean][] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(lead.lock(), Status.success);
      assert.equal(lead.getIrp(flags), req);
      assert.equal(lead.getMdl(), fs[i]!.data);
      assert.equal(lead.streamHeader, fs[i]!.header);
      seen.push([flags.first, flags.last]);
      lead.unlock(true);
    }
    assert.deepEqual(seen, [
      [true, false],
      [false, false],
      [false, true],
    ]);
    assert.equal(lead.lock(), Status.success);
    assert.equal(lead.getIrp(flags), null, 'a frame without a request');
    assert.equal(flags.first || flags.last, false);
    lead.unlock(true);
    assertAllBack(queue, [...fs, loose]);
  });

  it('§9.27 scheduleTimeout replaces an earlier one; cancelTimeout with none is a no-op; deleted pointers never time out', () => {
    const { queue, scheduler } = setup();
    const fs = frames(1);
    queue.add(fs[0]!);
    const lead = queue.getLeadingEdge(UNLOCKED)!;
    const log: string[] = [];
    const fired = log as readonly string[];
    lead.cancelTimeout(); // no-op
    lead.scheduleTimeout(() => log.push('first'), 100);
    lead.scheduleTimeout((p) => log.push(p === lead ? 'second' : 'wrong'), 200n);
    assert.equal(scheduler.pendingTimers, 1, 'replaced, not added');
    scheduler.advance(150);
    assert.deepEqual(fired, []);
    scheduler.advance(50);
    assert.deepEqual(fired, ['second']);
    lead.cancelTimeout(); // none left: no-op
    const clone = lead.clone();
    clone.scheduleTimeout(() => log.push('clone'), 10);
    clone.delete();
    scheduler.advance(1000);
    assert.deepEqual(fired, ['second'], 'the deleted clone never fired');
    assert.equal(scheduler.pendingTimers, 0);
    lead.scheduleTimeout(() => log.push('cancelled'), 10);
    lead.cancelTimeout();
    scheduler.advance(1000);
    assert.deepEqual(fired, ['second']);
    lead.advance();
    assertAllBack(queue, fs);
  });
});
