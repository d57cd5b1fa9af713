import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Communication,
  DataFlow,
  FilterFactory,
  KsState,
  type PinDescriptorEx,
  PinFlags,
  type ProcessPinIndexEntry,
  Status,
  StreamPointerState,
  validateFilterDescriptor,
} from '../../src/index.js';
import { Collector as Frames, streamFormat as format, makeFilter, pinDescriptor } from '../pin/helpers.js';

const inputPin = (over: Partial<PinDescriptorEx> = {}) => pinDescriptor(over);
const outputPin = (over: Partial<PinDescriptorEx> = {}) =>
  pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source, ...over });

/** Filter-centric body: uses every byte of every pin that has a frame. */
function useAll(index: readonly ProcessPinIndexEntry[]): number {
  for (const e of index) for (const pp of e.pins) pp.bytesUsed = pp.bytesAvailable;
  return Status.success;
}

describe('conformance: KSPIN_FLAG_DO_NOT_INITIATE_PROCESSING', () => {
  it('DO_NOT_INITIATE_PROCESSING (filter-centric): the pin’s state rise does not initiate processing; only filter.attemptProcessing does', () => {
    let calls = 0;
    const frames = new Frames();
    const { filter } = makeFilter([inputPin({ flags: PinFlags.doNotInitiateProcessing })], {
      process: (_f, index) => {
        calls++;
        return useAll(index);
      },
    });
    const pin = filter.createPin(0, format);
    pin.setState(KsState.acquire);
    frames.feed(pin);
    frames.feed(pin);
    pin.setState(KsState.pause);
    pin.setState(KsState.run);
    assert.equal(calls, 0, 'no processing dispatch without KsFilterAttemptProcessing');
    filter.attemptProcessing();
    assert.equal(calls, 2, 'attemptProcessing dispatches (SUCCESS loops while frames remain)');
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('DO_NOT_INITIATE_PROCESSING (filter-centric): another pin’s state rise still initiates', () => {
    let calls = 0;
    const frames = new Frames();
    const { filter } = makeFilter(
      [
        inputPin({ flags: PinFlags.doNotInitiateProcessing }),
        outputPin({ flags: PinFlags.framesNotRequiredForProcessing }),
      ],
      {
        process: (_f, index) => {
          calls++;
          return useAll(index);
        },
      },
    );
    const quiet = filter.createPin(0, format);
    const out = filter.createPin(1, format);
    quiet.setState(KsState.pause);
    frames.feed(quiet);
    assert.equal(calls, 0);
    out.setState(KsState.pause);
    assert.equal(calls, 1, 'the output pin (no DO_NOT_INITIATE) initiates by its state change');
    quiet.setState(KsState.stop);
    out.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });

  it('DO_NOT_INITIATE_PROCESSING on a standard-transport pin needs a process dispatch (pin or filter level)', () => {
    const descriptor = { pinDescriptors: [inputPin({ flags: PinFlags.doNotInitiateProcessing })] };
    assert.throws(
      () => validateFilterDescriptor(descriptor),
      (e: unknown) =>
        e instanceof TypeError &&
        /pinDescriptors\[0\]\.dispatch\.process: undefined is not allowed; expected .*DO_NOT_INITIATE_PROCESSING/.test(
          e.message,
        ),
    );
    assert.throws(() => new FilterFactory(descriptor), TypeError);
    // a pin process routine, or a filter process routine, satisfies it
    const pinLevel = inputPin({ flags: PinFlags.doNotInitiateProcessing, dispatch: { process: () => Status.pending } });
    assert.doesNotThrow(() => validateFilterDescriptor({ pinDescriptors: [pinLevel] }));
    assert.doesNotThrow(() => validateFilterDescriptor({ ...descriptor, dispatch: { process: () => Status.pending } }));
    // without the standard transport there is no processing object to need
    const noQueue = inputPin({ flags: PinFlags.doNotInitiateProcessing | PinFlags.doNotUseStandardTransport });
    assert.doesNotThrow(() => validateFilterDescriptor({ pinDescriptors: [noQueue] }));
  });

  it('DO_NOT_INITIATE_PROCESSING (pin-centric): neither arrivals nor state rises dispatch', () => {
    let calls = 0;
    const frames = new Frames();
    const { filter } = makeFilter([
      inputPin({
        flags: PinFlags.doNotInitiateProcessing,
        dispatch: {
          process: (pin) => {
            calls++;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            lead.unlock(true);
            return Status.success;
          },
        },
      }),
    ]);
    const pin = filter.createPin(0, format);
    frames.feed(pin);
    pin.setState(KsState.run);
    frames.feed(pin);
    assert.equal(calls, 0);
    pin.attemptProcessing();
    assert.equal(calls, 2, 'SUCCESS re-dispatches while frames remain; with none left processing stops');
    pin.setState(KsState.stop);
    assert.equal(frames.outstanding, 0);
  });
});
