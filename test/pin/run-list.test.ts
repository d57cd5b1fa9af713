import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

// docs/processing.md "Deferred arrival triggers (the run list)".

type Log = string[];

/** A routine that consumes every frame ahead (one per call, SUCCESS while frames remain) and logs its calls. */
function consumer(name: string, log: Log, opts: { throwAt?: number } = {}) {
  let calls = 0;
  return (pin: Pin) => {
    calls++;
    if (opts.throwAt === calls) throw new Error(`${name} threw`);
    const lead = pin.getLeadingEdge(StreamPointerState.locked);
    if (lead === null) {
      log.push(`${name}:empty`);
      return Status.pending;
    }
    log.push(`${name}:${String(lead.frame!.context)}`);
    lead.unlock(true);
    return Status.success;
  };
}

/** Two pins in a chain: frames added to `a` (output, source) complete into `b` (input of the next filter). */
function chain(log: Log, bFlags = 0, bOpts: { throwAt?: number } = {}) {
  const fa = makeFilter([
    pinDescriptor({
      dataFlow: DataFlow.out,
      communication: Communication.source,
      dispatch: { process: consumer('a', log) },
    }),
  ]);
  const fb = makeFilter([pinDescriptor({ flags: bFlags, dispatch: { process: consumer('b', log, bOpts) } })]);
  const a = fa.filter.createPin(0, streamFormat);
  const b = fb.filter.createPin(0, streamFormat);
  connectPins(a, b);
  b.setState(KsState.run);
  return { a, b, workA: fa.work, workB: fb.work };
}

