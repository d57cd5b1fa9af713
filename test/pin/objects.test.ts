import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Device } from '../../src/device/device.js';
import { StateError } from '../../src/errors.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { MemoryType } from '../../src/framing/constants.js';
import type { AllocatorFramingEx } from '../../src/framing/types.js';
import {
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  dataRangeMatchesFormat,
  type KsDataFormat,
} from '../../src/pin/data-format.js';
import { Gate } from '../../src/pin/gate.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow, INSTANCES_UNLIMITED } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { anyRange, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

const framing = (): AllocatorFramingEx => ({
  pinFlags: 0,
  outputCompression: { ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 },
  pinWeight: 0,
  items: [
    {
      memoryType: MemoryType.kernelNonPaged,
      busType: '00000000-0000-0000-0000-000000000000',
      memoryFlags: 0,
      busFlags: 0,
      flags: 0x80000002,
      frames: 2,
      fileAlignment: 0,
      memoryTypeWeight: 0,
      physicalRange: { minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 },
      framingRange: {
        range: { minFrameSize: 8192, maxFrameSize: 8192, stepping: 1 },
        inPlaceWeight: 0,
        notInPlaceWeight: 0,
      },
    },
  ],
});

function rejectsWith(fn: () => unknown, status: number): void {
  assert.throws(fn, (e: unknown) => e instanceof StateError && e.status === status);
}

describe('objects from descriptors', () => {
  it('a device creates one filter factory per filter descriptor and runs add/start/stop', () => {
    const calls: string[] = [];
    const device = new Device({
      dispatch: {
        add: () => void calls.push('add'),
        start: () => void calls.push('start'),
        stop: () => void calls.push('stop'),
      },
      filterDescriptors: [{ pinDescriptors: [pinDescriptor()] }, { pinDescriptors: [] }],
    });
    assert.equal(device.filterFactories.length, 2);
    device.start();
    const filter = device.filterFactories[0]!.createFilter();
    filter.createPin(0, streamFormat);
    device.stop();
    assert.deepEqual(calls, ['add', 'start', 'stop']);
    assert.equal(filter.isOpen, false);
  });

  it('descriptor validation names the field (flags, mutually exclusive pairs, dataFlow, instances)', () => {
    const mk = (over: object) => () => new FilterFactory({ pinDescriptors: [pinDescriptor(over)] });
    assert.throws(mk({ flags: 0x4000 }), /pinDescriptors\[0\]\.flags/);
    assert.throws(
      mk({ flags: PinFlags.doNotInitiateProcessing | PinFlags.initiateProcessingOnEveryArrival }),
      /at most one of/,
    );
    assert.throws(mk({ flags: PinFlags.processInRunStateOnly | PinFlags.processIfAnyInRunState }), RangeError);
    assert.throws(mk({ dataFlow: 3 }), /dataFlow/);
    assert.throws(mk({ communication: 5 }), /communication/);
    assert.throws(mk({ instancesPossible: 1, instancesNecessary: 2 }), /instancesNecessary/);
    assert.throws(() => new FilterFactory({ pinDescriptors: [], flags: 0x10 }), /flags/);
  });

  it('filter Create failure destroys the filter; pin Create failure destroys the pin', () => {
    const f = new FilterFactory({ pinDescriptors: [], dispatch: { create: () => Status.insufficientResources } });
    rejectsWith(() => f.createFilter(), Status.insufficientResources);
    assert.equal(f.filters.length, 0);
    const { filter } = makeFilter([pinDescriptor({ dispatch: { create: () => Status.unsuccessful } })]);
    rejectsWith(() => filter.createPin(0, streamFormat), Status.unsuccessful);
    assert.equal(filter.pinCount(0), 0);
  });

  it('a pin starts in STOP with ResetState END and the filter context; close removes it', () => {
    const { filter } = makeFilter([pinDescriptor()]);
    filter.context = { mine: 1 };
    const pin = filter.createPin(0, streamFormat);
    assert.equal(pin.deviceState, KsState.stop);
    assert.equal(pin.clientState, KsState.stop);
    assert.equal(pin.resetState, 1);
    assert.equal(pin.context, filter.context);
    assert.equal(pin.connectionFormat, streamFormat);
    pin.close();
    assert.equal(filter.pinCount(0), 0);
    assert.throws(() => pin.setState(KsState.acquire), StateError);
  });
});

