import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StreamError } from '../../src/errors.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { type Frame, FrameState } from '../../src/stream/frame.js';
import { DATAFLOW_IN, DATAFLOW_OUT, Queue, type QueueHost } from '../../src/stream/queue.js';
import { ManualScheduler } from '../../src/stream/scheduler.js';
import { type StreamPointer, StreamPointerState } from '../../src/stream/stream-pointer.js';
import { StreamRequest } from '../../src/stream/stream-request.js';
import { frames } from './helpers.js';

type Op =
  | { t: 'arrive'; n: number; req: boolean }
  | { t: 'lock'; p: number }
  | { t: 'unlock'; p: number; eject: boolean }
  | { t: 'advance'; p: number }
  | { t: 'offsets'; p: number; a: number; b: number; eject: boolean; andUnlock: boolean }
  | { t: 'clone'; p: number; cb: number }
  | { t: 'delete'; p: number }
  | { t: 'cancel'; r: number }
  | { t: 'timeout'; p: number; interval: number }
  | { t: 'cancelTimeout'; p: number }
  | { t: 'tick'; d: number }
  | { t: 'resetBegin' }
  | { t: 'resetEnd' }
  | { t: 'flush' }
  | { t: 'state'; s: number }
  | { t: 'edge'; trailing: boolean; locked: boolean };

const p = fc.nat({ max: 9 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ t: fc.constant('arrive' as const), n: fc.integer({ min: 1, max: 3 }), req: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('lock' as const), p }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('unlock' as const), p, eject: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), p }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('offsets' as const),
      p,
      a: fc.nat({ max: 10 }),
      b: fc.nat({ max: 10 }),
      eject: fc.boolean(),
      andUnlock: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('clone' as const), p, cb: fc.nat({ max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('delete' as const), p }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel' as const), r: fc.nat({ max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('timeout' as const), p, interval: fc.nat({ max: 50 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancelTimeout' as const), p }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), d: fc.nat({ max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'resetBegin' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'resetEnd' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('state' as const), s: fc.nat({ max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('edge' as const), trailing: fc.boolean(), locked: fc.boolean() }),
  },
);

class ModelHost implements QueueHost {
  deviceState: KsStateValue = KsState.run;
  /** frames in flight (added, not yet completed) */
  readonly inFlight = new Set<Frame>();
  readonly completionOrder: number[] = [];
  readonly requestsCompleted = new Set<StreamRequest>();
  arrival = new Map<Frame, number>();
  /** frames whose cancellation was asked (their request cancelled, a reset or a flush) in this pass */
  readonly cancelAllowed = new Set<Frame>();
  /** requests with a frame that completed cancelled */
  readonly requestHadCancelledFrame = new Set<StreamRequest>();
  constructor(
    readonly flags: number,
    readonly dataFlow: number,
  ) {}
  _onArrival(): void {}
  _onFrameComplete(frame: Frame): void {
    assert.ok(this.inFlight.has(frame), 'a frame completes once per pass');
    assert.equal(frame.state, FrameState.idle);
    this.inFlight.delete(frame);
    this.completionOrder.push(this.arrival.get(frame)!);
    if (frame.cancelled) {
      assert.ok(this.cancelAllowed.has(frame), 'only frames whose cancellation was asked are cancelled');
      assert.equal(frame.status, Status.cancelled);
      if (frame.request !== null) this.requestHadCancelledFrame.add(frame.request);
    } else assert.equal(frame.status, Status.success);
    this.cancelAllowed.delete(frame);
  }
  _onStreamRequestComplete(request: StreamRequest): void {
    assert.ok(!this.requestsCompleted.has(request), 'a request completes once');
    for (const f of request.frames) {
      if (f.request === request) assert.ok(!this.inFlight.has(f), 'a request completes after its last frame');
    }
    this.requestsCompleted.add(request);
    assert.equal(
      request.status,
      this.requestHadCancelledFrame.has(request) ? Status.cancelled : Status.success,
      'a request completes cancelled exactly when one of its frames was cancelled',
    );
  }
}