describe('deferred arrival triggers (run list)', () => {
  it('an arrival trigger raised inside another pin’s Process runs after that routine returns, once, for the burst', () => {
    const log: Log = [];
    const { a, b } = chain(log);
    const c = new Collector();
    c.feed(a, 3); // a is in STOP: no trigger yet
    a.setState(KsState.run); // state rise: a processes its three frames; b's trigger waits for a's run to end
    assert.deepEqual(log, ['a:0', 'a:1', 'a:2', 'b:0', 'b:1', 'b:2']);
    assert.deepEqual(c.statuses, [Status.success, Status.success, Status.success]);
    assert.equal(b.queue!.length, 0);
  });

  it('the run list is drained before the outermost call returns (attemptProcessing from user code runs inline)', () => {
    const log: Log = [];
    const { a, b } = chain(log);
    a.setState(KsState.run);
    const c = new Collector();
    // adding into a's empty queue from user code (no routine running) triggers a inline, and b before add returns
    c.feed(a, 1);
    assert.deepEqual(log, ['a:0', 'b:0']);
    log.length = 0;
    // attemptProcessing from user code outside any routine runs inline too (a calls Process even without frames)
    b.attemptProcessing();
    assert.deepEqual(log, ['b:empty']);
    assert.equal(c.returned.length, 1);
  });

  it('an arrival into a non-empty queue of a deferred pin adds no second run', () => {
    const log: Log = [];
    const pend: Log = [];
    // b pends after each frame: one run per trigger is visible in the log
    const fa = makeFilter([
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: { process: consumer('a', log) },
      }),
    ]);
    const fb = makeFilter([
      pinDescriptor({
        dispatch: {
          process: (pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            pend.push(`b:${String(lead.frame!.context)}`);
            lead.unlock(true);
            return Status.pending;
          },
        },
      }),
    ]);
    const a = fa.filter.createPin(0, streamFormat);
    const b = fb.filter.createPin(0, streamFormat);
    connectPins(a, b);
    b.setState(KsState.run);
    const c = new Collector();
    c.feed(a, 3);
    a.setState(KsState.run);
    // three frames reached b during a's run: one trigger (the first, into the empty queue), one run, which pends
    assert.deepEqual(pend, ['b:0']);
    assert.equal(b.queue!.length, 2);
    b.attemptProcessing();
    b.attemptProcessing();
    assert.deepEqual(pend, ['b:0', 'b:1', 'b:2']);
    assert.equal(c.returned.length, 3);
  });

  it('INITIATE_PROCESSING_ON_EVERY_ARRIVAL pins are not deferred: every arrival still runs Process inline', () => {
    const log: Log = [];
    const { a, b } = chain(log, PinFlags.initiateProcessingOnEveryArrival);
    const c = new Collector();
    c.feed(a, 2);
    a.setState(KsState.run);
    assert.deepEqual(log, ['a:0', 'b:0', 'a:1', 'b:1']);
    assert.equal(b.queue!.length, 0);
    assert.equal(c.returned.length, 2);
  });

  it('a deferred pin that stopped meanwhile does not run', () => {
    const log: Log = [];
    const fa = makeFilter([
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: {
          process: (pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            log.push('a');
            lead.unlock(true);
            // the routine closes b's AND gate after b's trigger was deferred
            b.andGate.addOffInput();
            return Status.pending;
          },
        },
      }),
    ]);
    const fb = makeFilter([pinDescriptor({ dispatch: { process: consumer('b', log) } })]);
    const a = fa.filter.createPin(0, streamFormat);
    const b = fb.filter.createPin(0, streamFormat);
    connectPins(a, b);
    b.setState(KsState.run);
    const c = new Collector();
    c.feed(a, 1);
    a.setState(KsState.run);
    assert.deepEqual(log, ['a']);
    assert.equal(b.queue!.length, 1);
    b.andGate.removeOffInput();
    b.attemptProcessing();
    assert.deepEqual(log, ['a', 'b:0']);
    assert.equal(c.returned.length, 1);
  });

  it('a deferred routine that throws: the error reaches the outermost caller; waiting triggers become async attempts', () => {
    const log: Log = [];
    // a → b, and a second chain a2 → b2 whose trigger waits behind b's
    const { a, b } = chain(log, 0, { throwAt: 1 });
    const second = chain(log);
    const c = new Collector();
    c.feed(a, 1);
    c.feed(second.a, 1);
    // a routine of a third pin completes frames into both chains from inside its own run
    const fx = makeFilter([
      pinDescriptor({
        dispatch: {
          process: () => {
            log.push('x');
            a.setState(KsState.run); // a runs inline (a state rise), b is deferred
            second.a.setState(KsState.run); // a2 runs inline, b2 is deferred behind b
            return Status.pending;
          },
        },
      }),
    ]);
    const x = fx.filter.createPin(0, streamFormat);
    x.setState(KsState.run);
    assert.throws(() => x.attemptProcessing(), /b threw/);
    assert.deepEqual(log, ['x', 'a:0', 'a:1']);
    // b threw on its deferred run (its frame stays queued); b2's waiting trigger became a work item
    assert.equal(b.isProcessing, false);
    assert.equal(b.queue!.length, 1);
    assert.equal(second.b.queue!.length, 1);
    assert.equal(second.workB.pending, 1);
    second.workB.runAll();
    assert.equal(second.b.queue!.length, 0);
    assert.deepEqual(log.slice(3), ['b:1']);
    b.attemptProcessing(); // throwAt was the first call only
    assert.deepEqual(log.slice(4), ['b:0']);
    assert.equal(b.queue!.length, 0);
    assert.equal(c.returned.length, 2);
  });

  it('frames returning inside a routine are freed at once; the requester refills once, in a burst, after it returns', () => {
    const seen = {
      freeInside: [] as number[],
      sourceQueueInside: [] as number[],
      sourceQueueAtProduce: [] as number[],
      produced: 0,
    };
    let src: Pin | null = null;
    const allocator = createDefaultAllocator();
    const fa = makeFilter([
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: {
          process: (pin) => {
            if (seen.produced >= 6) return Status.pending;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            seen.produced++;
            seen.sourceQueueAtProduce.push(pin.queue!.length);
            lead.frame!.header.dataUsed = 4;
            lead.unlock(true);
            return Status.success;
          },
        },
      }),
    ]);
    const fb = makeFilter([
      pinDescriptor({
        dispatch: {
          process: (pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            lead.unlock(true); // the frame leaves the circuit: back to the requester
            seen.freeInside.push(allocator.outstanding);
            seen.sourceQueueInside.push(src!.queue!.length);
            return Status.success;
          },
        },
      }),
    ]);
    src = fa.filter.createPin(0, streamFormat);
    const snk = fb.filter.createPin(0, streamFormat);
    connectPins(src, snk);
    allocator.initialize(null, {
      optionsFlags: 0,
      poolType: PoolType.nonPagedPool,
      frames: 3,
      frameSize: 16,
      fileAlignment: FileAlignment.long,
      reserved: 0,
    });
    setPipeSource(src, allocator);
    snk.setState(KsState.run);
    src.setState(KsState.run); // the source produces 3, the sink consumes 3, the requester refills 3, …
    assert.equal(seen.produced, 6);
    // inside the sink's burst each returned frame is already free, and no refill has entered the source's queue
    assert.deepEqual(seen.freeInside, [2, 1, 0, 2, 1, 0]);
    assert.deepEqual(seen.sourceQueueInside, [0, 0, 0, 0, 0, 0]);
    // the refill is one burst: the source's next run finds all three refilled frames queued (not one run per frame)
    assert.deepEqual(seen.sourceQueueAtProduce, [3, 2, 1, 3, 2, 1]);
    // after the outermost call the source's queue is full again (the source pends: its budget is used)
    assert.equal(src.queue!.length, 3);
    assert.equal(allocator.outstanding, 3);
    snk.setState(KsState.stop);
    src.setState(KsState.stop);
    assert.equal(allocator.outstanding, 0);
  });
});
