import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateError, StreamError } from '../../src/errors.js';
import type { Pin } from '../../src/pin/pin.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsReset, KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, consumeOne, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

/** A pin-centric pin whose process routine is `body` (default: consume one frame). Records calls. */
function pcPin(flags = 0, body: (pin: Pin) => number = consumeOne) {
  const log = { calls: 0, resets: 0 };
  const { filter, work } = makeFilter([
    pinDescriptor({
      flags,
      dispatch: {
        process: (pin) => {
          log.calls++;
          return body(pin);
        },
        reset: () => {
          log.resets++;
        },
      },
    }),
  ]);
  const pin = filter.createPin(0, streamFormat);
  return { pin, log, work, frames: new Collector() };
}

describe('§9.13 pin-centric triggers', () => {
  it('§9.13 trigger (1): rising into PAUSE with frames queued processes; nothing runs below PAUSE', () => {
    const { pin, log, frames } = pcPin();
    pin.setState(KsState.acquire);
    frames.feed(pin, 2);
    pin.attemptProcessing();
    assert.equal(log.calls, 0, 'ACQUIRE is below the minimum processing state');
    pin.setState(KsState.pause);
    assert.equal(log.calls, 2);
    assert.equal(frames.returned.length, 2);
    assert.deepEqual(frames.statuses, [Status.success, Status.success]);
  });

  it('§9.13 trigger (2): an arrival into an empty queue at/above PAUSE processes', () => {
    const { pin, log, frames } = pcPin();
    pin.setState(KsState.pause);
    frames.feed(pin, 1);
    assert.equal(log.calls, 1);
    frames.feed(pin, 1);
    assert.equal(log.calls, 2);
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.13 trigger (3): attemptProcessing runs the process routine even without frames', () => {
    const { pin, log } = pcPin(0, () => Status.pending);
    pin.setState(KsState.pause);
    pin.attemptProcessing();
    assert.equal(log.calls, 1);
  });

  it('§9.13 INITIATE_PROCESSING_ON_EVERY_ARRIVAL processes on every arrival, also into a non-empty queue', () => {
    const { pin, log, frames } = pcPin(PinFlags.initiateProcessingOnEveryArrival, () => Status.pending);
    pin.setState(KsState.pause);
    frames.feed(pin, 3);
    assert.equal(log.calls, 3);
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.13 DO_NOT_INITIATE_PROCESSING: only attemptProcessing dispatches (no arrival, no state-rise trigger)', () => {
    const { pin, log, frames } = pcPin(PinFlags.doNotInitiateProcessing);
    pin.setState(KsState.acquire);
    frames.feed(pin, 1);
    pin.setState(KsState.run);
    frames.feed(pin, 1);
    assert.equal(log.calls, 0);
    pin.attemptProcessing();
    assert.equal(log.calls, 2, 'SUCCESS re-invokes while frames remain');
    assert.equal(frames.outstanding, 0);
  });

  it('§9.13 nothing runs while the AND gate is closed', () => {
    const { pin, log, frames } = pcPin();
    pin.setState(KsState.run);
    pin.andGate.turnInputOff();
    frames.feed(pin, 1);
    pin.attemptProcessing();
    assert.equal(log.calls, 0);
    pin.andGate.turnInputOn();
    pin.attemptProcessing();
    assert.equal(log.calls, 1);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.13 PROCESS_IN_RUN_STATE_ONLY: the minimum state is RUN', () => {
    const { pin, log, frames } = pcPin(PinFlags.processInRunStateOnly);
    assert.equal(pin.minimumProcessingState, KsState.run);
    pin.setState(KsState.pause);
    frames.feed(pin, 1);
    pin.attemptProcessing();
    assert.equal(log.calls, 0);
    pin.setState(KsState.run);
    assert.equal(log.calls, 1, 'rising into RUN with a frame queued is trigger (1)');
  });
});

describe('§9.14 restart rules', () => {
  it('§9.14 SUCCESS re-dispatches while frames remain ahead of the leading edge', () => {
    const { pin, log, frames } = pcPin();
    pin.setState(KsState.acquire);
    frames.feed(pin, 3);
    pin.setState(KsState.pause);
    assert.equal(log.calls, 3);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.14 PENDING stops until the next trigger; arrivals into a non-empty queue are not a trigger', () => {
    let mode: 'pend' | 'consume' = 'pend';
    const { pin, log, frames } = pcPin(0, (p) => (mode === 'pend' ? Status.pending : consumeOne(p)));
    pin.setState(KsState.pause);
    frames.feed(pin, 1);
    assert.equal(log.calls, 1);
    frames.feed(pin, 2);
    assert.equal(log.calls, 1, 'arrivals into a non-empty queue do not trigger');
    mode = 'consume';
    pin.attemptProcessing();
    assert.equal(log.calls, 4, 'one call per queued frame once it consumes');
    assert.equal(frames.outstanding, 0);
  });

  it('§9.14 an error status acts as PENDING', () => {
    const { pin, log, frames } = pcPin(0, () => Status.unsuccessful);
    pin.setState(KsState.pause);
    frames.feed(pin, 2);
    assert.equal(log.calls, 1);
    pin.setState(KsState.stop);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled]);
  });

  it('SUCCESS without progress does not spin (documented: the loop needs the queue to move)', () => {
    const { pin, log, frames } = pcPin(0, () => Status.success);
    pin.setState(KsState.pause);
    frames.feed(pin, 2);
    assert.equal(log.calls, 1);
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });
});