describe('factories and devices', () => {
  it('instance counts are per filter; createFilterFactory adds a factory; remove closes everything', () => {
    const calls: string[] = [];
    const device = new Device({
      dispatch: { remove: () => void calls.push('remove'), stop: () => void calls.push('stop') },
      filterDescriptors: [{ pinDescriptors: [pinDescriptor({ instancesPossible: 1 })] }],
    });
    const factory = device.filterFactories[0]!;
    const f1 = factory.createFilter();
    const f2 = factory.createFilter();
    f1.createPin(0, streamFormat);
    f2.createPin(0, streamFormat);
    assert.equal(factory.filters.length, 2);
    const extra = device.createFilterFactory({ pinDescriptors: [] });
    assert.equal(device.filterFactories.at(-1), extra);
    device.start();
    device.remove();
    assert.deepEqual(calls, ['stop', 'remove']);
    assert.equal(factory.filters.length, 0);
    assert.equal(f1.pinCount(0), 0);
  });
});

describe('§9.10 instances', () => {
  it('§9.10 more than InstancesPossible instances fail; a state change without InstancesNecessary instances fails', () => {
    const { filter } = makeFilter([
      pinDescriptor({ instancesPossible: 2, instancesNecessary: 0 }),
      pinDescriptor({ dataFlow: DataFlow.out, instancesPossible: 1, instancesNecessary: 1 }),
    ]);
    const a = filter.createPin(0, streamFormat);
    filter.createPin(0, streamFormat);
    rejectsWith(() => filter.createPin(0, streamFormat), Status.invalidDeviceRequest);
    assert.equal(filter.pinCount(0), 2);
    // Pin type 1 needs one instance: leaving STOP fails with a StateError carrying a status, nothing changes.
    rejectsWith(() => a.setState(KsState.acquire), Status.invalidDeviceState);
    assert.equal(a.deviceState, KsState.stop);
    assert.equal(a.clientState, KsState.stop);
    filter.createPin(1, streamFormat);
    a.setState(KsState.run);
    assert.equal(a.deviceState, KsState.run);
  });

  it('instancesPossible 0xFFFFFFFF is unlimited', () => {
    const { filter } = makeFilter([pinDescriptor({ instancesPossible: INSTANCES_UNLIMITED })]);
    for (let i = 0; i < 50; i++) filter.createPin(0, streamFormat);
    assert.equal(filter.pinCount(0), 50);
  });
});

