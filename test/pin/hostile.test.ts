import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StateError } from '../../src/errors.js';
import type { Pin } from '../../src/pin/pin.js';
import type { PinDispatch } from '../../src/pin/pin-descriptor.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, consumeOne, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

const LOCKED = StreamPointerState.locked;
const UNLOCKED = StreamPointerState.unlocked;

/** A pin-centric pin (default process: consume one frame) with extra dispatch routines. */
function pcPin(dispatch: PinDispatch = {}) {
  const { filter, work } = makeFilter([pinDescriptor({ dispatch: { process: consumeOne, ...dispatch } })]);
  return { pin: filter.createPin(0, streamFormat), work, filter, frames: new Collector() };
}

function states(pin: Pin): [number, number, number] {
  return [pin.pipeState, pin.deviceState, pin.clientState];
}

describe('re-entrancy and throwing callbacks (hostile drivers)', () => {
  it('setState from inside SetDeviceState is refused (control mutex held); the running walk completes consistently', () => {
    const seen: string[] = [];
    let nested: unknown = null;
    const { pin } = pcPin({
      setDeviceState: (p: Pin, to: KsStateValue, from: KsStateValue) => {
        seen.push(`${from}->${to}`);
        if (to === KsState.acquire) {
          try {
            p.setState(KsState.stop);
          } catch (error) {
            nested = error;
          }
        }
        return Status.success;
      },
    });
    pin.setState(KsState.run);
    assert.ok(
      nested instanceof StateError && nested.status === Status.invalidDeviceState,
      'the nested request is a StateError',
    );
    assert.deepEqual(seen, ['0->1', '1->2', '2->3'], 'the nested request made no step');
    assert.deepEqual(states(pin), [KsState.run, KsState.run, KsState.run]);
  });

  it('a process routine that stops its pin during a walk wins: the walk to RUN ends at STOP, every frame back', () => {
    const seen: string[] = [];
    const { pin, frames } = pcPin({
      process: (p) => {
        p.getLeadingEdge(LOCKED);
        p.setState(KsState.stop);
        return Status.success;
      },
      setDeviceState: (_p, to, from) => {
        seen.push(`${from}->${to}`);
      },
    });
    pin.setState(KsState.acquire);
    frames.feed(pin, 3);
    pin.setState(KsState.run); // ACQUIRE→PAUSE triggers processing (frames queued), which asks for STOP
    assert.deepEqual(seen, ['0->1', '1->2', '2->1', '1->0']);
    assert.deepEqual(states(pin), [KsState.stop, KsState.stop, KsState.stop]);
    assert.equal(frames.outstanding, 0);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled, Status.cancelled]);
  });

  it('closing a pin from inside its process routine stops and removes it; every frame back', () => {
    const { pin, frames, filter } = pcPin({
      process: (p) => {
        p.getLeadingEdge(LOCKED);
        p.close();
        return Status.success;
      },
    });
    pin.setState(KsState.acquire);
    frames.feed(pin, 2);
    pin.setState(KsState.pause);
    assert.equal(pin.isOpen, false);
    assert.equal(filter.pinCount(0), 0);
    assert.equal(frames.outstanding, 0);
  });

  it('a throwing Reset dispatch at →STOP: the error reaches the caller, but STOP is reached, frames are back, observers ran', () => {
    const boom = new Error('reset boom');
    const { pin, frames } = pcPin({
      process: () => Status.pending,
      reset: () => {
        throw boom;
      },
    });
    const steps: string[] = [];
    pin.addStateObserver({ onPinState: (_p, from, to) => steps.push(`${from}->${to}`) });
    pin.setState(KsState.run);
    frames.feed(pin, 3);
    assert.throws(() => pin.setState(KsState.stop), boom);
    assert.deepEqual(states(pin), [KsState.stop, KsState.stop, KsState.stop]);
    assert.deepEqual(steps, ['0->1', '1->2', '2->3', '3->2', '2->1', '1->0'], 'the step ACQUIRE→STOP was completed');
    assert.equal(frames.outstanding, 0);
    pin.setState(KsState.run); // usable again
    assert.equal(pin.pipeState, KsState.run);
  });

  it('a throwing clone cancel callback at →STOP: the other frames are still cancelled; the clone’s frame waits for its delete', () => {
    const boom = new Error('cancel boom');
    const { pin, frames } = pcPin({ process: () => Status.pending });
    pin.setState(KsState.run);
    frames.feed(pin, 3);
    const clone = pin.getLeadingEdge(UNLOCKED)!.clone(() => {
      throw boom;
    });
    assert.throws(() => pin.setState(KsState.stop), boom);
    assert.deepEqual(states(pin), [KsState.stop, KsState.stop, KsState.stop]);
    assert.equal(frames.outstanding, 1, 'only the frame the clone holds is out');
    assert.equal(pin.queue!.length, 1);
    clone.delete();
    assert.equal(frames.outstanding, 0);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled, Status.cancelled]);
  });

  it('a process routine that throws during a state walk: the walk completes, then the error is rethrown', () => {
    const boom = new Error('process boom');
    const { pin, frames } = pcPin({
      process: () => {
        throw boom;
      },
    });
    pin.setState(KsState.acquire);
    frames.feed(pin, 1);
    assert.throws(() => pin.setState(KsState.run), boom);
    assert.deepEqual(states(pin), [KsState.run, KsState.run, KsState.run]);
    assert.equal(pin.isProcessing, false);
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('advanceOffsets beyond Remaining is a RangeError that changes nothing (offsets, lock, frame)', () => {
    const { pin, frames } = pcPin({ process: () => Status.pending });
    pin.setState(KsState.run);
    frames.feed(pin, 2, 10);
    const lead = pin.getLeadingEdge(LOCKED)!;
    lead.advanceOffsets(4, 0);
    const frame = lead.frame;
    assert.throws(() => lead.advanceOffsets(7, 0), RangeError);
    assert.throws(() => lead.advanceOffsetsAndUnlock(0, 11), RangeError);
    assert.throws(() => lead.advanceOffsets(-1, 0), RangeError);
    assert.equal(lead.offsetIn.remaining, 6);
    assert.equal(lead.offsetOut.remaining, 10);
    assert.equal(lead.locked, true);
    assert.equal(lead.frame, frame);
    lead.unlock();
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('a stream pointer of a stopped pin: edges stay usable (null frame), clones deleted earlier throw', () => {
    const { pin, frames } = pcPin({ process: () => Status.pending });
    pin.setState(KsState.run);
    frames.feed(pin, 1);
    const clone = pin.getLeadingEdge(LOCKED)!.clone();
    clone.unlock();
    clone.delete();
    pin.setState(KsState.stop);
    assert.throws(() => clone.lock(), /deleted clone/);
    assert.throws(() => clone.advance(), /deleted clone/);
    assert.throws(() => clone.delete(), /deleted clone/);
    assert.throws(() => clone.clone(), /deleted clone/);
    assert.throws(() => clone.scheduleTimeout(() => {}, 1), /deleted clone/);
    assert.equal(pin.getLeadingEdge(LOCKED), null);
    assert.equal(pin.getLeadingEdge(UNLOCKED)!.frame, null);
    assert.equal(frames.outstanding, 0);
  });
});

describe('submitFrame headers', () => {
  function injecting(dataFlow: 1 | 2 = 1) {
    const back: Array<[number, number]> = [];
    const { filter } = makeFilter([pinDescriptor({ dataFlow, dispatch: { process: () => Status.pending } })]);
    const pin = filter.createPin(0, streamFormat);
    pin.registerFrameReturnCallback((_p, _d, header, _c, status) => back.push([header.dataUsed, status]));
    pin.setState(KsState.pause);
    return { pin, back };
  }

  it('hostile header fields are RangeErrors naming the field; nothing is queued', () => {
    const { pin, back } = injecting();
    const data = new Uint8Array(8);
    for (const [header, field] of [
      [{ dataUsed: 9 }, 'header.dataUsed'],
      [{ dataUsed: -1 }, 'header.dataUsed'],
      [{ dataUsed: 1.5 }, 'header.dataUsed'],
      [{ optionsFlags: -1 }, 'header.optionsFlags'],
      [{ optionsFlags: 2 ** 32 }, 'header.optionsFlags'],
      [{ typeSpecificFlags: Number.NaN }, 'header.typeSpecificFlags'],
      [{ duration: Number.POSITIVE_INFINITY }, 'header.duration'],
      [{ presentationTime: { time: 0, numerator: 1, denominator: 0 } }, 'header.presentationTime.denominator'],
      [{ presentationTime: { time: 0.5, numerator: 1, denominator: 1 } }, 'header.presentationTime.time'],
    ] as const) {
      assert.throws(
        () => pin.submitFrame(data, header as never),
        (e: unknown) => e instanceof RangeError && e.message.startsWith(`${field}:`),
        JSON.stringify(header),
      );
    }
    assert.throws(() => pin.submitFrame(data, 5 as never), TypeError);
    assert.equal(pin.queue!.length, 0);
    pin.setState(KsState.stop);
    assert.deepEqual(back, []);
  });

  it('a header without dataUsed defaults it like no header: the data length on an input pin, 0 on an output pin', () => {
    const input = injecting(1);
    input.pin.submitFrame(new Uint8Array(8), { optionsFlags: 0x200 });
    input.pin.submitFrame(new Uint8Array(6));
    input.pin.submitFrame(new Uint8Array(6), { dataUsed: 2 });
    input.pin.setState(KsState.stop);
    assert.deepEqual(input.back, [
      [8, Status.cancelled],
      [6, Status.cancelled],
      [2, Status.cancelled],
    ]);
    const output = injecting(2);
    output.pin.submitFrame(new Uint8Array(8), { optionsFlags: 0x200 });
    output.pin.setState(KsState.stop);
    assert.deepEqual(output.back, [[0, Status.cancelled]]);
  });
});

describe('hostile device descriptors', () => {
  it('a bad filter descriptor or dispatch is a TypeError/RangeError before the Add dispatch runs', async () => {
    const { Device } = await import('../../src/device/device.js');
    let adds = 0;
    const add = () => {
      adds++;
    };
    assert.throws(
      () =>
        new Device({
          dispatch: { add },
          filterDescriptors: [
            { pinDescriptors: [pinDescriptor()] },
            { pinDescriptors: [pinDescriptor({ flags: 0x8000 })] },
          ],
        }),
      (e: unknown) =>
        e instanceof RangeError && e.message.startsWith('descriptor.filterDescriptors[1].pinDescriptors[0].flags:'),
    );
    assert.throws(
      () => new Device({ dispatch: { add, start: 5 as never }, filterDescriptors: [] }),
      (e: unknown) => e instanceof TypeError && e.message.startsWith('descriptor.dispatch.start:'),
    );
    assert.throws(
      () => new Device({ dispatch: { add }, filterDescriptors: [] }, { scheduler: 1 as never }),
      (e: unknown) => e instanceof TypeError && e.message.startsWith('options.scheduler:'),
    );
    assert.equal(adds, 0, 'Add never ran for a rejected descriptor');
    const device = new Device({ dispatch: { add }, filterDescriptors: [{ pinDescriptors: [] }] });
    assert.equal(adds, 1);
    assert.equal(device.filterFactories.length, 1);
  });
});

describe('hostile filter factory options', () => {
  it('a scheduler that is not a function is a TypeError naming options.scheduler', async () => {
    const { FilterFactory } = await import('../../src/filter/filter-factory.js');
    assert.throws(
      () => new FilterFactory({ pinDescriptors: [] }, { scheduler: {} as never }),
      (e: unknown) => e instanceof TypeError && e.message.startsWith('options.scheduler:'),
    );
  });
});
