import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AvStreamError,
  Communication,
  connectPins,
  DataFlow,
  DataFormatSubtype,
  Device,
  FilterFactory,
  Graph,
  KsState,
  PinFlags,
  StateError,
  Status,
  type StatusCode,
} from '../../src/index.js';
import { makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';

/** A domain failure: an AvStreamError subclass with `status`, in the one message style, naming what failed. */
function domainError(kind: typeof AvStreamError, status: StatusCode, subject: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof kind, `a ${kind.name}: ${String(e)}`);
    assert.equal(e.status, status);
    assert.match(e.message, / (is|are) not allowed; expected /);
    assert.match(e.message, subject);
    return true;
  };
}

describe('conformance: domain failures are AvStreamError subclasses with a status, in the one message style', () => {
  it('a refused SetDeviceState step: StateError with the dispatch status, naming the pin, the step and the status', () => {
    const { filter } = makeFilter([
      pinDescriptor({
        dispatch: {
          setDeviceState: (_p, to) => (to === KsState.pause ? Status.insufficientResources : Status.success),
        },
      }),
    ]);
    const pin = filter.createPin(0, streamFormat);
    assert.throws(
      () => pin.setState(KsState.run),
      domainError(
        StateError,
        Status.insufficientResources,
        /^pin 0: setDeviceState acquire→pause .*insufficientResources/,
      ),
    );
  });

  it('a failing Create / SetDataFormat / Connect and a missing InstancesNecessary pin name the pin and the status', () => {
    const failing = (status: StatusCode) => () => status;
    const { filter } = makeFilter([
      pinDescriptor({ dispatch: { create: failing(Status.insufficientResources) } }),
      pinDescriptor({ dispatch: { setDataFormat: failing(Status.invalidParameter) } }),
      pinDescriptor({ instancesNecessary: 1, dataFlow: DataFlow.out, communication: Communication.source }),
      pinDescriptor({ dispatch: { connect: failing(Status.unsuccessful) } }),
    ]);
    assert.throws(
      () => filter.createPin(0, streamFormat),
      domainError(StateError, Status.insufficientResources, /^pin 0: create .*insufficientResources/),
    );
    assert.throws(
      () => filter.createPin(1, streamFormat),
      domainError(StateError, Status.invalidParameter, /^pin 1: setDataFormat .*invalidParameter/),
    );
    const sink = filter.createPin(3, streamFormat);
    assert.throws(
      () => sink.setState(KsState.acquire),
      domainError(StateError, Status.invalidDeviceState, /^pin 3: .*pin type 2.*instancesNecessary \(1\)/),
    );
    const out = filter.createPin(2, streamFormat);
    assert.throws(
      () => connectPins(out, sink),
      domainError(StateError, Status.unsuccessful, /^pin 3: connect .*unsuccessful/),
    );
  });

  it('using a closed pin or filter, KsEdit without framing, the byte count of a pin without a queue', () => {
    const { filter } = makeFilter([pinDescriptor({ flags: PinFlags.doNotUseStandardTransport, instancesPossible: 2 })]);
    const pin = filter.createPin(0, streamFormat);
    assert.throws(
      () => pin.getAvailableByteCount(),
      domainError(StateError, Status.invalidDeviceRequest, /^pin 0: .*queue/),
    );
    assert.throws(
      () => pin.editAllocatorFraming(),
      domainError(StateError, Status.notSupported, /^pin 0: allocatorFraming/),
    );
    pin.close();
    assert.throws(
      () => pin.setState(KsState.run),
      domainError(StateError, Status.invalidDeviceState, /^pin 0: .*closed/),
    );
    filter.close();
    assert.throws(
      () => filter.createPin(0, streamFormat),
      domainError(StateError, Status.invalidDeviceState, /^filter: .*closed/),
    );
  });

  it('a failing filter Create, device Add and device Start name the object and the status', () => {
    const factory = new FilterFactory({ pinDescriptors: [], dispatch: { create: () => Status.insufficientResources } });
    assert.throws(
      () => factory.createFilter(),
      domainError(StateError, Status.insufficientResources, /^filter: create .*insufficientResources/),
    );
    assert.throws(
      () => new Device({ filterDescriptors: [], dispatch: { add: () => Status.unsuccessful } }),
      domainError(StateError, Status.unsuccessful, /^device: add .*unsuccessful/),
    );
    const device = new Device({ filterDescriptors: [], dispatch: { start: () => Status.deviceNotReady } });
    assert.throws(
      () => device.start(),
      domainError(StateError, Status.deviceNotReady, /^device: start .*deviceNotReady/),
    );
  });

  it('graph.connect without a common data format: StateError noMatch naming both pin types', () => {
    const graph = new Graph();
    const rgb = { ...streamFormat, subFormat: DataFormatSubtype.rgb24 };
    const yuy = { ...streamFormat, subFormat: DataFormatSubtype.yuy2 };
    const a = graph.addFilter({
      pinDescriptors: [
        pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source, dataRanges: [rgb] }),
      ],
    });
    const b = graph.addFilter({ pinDescriptors: [pinDescriptor({ dataRanges: [yuy] })] });
    assert.throws(
      () => graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }),
      domainError(StateError, Status.noMatch, /^connect f0\.0 → f1\.0: /),
    );
  });
});