describe('§9.11 formats', () => {
  it('§9.11 FIXED_FORMAT: a format change fails with STATUS_INVALID_DEVICE_REQUEST and keeps the format', () => {
    const { filter } = makeFilter([pinDescriptor({ flags: PinFlags.fixedFormat })]);
    const pin = filter.createPin(0, streamFormat);
    const other = { ...streamFormat, sampleSize: 4 };
    rejectsWith(() => pin.setDataFormat(other), Status.invalidDeviceRequest);
    assert.equal(pin.connectionFormat, streamFormat);
  });

  it('SetDataFormat walks matching ranges: noMatch tries the next range, success accepts, an error fails; old is null before Create', () => {
    const video: KsDataFormat = {
      ...streamFormat,
      majorFormat: DataFormatType.video,
      subFormat: DataFormatSubtype.yuy2,
      specifier: DataFormatSpecifier.videoInfo,
    };
    const seen: Array<[KsDataFormat | null, number]> = [];
    const ranges = [
      { ...video, subFormat: DataFormatSubtype.nv12 }, // no GUID match: never offered
      { ...video, sampleSize: 1 },
      { ...video, subFormat: DataFormatSubtype.wildcard, sampleSize: 2 },
    ];
    let answer = (r: number): number => (r === 1 ? Status.noMatch : Status.success);
    const { filter } = makeFilter([
      pinDescriptor({
        dataRanges: ranges,
        dispatch: {
          setDataFormat: (_pin, old, range) => {
            seen.push([old, range.sampleSize]);
            return answer(range.sampleSize);
          },
        },
      }),
    ]);
    const pin = filter.createPin(0, video);
    assert.deepEqual(seen, [
      [null, 1],
      [null, 2],
    ]);
    answer = () => Status.insufficientResources;
    const v2 = { ...video, flags: 1 };
    rejectsWith(() => pin.setDataFormat(v2), Status.insufficientResources);
    assert.equal(pin.connectionFormat, video);
    answer = () => Status.noMatch;
    rejectsWith(() => pin.setDataFormat(v2), Status.noMatch);
    rejectsWith(() => pin.setDataFormat({ ...video, majorFormat: DataFormatType.audio }), Status.noMatch);
    answer = () => Status.pending;
    rejectsWith(() => pin.setDataFormat(v2), Status.invalidDeviceRequest);
    assert.equal(pin.connectionFormat, video);
  });

  it('GUID matching honours the wildcards', () => {
    assert.ok(dataRangeMatchesFormat(anyRange, streamFormat));
    assert.ok(!dataRangeMatchesFormat({ ...anyRange, majorFormat: DataFormatType.audio }, { ...streamFormat }));
    assert.ok(
      dataRangeMatchesFormat(
        { ...anyRange, majorFormat: DataFormatType.stream.toUpperCase() },
        { ...streamFormat, majorFormat: `{${DataFormatType.stream}}` },
      ),
    );
  });
});

describe('KsEdit of the framing', () => {
  it('editAllocatorFraming gives the instance its own deep copy; the descriptor and other instances keep theirs', () => {
    const shared = framing();
    const { filter } = makeFilter([
      pinDescriptor({
        instancesPossible: 2,
        allocatorFraming: shared,
        dispatch: {
          create: (pin) => {
            const f = pin.editAllocatorFraming();
            f.items[0]!.frames = 7;
            f.items[0]!.framingRange.range.minFrameSize = 100;
          },
        },
      }),
      pinDescriptor({ allocatorFraming: shared }),
    ]);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(1, streamFormat);
    assert.equal(a.allocatorFraming!.items[0]!.frames, 7);
    assert.equal(a.editAllocatorFraming(), a.allocatorFraming);
    assert.equal(shared.items[0]!.frames, 2);
    assert.equal(shared.items[0]!.framingRange.range.minFrameSize, 8192);
    assert.equal(b.allocatorFraming, shared);
    const { filter: f2 } = makeFilter([pinDescriptor()]);
    rejectsWith(() => f2.createPin(0, streamFormat).editAllocatorFraming(), Status.notSupported);
  });
});

describe('framing edits from SetDataFormat', () => {
  it('a codec edits its instance framing in SetDataFormat (frame size from the format); the descriptor stays', () => {
    const shared = framing();
    const { filter } = makeFilter([
      pinDescriptor({
        allocatorFraming: shared,
        dispatch: {
          setDataFormat: (pin) => {
            const f = pin.editAllocatorFraming();
            const size = pin.connectionFormat!.sampleSize;
            f.items[0]!.framingRange.range = { minFrameSize: size, maxFrameSize: size, stepping: 0 };
            return Status.success;
          },
        },
      }),
    ]);
    const pin = filter.createPin(0, { ...streamFormat, sampleSize: 1000 });
    assert.equal(pin.allocatorFraming!.items[0]!.framingRange.range.minFrameSize, 1000);
    pin.setDataFormat({ ...streamFormat, sampleSize: 3000 });
    assert.equal(pin.allocatorFraming!.items[0]!.framingRange.range.maxFrameSize, 3000);
    assert.equal(shared.items[0]!.framingRange.range.minFrameSize, 8192);
  });
});

