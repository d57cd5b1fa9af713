import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcessPinIndexEntry } from '../../src/filter/process-pin.js';
import { Gate } from '../../src/pin/gate.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

type Body = (index: readonly ProcessPinIndexEntry[]) => number;

function fcFilter(pins: PinDescriptorEx[], body: Body) {
  const log = { calls: 0, depth: 0, maxDepth: 0, resets: 0 };
  const made = makeFilter(pins, {
    process: (_f, index) => {
      log.calls++;
      log.depth++;
      log.maxDepth = Math.max(log.maxDepth, log.depth);
      try {
        return body(index);
      } finally {
        log.depth--;
      }
    },
    reset: () => {
      log.resets++;
    },
  });
  return { ...made, log, frames: new Collector() };
}

/** Uses every available byte of every pin that has a frame. */
const useAll: Body = (index) => {
  for (const e of index) for (const pp of e.pins) pp.bytesUsed = pp.bytesAvailable;
  return Status.success;
};

const input = (over: Partial<PinDescriptorEx> = {}) => pinDescriptor({ instancesPossible: 4, ...over });
const output = (over: Partial<PinDescriptorEx> = {}) =>
  pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source, instancesPossible: 4, ...over });

describe('filter-centric processing', () => {
  it('the process-pin index is ordered by pin id with {pins, count}; pin process routines are ignored', () => {
    let pinProcess = 0;
    let seen: Array<[number, number]> = [];
    const { filter, frames } = fcFilter(
      [
        input({
          dispatch: {
            process: () => {
              pinProcess++;
              return Status.success;
            },
          },
        }),
        output(),
      ],
      (index) => {
        seen = index.map((e) => [e.count, e.pins.length]);
        return useAll(index);
      },
    );
    assert.equal(filter.filterCentric, true);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(0, streamFormat);
    const o = filter.createPin(1, streamFormat);
    assert.equal(filter.processPinIndex[0]!.pins[1]!.pin, b);
    for (const p of [a, b, o]) p.setState(KsState.pause);
    frames.feed(a, 1);
    frames.feed(b, 1);
    assert.equal(seen.length, 0, 'the output pin has no frame yet');
    frames.feed(o, 1);
    assert.deepEqual(seen, [
      [2, 2],
      [1, 1],
    ]);
    assert.equal(pinProcess, 0);
    assert.equal(frames.outstanding, 0);
  });

  it('bytesUsed advances the leading edge; a partly used frame stays; terminate forwards it; output DataUsed = bytes produced', () => {
    const plan: Array<[number, number, boolean]> = [
      [4, 3, false],
      [4, 3, true],
    ];
    const seen: Array<[number, number]> = [];
    const { filter, frames } = fcFilter([input(), output()], (index) => {
      const step = plan.shift();
      if (!step) return Status.pending;
      const inp = index[0]!.pins[0]!;
      const out = index[1]!.pins[0]!;
      seen.push([inp.bytesAvailable, out.bytesAvailable]);
      out.data!.set(inp.data!.subarray(0, step[1]));
      inp.bytesUsed = step[0];
      out.bytesUsed = step[1];
      out.terminate = step[2];
      return Status.success;
    });
    const i = filter.createPin(0, streamFormat);
    const o = filter.createPin(1, streamFormat);
    i.setState(KsState.pause);
    o.setState(KsState.pause);
    const inFrame = frames.frame(8);
    inFrame.data!.set([1, 2, 3, 4, 5, 6, 7, 8]);
    i.queue!.add(inFrame);
    const [outFrame] = frames.feed(o, 1, 16);
    assert.deepEqual(seen, [
      [8, 16],
      [4, 13],
    ]);
    assert.deepEqual(frames.returned, [inFrame, outFrame]);
    assert.equal(outFrame!.header.dataUsed, 6);
    assert.deepEqual([...outFrame!.data!.subarray(0, 6)], [1, 2, 3, 5, 6, 7]);
  });

  it('FRAMES_NOT_REQUIRED_FOR_PROCESSING: that pin does not gate; a state change can trigger', () => {
    const { filter, log } = fcFilter(
      [output({ flags: PinFlags.framesNotRequiredForProcessing })],
      () => Status.pending,
    );
    const o = filter.createPin(0, streamFormat);
    o.setState(KsState.acquire);
    assert.equal(log.calls, 0);
    o.setState(KsState.pause);
    assert.equal(log.calls, 1);
  });

  it('SOME_FRAMES_REQUIRED_FOR_PROCESSING: one instance with frames is enough (implicit OR gate)', () => {
    const { filter, log, frames } = fcFilter([input({ flags: PinFlags.someFramesRequiredForProcessing })], useAll);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(0, streamFormat);
    assert.throws(() => a.attachOrGate(Gate.or()), /SOME_FRAMES_REQUIRED/);
    a.setState(KsState.pause);
    b.setState(KsState.pause);
    assert.equal(log.calls, 0);
    assert.equal(filter.andGate.isOpen, false);
    frames.feed(b, 1);
    assert.equal(log.calls, 1);
    assert.equal(frames.outstanding, 0);
    a.setState(KsState.stop);
    b.setState(KsState.stop);
    assert.equal(filter.andGate.isOpen, true, 'the implicit OR gate is detached when no instance is active');
  });

  it('without flags every frame-requiring pin must have a frame (the filter AND gate)', () => {
    const { filter, log, frames } = fcFilter([input(), input()], useAll);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(1, streamFormat);
    a.setState(KsState.pause);
    b.setState(KsState.pause);
    frames.feed(a, 2);
    assert.equal(log.calls, 0);
    frames.feed(b, 1);
    assert.equal(log.calls, 1, 'b ran dry after one call');
    frames.feed(b, 1);
    assert.equal(log.calls, 2);
    assert.equal(frames.outstanding, 0);
  });

  it('an attached OR gate: either pin with frames opens the filter; the filter AND gate closes everything', () => {
    const { filter, log, frames } = fcFilter([input(), input()], useAll);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(1, streamFormat);
    const or = Gate.or(filter.andGate);
    a.attachOrGate(or);
    b.attachOrGate(or);
    a.setState(KsState.pause);
    b.setState(KsState.pause);
    frames.feed(b, 1);
    assert.equal(log.calls, 1);
    filter.andGate.turnInputOff();
    frames.feed(a, 1);
    filter.attemptProcessing();
    assert.equal(log.calls, 1);
    filter.andGate.turnInputOn();
    filter.attemptProcessing();
    assert.equal(log.calls, 2);
    assert.equal(frames.outstanding, 0);
    assert.throws(() => a.attachOrGate(null), /STOP/);
  });

  it('instancesNecessary: enough instances at the minimum state are needed; extra STOPped instances do not block', () => {
    const { filter, log, frames } = fcFilter(
      [input({ instancesNecessary: 1, flags: PinFlags.framesNotRequiredForProcessing })],
      () => Status.pending,
    );
    const a = filter.createPin(0, streamFormat);
    filter.createPin(0, streamFormat); // stays in STOP
    a.setState(KsState.pause);
    assert.equal(log.calls, 1, 'the state change triggers: the STOPped second instance does not block');
    frames.feed(a, 1);
    assert.equal(log.calls, 2);
    filter.attemptProcessing();
    assert.equal(log.calls, 3);
    a.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('PROCESS_IN_RUN_STATE_ONLY blocks the filter unless RUN; PROCESS_IF_ANY_IN_RUN_STATE needs one flagged pin in RUN', () => {
    const f1 = fcFilter(
      [input({ flags: PinFlags.framesNotRequiredForProcessing | PinFlags.processInRunStateOnly })],
      () => Status.pending,
    );
    const p = f1.filter.createPin(0, streamFormat);
    p.setState(KsState.pause);
    f1.filter.attemptProcessing();
    assert.equal(f1.log.calls, 0);
    p.setState(KsState.run);
    assert.equal(f1.log.calls, 1);

    const flags = PinFlags.framesNotRequiredForProcessing | PinFlags.processIfAnyInRunState;
    const f2 = fcFilter([input({ flags }), input({ flags })], () => Status.pending);
    const a = f2.filter.createPin(0, streamFormat);
    const b = f2.filter.createPin(1, streamFormat);
    a.setState(KsState.pause);
    b.setState(KsState.pause);
    f2.filter.attemptProcessing();
    assert.equal(f2.log.calls, 0);
    b.setState(KsState.run);
    assert.equal(f2.log.calls, 1);
  });

  it('§9.14 filter-process errors act as PENDING; SUCCESS re-invokes while conditions hold', () => {
    let status: number = Status.unsuccessful;
    const { filter, log, frames } = fcFilter([input()], (index) => {
      if (status === Status.success) useAll(index);
      return status;
    });
    const a = filter.createPin(0, streamFormat);
    a.setState(KsState.pause);
    frames.feed(a, 1);
    frames.feed(a, 2);
    assert.equal(log.calls, 1);
    status = Status.success;
    filter.attemptProcessing();
    assert.equal(log.calls, 4);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.14 an error or PENDING that consumed a frame still stops the loop (no re-invoke although frames remain)', () => {
    for (const status of [Status.unsuccessful, Status.pending]) {
      const { filter, log, frames } = fcFilter([input()], (index) => {
        useAll(index);
        return status;
      });
      const a = filter.createPin(0, streamFormat);
      a.setState(KsState.acquire);
      frames.feed(a, 3);
      a.setState(KsState.pause);
      assert.equal(log.calls, 1, `status ${status}: one call, then stop`);
      assert.equal(frames.outstanding, 2);
      filter.attemptProcessing();
      assert.equal(log.calls, 2);
      a.setState(KsState.stop);
      assert.equal(frames.outstanding, 0);
    }
  });

  it('a filter process is never re-entered; async attempts never run inline', () => {
    const { filter, log, frames, work } = fcFilter([input()], (index) => {
      if (log.calls === 1) filter.attemptProcessing();
      return useAll(index);
    });
    const a = filter.createPin(0, streamFormat);
    a.setState(KsState.pause);
    frames.feed(a, 1);
    assert.equal(log.maxDepth, 1);
    filter.attemptProcessing({ async: true });
    const before = log.calls;
    assert.equal(work.pending, 1);
    work.runAll();
    assert.equal(log.calls, before);
    assert.equal(filter.canProcess, false, 'no frame: the AND gate is closed');
    frames.feed(a, 1);
    assert.equal(frames.outstanding, 0);
  });

  it('KsProcessPinUpdate: consumes several frames in one call; false when no frame is left and in STOP', () => {
    const seen: number[] = [];
    const made = fcFilter([input()], (index) => {
      const pp = index[0]!.pins[0]!;
      for (;;) {
        seen.push(pp.bytesAvailable);
        pp.bytesUsed = pp.bytesAvailable;
        if (!made.filter.processPinUpdate(pp)) break;
      }
      return Status.pending;
    });
    const { filter, log, frames } = made;
    const a = filter.createPin(0, streamFormat);
    a.setState(KsState.acquire);
    frames.feed(a, 3, 8);
    a.setState(KsState.pause);
    assert.equal(log.calls, 1);
    assert.deepEqual(seen, [8, 8, 8]);
    assert.equal(frames.outstanding, 0);
    a.setState(KsState.stop);
    assert.equal(filter.processPinUpdate(filter.processPinIndex[0]!.pins[0]!), false);
    assert.throws(() => filter.processPinUpdate({} as never), TypeError);
  });

  it('a throwing Process leaves the edges unlocked and the filter usable', () => {
    let fail = true;
    const { filter, log, frames } = fcFilter([input()], (index) => {
      if (fail) throw new Error('boom');
      return useAll(index);
    });
    const a = filter.createPin(0, streamFormat);
    a.setState(KsState.pause);
    assert.throws(() => frames.feed(a, 1), /boom/);
    assert.equal(a.queue!.leadingEdge.locked, false);
    assert.equal(filter.isProcessing, false);
    fail = false;
    filter.attemptProcessing();
    assert.equal(log.calls, 2);
    assert.equal(frames.outstanding, 0);
  });

  it('filter-centric arrivals: DO_NOT_INITIATE pins never trigger, ON_EVERY_ARRIVAL pins trigger on each frame', () => {
    const quiet = fcFilter([input({ flags: PinFlags.doNotInitiateProcessing })], () => Status.pending);
    const q = quiet.filter.createPin(0, streamFormat);
    q.setState(KsState.pause);
    const callsAfterRise = quiet.log.calls;
    quiet.frames.feed(q, 2);
    assert.equal(quiet.log.calls, callsAfterRise, 'arrivals do not trigger');
    quiet.filter.attemptProcessing();
    assert.equal(quiet.log.calls, callsAfterRise + 1);
    q.setState(KsState.stop);

    const eager = fcFilter([input({ flags: PinFlags.initiateProcessingOnEveryArrival })], () => Status.pending);
    const e = eager.filter.createPin(0, streamFormat);
    e.setState(KsState.pause);
    eager.frames.feed(e, 3);
    assert.equal(eager.log.calls, 3);
    e.setState(KsState.stop);
    assert.equal(eager.frames.outstanding, 0);
  });

  it('SPLITTER: extra output instances are automatic copy branches (CopySource set, DelegateBranch null) that receive copies', () => {
    const { filter, frames, log } = fcFilter(
      [input(), output({ flags: PinFlags.splitter, instancesPossible: 3 })],
      (index) => {
        const inp = index[0]!.pins[0]!;
        const outs = index[1]!.pins;
        assert.equal(outs[0]!.copySource, null);
        for (const branch of outs.slice(1)) {
          assert.equal(branch.copySource, outs[0]);
          assert.equal(branch.delegateBranch, null, 'DelegateBranch is for branches sharing the frames (no copy)');
        }
        const n = Math.min(inp.bytesAvailable, outs[0]!.bytesAvailable);
        outs[0]!.data!.set(inp.data!.subarray(0, n));
        outs[0]!.bytesUsed = n;
        outs[0]!.terminate = true;
        // The driver stamps its own output; the branches copy the stamp with the bytes.
        outs[0]!.streamPointer!.streamHeader!.presentationTime.time =
          inp.streamPointer!.streamHeader!.presentationTime.time;
        inp.bytesUsed = n;
        return Status.success;
      },
    );
    const i = filter.createPin(0, streamFormat);
    const o1 = filter.createPin(1, streamFormat);
    const o2 = filter.createPin(1, streamFormat);
    const o3 = filter.createPin(1, streamFormat);
    for (const p of [i, o1, o2, o3]) p.setState(KsState.pause);
    const outs = [frames.feed(o1, 1, 8)[0]!, frames.feed(o2, 1, 8)[0]!, frames.feed(o3, 1, 4)[0]!];
    const src = frames.frame(6);
    src.data!.set([1, 2, 3, 4, 5, 6]);
    src.header.presentationTime.time = 777;
    i.queue!.add(src);
    assert.equal(log.calls, 1);
    assert.deepEqual([...outs[0]!.data!.subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...outs[1]!.data!.subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...outs[2]!.data!], [1, 2, 3, 4], 'a smaller branch frame gets what fits');
    assert.deepEqual(
      outs.map((f) => f.header.dataUsed),
      [6, 6, 4],
    );
    assert.equal(outs[1]!.header.presentationTime.time, 777);
    assert.equal(frames.outstanding, 0, 'every frame terminated or consumed');
  });

  it('→STOP flushes, calls the filter Reset, and takes the pin out of the gates', () => {
    const { filter, log, frames } = fcFilter([input(), input()], () => Status.pending);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(1, streamFormat);
    a.setState(KsState.pause);
    b.setState(KsState.pause);
    frames.feed(a, 1);
    frames.feed(b, 1);
    assert.equal(log.calls, 1);
    a.setState(KsState.stop);
    assert.equal(log.resets, 1);
    b.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
    assert.equal(filter.andGate.count, 1, 'every frame input removed');
  });
});

describe('filter-centric gate counts', () => {
  it('filter AND count = 1 − #frame-requiring pins without a frame − (implicit OR of SOME_FRAMES_REQUIRED closed); the OR needs one instance', () => {
    const { filter, log, frames } = fcFilter(
      [
        input({ flags: PinFlags.someFramesRequiredForProcessing }),
        input(),
        input({ flags: PinFlags.framesNotRequiredForProcessing }),
      ],
      () => Status.pending,
    );
    const some = [
      filter.createPin(0, streamFormat),
      filter.createPin(0, streamFormat),
      filter.createPin(0, streamFormat),
    ];
    const plain = [filter.createPin(1, streamFormat), filter.createPin(1, streamFormat)];
    const free = filter.createPin(2, streamFormat);
    assert.equal(filter.andGate.count, 1, 'pins in STOP contribute nothing');
    for (const p of [...some, ...plain, free]) p.setState(KsState.pause);
    assert.equal(filter.andGate.count, 1 - 2 - 1);
    frames.feed(plain[0]!, 1);
    assert.equal(filter.andGate.count, 1 - 1 - 1);
    frames.feed(some[1]!, 1);
    assert.equal(filter.andGate.count, 1 - 1 - 0);
    frames.feed(some[2]!, 1);
    assert.equal(filter.andGate.count, 0, 'a second SOME instance with a frame does not add to the AND gate');
    assert.equal(log.calls, 0);
    frames.feed(plain[1]!, 1);
    assert.equal(filter.andGate.count, 1);
    assert.equal(log.calls, 1, 'the last missing frame opens the gate: an arrival into an empty queue triggers');
    plain[1]!.setState(KsState.stop); // its frame is flushed and its input removed
    assert.equal(filter.andGate.count, 1);
    some[1]!.setState(KsState.stop);
    some[2]!.setState(KsState.stop);
    assert.equal(filter.andGate.count, 0, 'no active SOME instance has a frame: the implicit OR closes');
    some[0]!.setState(KsState.stop);
    assert.equal(filter.andGate.count, 1, 'no active SOME instance: the implicit OR is detached');
    for (const p of [plain[0]!, free]) p.setState(KsState.stop);
    assert.equal(filter.andGate.count, 1);
    assert.equal(frames.outstanding, 0);
  });
});