export function run(flags: number, dataFlow: number, ops: Op[]): void {
  const host = new ModelHost(flags, dataFlow);
  const scheduler = new ManualScheduler();
  const queue = new Queue(host, { scheduler });
  const pool = frames(10, 8, 8);
  const requests: StreamRequest[] = [];
  const clones: StreamPointer[] = [];
  const deleted = new Set<StreamPointer>();
  const lastSeen = new Map<StreamPointer, number>();
  let arrivalNo = 0;
  let runSchedules = 0; // timeouts scheduled in RUN so far
  const scheduledAt = new Map<StreamPointer, { inRun: boolean; runSchedules: number }>();
  const fifo = (flags & PinFlags.enforceFifo) !== 0;

  const lead = queue.getLeadingEdge(StreamPointerState.unlocked)!;
  const trail = queue.getTrailingEdge(StreamPointerState.unlocked);

  const pointer = (i: number): StreamPointer => {
    if (i === 0) return lead;
    if (i === 1) return trail ?? lead;
    return clones.length === 0 ? lead : clones[(i - 2) % clones.length]!;
  };
  const removeClone = (c: StreamPointer) => {
    const i = clones.indexOf(c);
    if (i >= 0) clones.splice(i, 1);
    deleted.add(c);
  };
  const deletingCallback = (c: StreamPointer) => {
    assert.ok(!c.locked, 'cancel callbacks reach unlocked clones only');
    removeClone(c);
    c.delete();
  };
  const passiveCallback = (c: StreamPointer) => {
    assert.ok(!c.locked, 'cancel callbacks reach unlocked clones only');
  };
  const advancingCallback = (c: StreamPointer) => {
    assert.ok(!c.locked, 'cancel callbacks reach unlocked clones only');
    const from = c.frame;
    assert.equal(c.advance(), Status.success);
    assert.notEqual(c.frame, from, 'moved off the cancelled frame');
  };
  const onTimeout = (ptr: StreamPointer) => {
    assert.ok(!deleted.has(ptr), 'deleted pointers never time out');
    const at = scheduledAt.get(ptr)!;
    assert.ok(
      at.inRun || runSchedules > at.runSchedules,
      'a timeout scheduled below RUN waits for one scheduled in RUN',
    );
    scheduledAt.delete(ptr);
  };

  const check = (op: Op, leadBefore: Frame | null): void => {
    // forward only
    for (const ptr of [lead, trail, ...clones]) {
      if (ptr === null || ptr.frame === null) continue;
      const n = host.arrival.get(ptr.frame)!;
      assert.ok(n >= (lastSeen.get(ptr) ?? -1), 'stream pointers move forward only');
      lastSeen.set(ptr, n);
      if (ptr.locked) assert.ok(!ptr.frame.cancelled, 'a locked pointer is never on a cancelled frame');
    }
    // the leading edge moves by itself only on arrival into an empty queue or cancellation of its frame
    const leadOp = 'p' in op && pointer(op.p) === lead;
    const leadEdgeOp = op.t === 'edge' && !op.trailing;
    if (!leadOp && !leadEdgeOp && lead.frame !== leadBefore) {
      const ok = (op.t === 'arrive' && leadBefore === null) || leadBefore?.cancelled === true;
      assert.ok(ok, `leading edge moved by itself on ${op.t}`);
    }
    // reference counts: pointers on the frame + the queue hold
    const release = trail ?? lead;
    const releaseNo = release.frame === null ? Number.POSITIVE_INFINITY : host.arrival.get(release.frame)!;
    for (const f of host.inFlight) {
      let expected = 0;
      for (const ptr of [lead, trail, ...clones]) if (ptr !== null && ptr.frame === f) expected++;
      if (!f.cancelled && host.arrival.get(f)! >= releaseNo) expected++;
      assert.equal(f.referenceCount, expected, 'reference count = pointers on the frame + queue hold');
      if (expected > 0) assert.equal(f.state, FrameState.queued);
      else {
        assert.equal(f.state, FrameState.done, 'at zero references a frame is done (waiting for FIFO order)');
        assert.ok(fifo, 'without ENFORCE_FIFO a frame at zero references has completed');
      }
    }
    assert.equal(queue.length, host.inFlight.size);
    for (const f of host.inFlight) {
      if (f.cancelled) assert.ok(host.cancelAllowed.has(f), 'only frames whose cancellation was asked are cancelled');
    }
    const mustCancel = (f: Frame) =>
      assert.ok(f.cancelled || f.locked || f.state === FrameState.done, 'an unlocked frame is cancelled at once');
    if (op.t === 'resetBegin' || op.t === 'flush') for (const f of host.inFlight) mustCancel(f);
    if (op.t === 'cancel') {
      const r = requests[op.r % Math.max(1, requests.length)];
      if (r !== undefined) for (const f of host.inFlight) if (f.request === r) mustCancel(f);
    }
    for (const r of requests) {
      if (r.completed) assert.ok(host.requestsCompleted.has(r), 'completion reported to the host');
      else {
        const pending = r.frames.some((f) => f.request === r && host.inFlight.has(f));
        assert.ok(pending, 'a request not complete still has a frame in flight');
      }
    }
    if (fifo) {
      for (let i = 1; i < host.completionOrder.length; i++) {
        assert.ok(host.completionOrder[i]! > host.completionOrder[i - 1]!, 'ENFORCE_FIFO completes in arrival order');
      }
    }
  };

  for (const o of ops) {
    const leadBefore = lead.frame;
    switch (o.t) {
      case 'arrive': {
        const idle = pool.filter((f) => f.state === FrameState.idle).slice(0, o.n);
        if (idle.length === 0) break;
        for (const f of idle) f.reset().header.dataUsed = 8;
        if (queue.resetting) {
          assert.throws(
            () => (o.req ? queue.addRequest(new StreamRequest(idle)) : queue.add(idle[0]!)),
            (e: unknown) => e instanceof StreamError && e.status === Status.deviceNotReady,
          );
          break;
        }
        const batch = o.req ? idle : idle.slice(0, 1);
        for (const f of batch) {
          host.arrival.set(f, arrivalNo++);
          host.inFlight.add(f);
        }
        if (o.req) {
          const r = new StreamRequest(batch);
          requests.push(r);
          queue.addRequest(r);
        } else queue.add(batch[0]!);
        break;
      }
      case 'lock': {
        const ptr = pointer(o.p);
        const f = ptr.frame;
        const s = ptr.lock();
        if (f === null || f.cancelled) assert.equal(s, Status.deviceNotReady);
        else assert.equal(s, Status.success);
        break;
      }
      case 'unlock': {
        const ptr = pointer(o.p);
        if (ptr.locked) ptr.unlock(o.eject);
        else assert.throws(() => ptr.unlock(o.eject), StreamError);
        break;
      }
      case 'advance': {
        const ptr = pointer(o.p);
        const wasLocked = ptr.locked;
        const s = ptr.advance();
        if (!wasLocked) assert.equal(s, Status.success, 'unlocked advance always succeeds');
        else if (s !== Status.success) assert.equal(ptr.locked, false);
        break;
      }
      case 'offsets': {
        const ptr = pointer(o.p);
        if (!ptr.locked) {
          assert.equal(ptr.advanceOffsets(0, 0), Status.deviceNotReady);
          break;
        }
        const a = Math.min(o.a, ptr.offsetIn.remaining);
        const b = Math.min(o.b, ptr.offsetOut.remaining);
        assert.throws(() => ptr.advanceOffsets(ptr.offsetIn.remaining + 1, 0), RangeError);
        if (o.andUnlock) {
          ptr.advanceOffsetsAndUnlock(a, b, o.eject);
          assert.equal(ptr.locked, false);
        } else ptr.advanceOffsets(a, b, o.eject);
        break;
      }
      case 'clone': {
        const src = pointer(o.p);
        const callbacks = [null, deletingCallback, passiveCallback, advancingCallback] as const;
        const c = src.clone(callbacks[o.cb] ?? null, 4);
        assert.equal(c.frame, src.frame);
        assert.equal(c.locked, src.locked);
        clones.push(c);
        break;
      }
      case 'delete': {
        const ptr = pointer(o.p);
        if (!ptr.isClone) {
          assert.throws(() => ptr.delete(), StreamError);
          break;
        }
        removeClone(ptr);
        ptr.delete();
        break;
      }
      case 'cancel': {
        const r = requests[o.r % Math.max(1, requests.length)];
        if (r !== undefined) for (const f of host.inFlight) if (f.request === r) host.cancelAllowed.add(f);
        r?.cancel();
        break;
      }
      case 'timeout': {
        const ptr = pointer(o.p);
        const inRun = host.deviceState === KsState.run;
        if (inRun) runSchedules++;
        scheduledAt.set(ptr, { inRun, runSchedules });
        ptr.scheduleTimeout(onTimeout, o.interval);
        break;
      }
      case 'cancelTimeout':
        pointer(o.p).cancelTimeout();
        scheduledAt.delete(pointer(o.p));
        break;
      case 'tick':
        scheduler.advance(o.d);
        break;
      case 'resetBegin':
        for (const f of host.inFlight) host.cancelAllowed.add(f);
        queue.resetBegin();
        break;
      case 'resetEnd':
        queue.resetEnd();
        break;
      case 'flush':
        for (const f of host.inFlight) host.cancelAllowed.add(f);
        queue.flush();
        break;
      case 'state':
        host.deviceState = o.s as KsStateValue;
        break;
      case 'edge': {
        const state = o.locked ? StreamPointerState.locked : StreamPointerState.unlocked;
        const edge = o.trailing ? queue.getTrailingEdge(state) : queue.getLeadingEdge(state);
        if (o.trailing && trail === null) assert.equal(edge, null);
        else if (o.locked) {
          const e = o.trailing ? trail! : lead;
          assert.equal(edge, e.frame === null ? null : e);
          if (edge !== null) assert.equal(edge.locked, true);
        } else assert.equal(edge?.locked, false);
        break;
      }
    }
    check(o, leadBefore);
  }

  // STOP: flush, the owner deletes its clones; every frame comes back
  for (const f of host.inFlight) host.cancelAllowed.add(f);
  queue.flush();
  for (const c of [...clones]) {
    if (c.deleted) continue; // a cancel callback deleted it meanwhile
    removeClone(c);
    c.delete();
  }
  scheduler.runAll();
  assert.equal(host.inFlight.size, 0, 'every frame back after flush');
  assert.equal(queue.length, 0);
  for (const f of pool) assert.equal(f.state, FrameState.idle);
  for (const r of requests) assert.ok(r.completed && host.requestsCompleted.has(r));
  assert.equal(queue.cloneCount, 0);
}

describe('stream queue model (fast-check)', () => {
  it('random arrivals / lock / unlock / advance / offsets / clone / delete / cancel / timeout / reset / flush keep every invariant', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.array(op, { maxLength: 80 }),
        (fifo, trailing, mappings, input, ops) => {
          const flags =
            (fifo ? PinFlags.enforceFifo : 0) |
            (trailing ? PinFlags.distinctTrailingEdge : 0) |
            (mappings ? PinFlags.generateMappings : 0);
          run(flags, input ? DATAFLOW_IN : DATAFLOW_OUT, ops);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