describe('§9.12 states', () => {
  function tracked(flags: number, fail?: (to: KsStateValue, from: KsStateValue) => number | undefined) {
    const steps: Array<[KsStateValue, KsStateValue]> = [];
    const { filter } = makeFilter([
      pinDescriptor({
        flags,
        dispatch: {
          setDeviceState: (_pin, to, from) => {
            steps.push([from, to]);
            return fail?.(to, from);
          },
        },
      }),
    ]);
    return { pin: filter.createPin(0, streamFormat), steps };
  }

  it('§9.12 standard transport pins see one step at a time (client RUN→STOP ⇒ RUN→PAUSE→ACQUIRE→STOP)', () => {
    const { pin, steps } = tracked(0);
    pin.setState(KsState.run);
    pin.setState(KsState.stop);
    assert.deepEqual(steps, [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 2],
      [2, 1],
      [1, 0],
    ]);
  });

  it('§9.12 non-standard transport pins see the raw jump; USE_STANDARD_TRANSPORT beats DO_NOT_USE', () => {
    const raw = tracked(PinFlags.doNotUseStandardTransport);
    assert.equal(raw.pin.queue, null);
    raw.pin.setState(KsState.run);
    raw.pin.setState(KsState.stop);
    assert.deepEqual(raw.steps, [
      [0, 3],
      [3, 0],
    ]);
    const forced = tracked(PinFlags.doNotUseStandardTransport | PinFlags.useStandardTransport);
    forced.pin.setState(KsState.pause);
    assert.deepEqual(forced.steps, [
      [0, 1],
      [1, 2],
    ]);
  });

  it('§9.12 no STOP on initial connection (create + connect call no SetDeviceState)', () => {
    const steps: unknown[] = [];
    let connected = 0;
    const { filter } = makeFilter([
      pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source }),
      pinDescriptor({
        dispatch: { setDeviceState: (...a) => void steps.push(a), connect: () => void connected++ },
      }),
    ]);
    const out = filter.createPin(0, streamFormat);
    const inp = filter.createPin(1, streamFormat);
    connectPins(out, inp);
    assert.equal(connected, 1);
    assert.deepEqual(steps, []);
    assert.equal(inp.deviceState, KsState.stop);
  });

  it('pins that cannot communicate (NONE, BRIDGE) cannot be connected; a failing Connect undoes the link', () => {
    const { filter } = makeFilter([
      pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source }),
      pinDescriptor({ communication: Communication.bridge }),
      pinDescriptor({ dispatch: { connect: () => Status.noMatch } }),
    ]);
    const out = filter.createPin(0, streamFormat);
    assert.throws(() => connectPins(out, filter.createPin(1, streamFormat)), /communication/);
    const refusing = filter.createPin(2, streamFormat);
    rejectsWith(() => connectPins(out, refusing), Status.noMatch);
    assert.equal(out.peer, null);
    assert.equal(refusing.peer, null);
  });

  it('§9.12 a failed SetDeviceState restores ClientState; DeviceState stays at the last step that succeeded', () => {
    const { pin, steps } = tracked(0, (to) => (to === KsState.run ? Status.insufficientResources : undefined));
    pin.setState(KsState.acquire);
    rejectsWith(() => pin.setState(KsState.run), Status.insufficientResources);
    assert.equal(pin.clientState, KsState.acquire);
    assert.equal(pin.deviceState, KsState.pause);
    assert.equal(pin.pipeState, KsState.pause);
    assert.deepEqual(steps.at(-1), [2, 3]);
    // A pending SetDeviceState is a contract violation: the change fails the same way.
    const p = tracked(0, () => Status.pending);
    rejectsWith(() => p.pin.setState(KsState.acquire), Status.invalidDeviceRequest);
    assert.equal(p.pin.clientState, KsState.stop);
    assert.equal(p.pin.deviceState, KsState.stop);
  });

  it('a state observer can refuse a step (pipe creation at STOP→ACQUIRE) like a failing SetDeviceState', () => {
    const { pin, steps } = tracked(0);
    const seen: string[] = [];
    const remove = pin.addStateObserver({
      willPinState: (_p, from, to) =>
        from === KsState.stop && to === KsState.acquire ? Status.insufficientResources : undefined,
      onPinState: (_p, from, to) => {
        seen.push(`${from}>${to}`);
      },
    });
    rejectsWith(() => pin.setState(KsState.run), Status.insufficientResources);
    assert.deepEqual(steps, [], 'the dispatch is not called for a refused step');
    assert.equal(pin.deviceState, KsState.stop);
    assert.equal(pin.clientState, KsState.stop);
    remove();
    pin.setState(KsState.pause);
    assert.deepEqual(seen, []);
    assert.equal(pin.deviceState, KsState.pause);
  });

  it('ClientState and DeviceState (the signalled state) are the target during the walk; the pipe state steps', () => {
    const seen: Array<[number, number, number, number]> = [];
    const { filter } = makeFilter([
      pinDescriptor({
        dispatch: {
          setDeviceState: (pin, to) => {
            seen.push([to, pin.clientState, pin.deviceState, pin.pipeState]);
          },
        },
      }),
    ]);
    const pin = filter.createPin(0, streamFormat);
    pin.setState(KsState.pause);
    assert.deepEqual(seen, [
      [KsState.acquire, KsState.pause, KsState.pause, KsState.stop],
      [KsState.pause, KsState.pause, KsState.pause, KsState.acquire],
    ]);
    assert.equal(pin.pipeState, KsState.pause);
    assert.equal(pin.deviceState, KsState.pause);
  });

  it('→STOP flushes the queue and calls Reset', () => {
    let resets = 0;
    const { filter } = makeFilter([pinDescriptor({ dispatch: { reset: () => void resets++ } })]);
    const pin: Pin = filter.createPin(0, streamFormat);
    pin.setState(KsState.acquire);
    pin.setState(KsState.stop);
    assert.equal(resets, 1);
  });
});