describe('§9.13 what is not a trigger', () => {
  it('§9.13 after PENDING with frames queued: PAUSE→RUN, RUN→PAUSE, a reopening gate, reset END and arrivals into the non-empty queue do not dispatch', () => {
    let mode: 'pend' | 'consume' = 'pend';
    const { pin, log, frames } = pcPin(0, (p) => (mode === 'pend' ? Status.pending : consumeOne(p)));
    pin.setState(KsState.pause);
    frames.feed(pin, 1);
    assert.equal(log.calls, 1, 'arrival into an empty queue at PAUSE');
    pin.setState(KsState.run);
    assert.equal(log.calls, 1, 'PAUSE→RUN is not a rise into the minimum state (PAUSE)');
    pin.setState(KsState.pause);
    assert.equal(log.calls, 1, 'a falling step is not a trigger');
    pin.andGate.turnInputOff();
    pin.andGate.turnInputOn();
    assert.equal(log.calls, 1, 'reopening the AND gate is not a trigger (the driver calls attemptProcessing)');
    frames.feed(pin, 1);
    assert.equal(log.calls, 1, 'arrival into a non-empty queue');
    mode = 'consume';
    pin.attemptProcessing();
    assert.equal(log.calls, 3, 'trigger (3) drains both frames');
    pin.setResetState(KsReset.begin);
    pin.setResetState(KsReset.end);
    assert.equal(log.calls, 3, 'reset BEGIN/END is not a trigger');
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('§9.13 a rise into the minimum state with an empty queue does not dispatch', () => {
    const { pin, log } = pcPin();
    pin.setState(KsState.run);
    assert.equal(log.calls, 0);
  });
});

describe('§9.15 attemptProcessing', () => {
  it('§9.15 async never runs inline (runs on the scheduler, coalesced); sync runs inline', () => {
    const { pin, log, work } = pcPin(0, () => Status.pending);
    pin.setState(KsState.pause);
    pin.attemptProcessing({ async: true });
    pin.attemptProcessing({ async: true });
    assert.equal(log.calls, 0);
    assert.equal(work.pending, 1);
    work.runAll();
    assert.equal(log.calls, 1);
    pin.attemptProcessing({ async: false });
    assert.equal(log.calls, 2);
  });

  it('a process routine is never re-entered; a trigger while it runs re-runs it after it returns', () => {
    let depth = 0;
    let maxDepth = 0;
    let calls = 0;
    const frames = new Collector();
    const { pin } = pcPin(0, (p) => {
      calls++;
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      if (calls === 1) {
        p.attemptProcessing(); // inline request while running
        frames.feed(p, 1); // arrival into an empty queue while running
      }
      const status = calls === 1 ? Status.pending : consumeOne(p);
      depth--;
      return status;
    });
    pin.setState(KsState.pause);
    pin.attemptProcessing();
    assert.equal(maxDepth, 1);
    assert.equal(calls, 2);
    assert.equal(frames.outstanding, 0);
  });
});

describe('§9.16 frame injection', () => {
  it('§9.16 a frame-return callback registered in STOP puts the pin in injection mode at ACQUIRE; frames come back with their status', () => {
    const back: Array<[Uint8Array, unknown, number]> = [];
    const { pin } = pcPin(0, (p) => {
      const lead = p.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      if (lead.frame!.context === 'bad') lead.setStatusCode(Status.invalidParameter);
      lead.unlock(true);
      return Status.success;
    });
    const data = new Uint8Array(8);
    assert.throws(() => pin.submitFrame(data), StateError, 'not in injection mode yet');
    pin.registerFrameReturnCallback((_pin, d, _header, context, status) => back.push([d, context, status]));
    pin.setState(KsState.acquire);
    assert.equal(pin.injectionMode, true);
    assert.throws(() => pin.registerFrameReturnCallback(null), StateError);
    pin.submitFrame(data, null, 'a');
    pin.setState(KsState.pause);
    pin.submitFrame(new Uint8Array(4), { dataUsed: 4 }, 'bad');
    pin.setState(KsState.acquire);
    const queued = new Uint8Array(2);
    pin.submitFrame(queued, null, 'flushed');
    pin.setState(KsState.stop);
    assert.deepEqual(
      back.map(([, c, s]) => [c, s]),
      [
        ['a', Status.success],
        ['bad', Status.invalidParameter],
        ['flushed', Status.cancelled],
      ],
    );
    assert.equal(back[0]![0], data);
    assert.equal(pin.injectionMode, false);
  });
});

describe('§9.17 reset', () => {
  it('§9.17 RESET BEGIN cancels queued frames, runs Reset, rejects new frames with deviceNotReady until END, survives state changes', () => {
    const { pin, log, frames } = pcPin(0, () => Status.pending);
    pin.setState(KsState.pause);
    frames.feed(pin, 2);
    pin.setResetState(KsReset.begin);
    assert.equal(log.resets, 1);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled]);
    assert.throws(
      () => frames.feed(pin, 1),
      (e: unknown) => e instanceof StreamError && e.status === Status.deviceNotReady,
    );
    frames.made--; // that frame never entered
    pin.setState(KsState.run);
    pin.setState(KsState.pause);
    assert.equal(pin.resetState, KsReset.begin, 'a state change does not end a reset');
    assert.throws(() => frames.feed(pin, 1), StreamError);
    frames.made--;
    pin.setResetState(KsReset.end);
    frames.feed(pin, 1);
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });
});
