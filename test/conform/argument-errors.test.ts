import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DATAFLOW_IN,
  Device,
  FilterFactory,
  Frame,
  Gate,
  Graph,
  KsState,
  ManualScheduler,
  Queue,
  Status,
  StreamRequest,
} from '../../src/index.js';
import { makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';

/** A TypeError/RangeError in the one message style: `name: value is not allowed; expected …`. */
function argumentError(kind: typeof TypeError | typeof RangeError, name: string) {
  return (e: unknown) =>
    e instanceof kind && e.message.startsWith(`${name}: `) && e.message.includes(' is not allowed; expected ');
}

describe('conformance: bad arguments are TypeError/RangeError naming the argument, the value and what is allowed', () => {
  it('Frame: data that is not a Uint8Array (or null) is a TypeError naming data', () => {
    assert.throws(() => new Frame(null, 5 as never), argumentError(TypeError, 'data'));
    assert.throws(() => new Frame(null, [1, 2] as never), argumentError(TypeError, 'data'));
    assert.throws(() => new Frame(7 as never), argumentError(TypeError, 'buffer'));
    const f = new Frame(null, new Uint8Array(4));
    assert.throws(() => f.attach(null, 'abc' as never), argumentError(TypeError, 'data'));
    assert.equal(f.header.frameExtent, 4, 'a refused attach changes nothing');
    assert.equal(new Frame(null, null).header.frameExtent, 0);
  });

  it('Gate.and / Gate.or: a next gate that is not a Gate is a TypeError naming it', () => {
    assert.throws(() => Gate.and(5 as never), argumentError(TypeError, 'nextOrGate'));
    assert.throws(() => Gate.or({} as never), argumentError(TypeError, 'nextAndGate'));
    const or = Gate.or();
    assert.equal(Gate.and(or).nextGate, or);
    assert.equal(or.count, 1, 'KsGateInitializeAnd adds an on input to the OR gate');
  });

  it('attemptProcessing: options that are not { async?: boolean } are a TypeError naming options', () => {
    let calls = 0;
    const { filter } = makeFilter([
      pinDescriptor({
        dispatch: {
          process: () => {
            calls++;
            return Status.pending;
          },
        },
      }),
    ]);
    const pin = filter.createPin(0, streamFormat);
    pin.setState(KsState.pause);
    assert.throws(() => pin.attemptProcessing(5 as never), argumentError(TypeError, 'options'));
    assert.throws(() => pin.attemptProcessing({ async: 'yes' } as never), argumentError(TypeError, 'options.async'));
    assert.throws(() => filter.attemptProcessing({ async: 1 } as never), argumentError(TypeError, 'options.async'));
    assert.equal(calls, 0, 'nothing ran');
    pin.attemptProcessing({ async: false });
    pin.attemptProcessing();
    assert.equal(calls, 2);
    pin.setState(KsState.stop);
  });
});

describe('conformance: Graph options are checked when the graph is built', () => {
  it('new Graph: a bad scheduler, yieldScheduler, onError, framesPerTurn or verifySharedFrames is a TypeError/RangeError naming the option', () => {
    assert.throws(() => new Graph({ scheduler: 5 as never }), argumentError(TypeError, 'options.scheduler'));
    assert.throws(
      () => new Graph({ yieldScheduler: 'now' as never }),
      argumentError(TypeError, 'options.yieldScheduler'),
    );
    assert.throws(() => new Graph({ onError: {} as never }), argumentError(TypeError, 'options.onError'));
    assert.throws(() => new Graph({ framesPerTurn: -1 }), argumentError(RangeError, 'options.framesPerTurn'));
    assert.throws(() => new Graph({ framesPerTurn: Number.NaN }), argumentError(RangeError, 'options.framesPerTurn'));
    assert.throws(
      () => new Graph({ verifySharedFrames: 1 as never }),
      argumentError(TypeError, 'options.verifySharedFrames'),
    );
    assert.doesNotThrow(() => new Graph({ framesPerTurn: Number.POSITIVE_INFINITY, verifySharedFrames: true }));
    assert.doesNotThrow(() => new Graph({ scheduler: (task) => task(), onError: () => {} }));
  });
});

describe('conformance: option objects are checked where they are given', () => {
  it('timers / scheduler (a Scheduler: now, setTimer, clearTimer) are checked by Queue, FilterFactory, Device and Graph', () => {
    const host = {
      flags: 0,
      dataFlow: DATAFLOW_IN,
      deviceState: KsState.stop,
      _onArrival: () => {},
      _onFrameComplete: () => {},
    };
    assert.throws(() => new Queue(host, { scheduler: 5 as never }), argumentError(TypeError, 'options.scheduler'));
    assert.throws(
      () => new FilterFactory({ pinDescriptors: [] }, { timers: { now: () => 0 } as never }),
      argumentError(TypeError, 'options.timers'),
    );
    assert.throws(
      () => new Device({ filterDescriptors: [] }, { timers: 'clock' as never }),
      argumentError(TypeError, 'options.timers'),
    );
    assert.throws(() => new Graph({ timers: {} as never }), argumentError(TypeError, 'options.timers'));
    assert.doesNotThrow(() => new Queue(host, { scheduler: new ManualScheduler() }));
    assert.doesNotThrow(() => new Graph({ timers: new ManualScheduler() }));
  });

  it('StreamRequest: a signal that is not an AbortSignal or an onComplete that is not a function is a TypeError', () => {
    const frame = () => new Frame(null, new Uint8Array(4));
    assert.throws(
      () => new StreamRequest([frame()], { signal: 5 as never }),
      argumentError(TypeError, 'options.signal'),
    );
    assert.throws(
      () => new StreamRequest([frame()], { onComplete: 'done' as never }),
      argumentError(TypeError, 'options.onComplete'),
    );
    assert.throws(() => new StreamRequest([frame()], null as never), argumentError(TypeError, 'options'));
    assert.doesNotThrow(
      () => new StreamRequest([frame()], { signal: new AbortController().signal, onComplete: () => {} }),
    );
  });
});