describe('gates', () => {
  it('AND count = 1 − #off inputs, OR count = #on inputs; chained gates propagate edges', () => {
    const and = Gate.and();
    assert.equal(and.count, 1);
    and.addOffInputToAnd();
    and.addOffInputToAnd();
    assert.equal(and.count, -1);
    assert.equal(and.isOpen, false);
    and.removeOffInputFromAnd();
    and.turnInputOn();
    assert.equal(and.isOpen, true);
    const filterAnd = Gate.and();
    const or = Gate.or(filterAnd);
    assert.equal(filterAnd.isOpen, false, 'a closed OR gate is an off input of its AND gate');
    or.addOnInputToOr();
    assert.equal(filterAnd.isOpen, true);
    or.addOnInputToOr();
    assert.equal(or.count, 2);
    or.removeOnInputFromOr();
    assert.equal(filterAnd.isOpen, true);
    or.removeOnInputFromOr();
    assert.equal(filterAnd.isOpen, false);
    or.terminate();
    assert.equal(filterAnd.isOpen, true);
    assert.throws(() => and.addOnInputToOr(), TypeError);
  });

  it('captureThreshold takes a count of exactly 1 to 0', () => {
    const g = Gate.and();
    assert.equal(g.captureThreshold(), true);
    assert.equal(g.isOpen, false);
    assert.equal(g.captureThreshold(), false);
    g.turnInputOn();
    assert.equal(g.isOpen, true);
  });
});
