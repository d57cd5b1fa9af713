import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFraming } from '../../src/framing/codec.js';
import { FileAlignment, MemoryType, PoolType } from '../../src/framing/constants.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFraming } from '../../src/framing/types.js';
import type { KsDataFormat } from '../../src/pin/data-format.js';
import { connectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { clearPipeSource, setPipeSource } from '../../src/processing/wiring.js';
import { ConnectionProperty, PropertySetId, PropertyType, StreamProperty } from '../../src/property/constants.js';
import { getProperty, ksProperty, propertySupport, setProperty } from '../../src/property/ks-property.js';
import { legacyFramingFromEx, pipeAllocatorOf } from '../../src/property/pipe-allocator.js';
import {
  decodeDataFormat,
  encodeDataFormat,
  encodeUlong,
  type WireDataFormat,
} from '../../src/property/value-codec.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import {
  captureFraming,
  initializedAllocator,
  legacy,
  makeFilter,
  outputDescriptor,
  pinDescriptor,
  streamFormat,
  streamRange,
  videoFormat,
} from './helpers.js';

const C = PropertySetId.connection;
const P = ConnectionProperty;
const get = (flags = PropertyType.get) => flags;

describe('KSPROPERTY_CONNECTION_STATE', () => {
  it('SET drives the pin like a client state change (one step at a time for a standard-transport pin); GET reports it', () => {
    const steps: Array<[KsStateValue, KsStateValue]> = [];
    const pin = makeFilter([
      pinDescriptor({
        dispatch: {
          setDeviceState: (_p, to, from) => {
            steps.push([from, to]);
          },
        },
      }),
    ]).createPin(0, streamFormat);
    assert.equal(getProperty(pin, C, P.state).value, KsState.stop);
    assert.equal(setProperty(pin, C, P.state, KsState.run).status, Status.success);
    assert.deepEqual(steps, [
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    assert.equal(pin.deviceState, KsState.run);
    const r = getProperty(pin, C, P.state);
    assert.equal(r.value, KsState.run);
    assert.deepEqual([...r.bytes!], [3, 0, 0, 0]);
    assert.equal(r.bytesReturned, 4);
    const wire = ksProperty(pin, { set: C, id: P.state, flags: PropertyType.set }, encodeUlong(KsState.stop));
    assert.equal(wire.status, Status.success);
    assert.equal(pin.deviceState, KsState.stop);
    assert.equal(steps.length, 6);
  });

  it('a refused state change returns the dispatch status and leaves ClientState where it was', () => {
    const pin = makeFilter([
      pinDescriptor({
        dispatch: { setDeviceState: (_p, to) => (to === KsState.pause ? Status.insufficientResources : 0) },
      }),
    ]).createPin(0, streamFormat);
    assert.equal(setProperty(pin, C, P.state, KsState.run).status, Status.insufficientResources);
    assert.equal(getProperty(pin, C, P.state).value, KsState.stop);
    assert.equal(pin.deviceState, KsState.acquire, 'the walk stopped at the last step that succeeded');
  });

  it('SET goes to the pin itself: its state observers (the graph manager’s pipe hooks) run and can refuse the step', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    const seen: string[] = [];
    pin.addStateObserver({
      willPinState: (_p, from, to) => {
        seen.push(`${from}->${to}`);
        return to === KsState.acquire ? Status.insufficientResources : undefined;
      },
    });
    assert.equal(setProperty(pin, C, P.state, KsState.pause).status, Status.insufficientResources);
    assert.deepEqual(seen, ['0->1']);
    assert.equal(pin.deviceState, KsState.stop);
  });

  it('a bad state is a RangeError in typed form and invalidParameter on the wire; a short SET buffer is bufferTooSmall', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    assert.throws(() => setProperty(pin, C, P.state, 4), RangeError);
    const wire = ksProperty(pin, { set: C, id: P.state, flags: PropertyType.set }, encodeUlong(9));
    assert.equal(wire.status, Status.invalidParameter);
    const short = ksProperty(pin, { set: C, id: P.state, flags: PropertyType.set }, new Uint8Array(2));
    assert.deepEqual([short.status, short.bytesReturned], [Status.bufferTooSmall, 4]);
    assert.equal(pin.deviceState, KsState.stop);
  });
});

describe('KSPROPERTY_CONNECTION_DATAFORMAT', () => {
  it('GET returns the connection format: a zero-length query gets bufferOverflow with FormatSize, then 64 bytes', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    const request = { set: C, id: P.dataFormat, flags: get() };
    const q = ksProperty(pin, request);
    assert.deepEqual([q.status, q.bytesReturned], [Status.bufferOverflow, 64]);
    const r = ksProperty(pin, request, new Uint8Array(100));
    assert.equal(r.status, Status.success);
    assert.equal(r.bytesReturned, 64);
    assert.deepEqual(decodeDataFormat(r.bytes!), streamFormat);
    assert.deepEqual(getProperty(pin, C, P.dataFormat).value, streamFormat);
  });

  it('SET changes the format through SetDataFormat (old format passed); the specific block travels with it', () => {
    const calls: Array<KsDataFormat | null> = [];
    const pin = makeFilter([
      pinDescriptor({
        dispatch: {
          setDataFormat: (_p, old) => {
            calls.push(old);
          },
        },
      }),
    ]).createPin(0, streamFormat);
    const block = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
    const wire = encodeDataFormat({ ...videoFormat, specifierData: block });
    assert.equal(wire.byteLength, 88);
    const r = ksProperty(pin, { set: C, id: P.dataFormat, flags: PropertyType.set }, wire);
    assert.equal(r.status, Status.success);
    assert.deepEqual(calls, [null, streamFormat]);
    const back = getProperty<WireDataFormat>(pin, C, P.dataFormat);
    assert.equal(back.bytesReturned, 88);
    assert.deepEqual(back.bytes, wire);
    assert.deepEqual(back.value!.specifierData, block);
    assert.equal(back.value!.subFormat, videoFormat.subFormat);
  });

  it('a FIXED_FORMAT pin refuses a format set with invalidDeviceRequest (spec §9 item 11 through the property)', () => {
    const pin = makeFilter([pinDescriptor({ flags: PinFlags.fixedFormat })]).createPin(0, streamFormat);
    assert.equal(setProperty(pin, C, P.dataFormat, videoFormat).status, Status.invalidDeviceRequest);
    assert.deepEqual(pin.connectionFormat, streamFormat);
  });

  it('a format no range accepts is noMatch; a malformed wire format is invalidParameter; under 64 bytes bufferTooSmall', () => {
    const pin = makeFilter([pinDescriptor({ dataRanges: [streamRange] })]).createPin(0, streamFormat);
    assert.equal(setProperty(pin, C, P.dataFormat, videoFormat).status, Status.noMatch);
    const bad = encodeDataFormat(streamFormat);
    new DataView(bad.buffer).setUint32(0, 200, true); // FormatSize beyond the buffer
    assert.equal(
      ksProperty(pin, { set: C, id: P.dataFormat, flags: PropertyType.set }, bad).status,
      Status.invalidParameter,
    );
    const short = ksProperty(pin, { set: C, id: P.dataFormat, flags: PropertyType.set }, new Uint8Array(10));
    assert.deepEqual([short.status, short.bytesReturned], [Status.bufferTooSmall, 64]);
    assert.throws(() => setProperty(pin, C, P.dataFormat, { formatSize: 64 }), TypeError);
    assert.deepEqual(pin.connectionFormat, streamFormat);
  });
});

describe('KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT', () => {
  it('is set-only: success ⇔ a range accepts the format; the format never changes; the dispatch sees a check (old null)', () => {
    const olds: Array<KsDataFormat | null> = [];
    const pin = makeFilter([
      pinDescriptor({
        dataRanges: [streamRange, { ...videoFormat }],
        dispatch: {
          setDataFormat: (p, old) => {
            olds.push(old);
            return p.connectionFormat!.sampleSize !== 1 ? Status.success : Status.noMatch;
          },
        },
      }),
    ]).createPin(0, streamFormat);
    olds.length = 0;
    assert.equal(setProperty(pin, C, P.proposeDataFormat, videoFormat).status, Status.success);
    assert.deepEqual(pin.connectionFormat, streamFormat, 'unchanged');
    assert.equal(setProperty(pin, C, P.proposeDataFormat, { ...videoFormat, sampleSize: 1 }).status, Status.noMatch);
    assert.deepEqual(pin.connectionFormat, streamFormat);
    assert.deepEqual(olds, [null, null]);
    const wire = ksProperty(
      pin,
      { set: C, id: P.proposeDataFormat, flags: PropertyType.set },
      encodeDataFormat(videoFormat),
    );
    assert.equal(wire.status, Status.success);
    assert.equal(getProperty(pin, C, P.proposeDataFormat).status, Status.invalidDeviceRequest);
    assert.equal(propertySupport(pin, C, P.proposeDataFormat).value, PropertyType.set);
  });

  it('on a FIXED_FORMAT pin a proposal fails like the set would (invalidDeviceRequest)', () => {
    const pin = makeFilter([pinDescriptor({ flags: PinFlags.fixedFormat })]).createPin(0, streamFormat);
    assert.equal(setProperty(pin, C, P.proposeDataFormat, streamFormat).status, Status.invalidDeviceRequest);
  });
});

describe('KSPROPERTY_CONNECTION_ALLOCATORFRAMING (legacy)', () => {
  it('before its pipe exists a pin reports the legacy form of its first framing item', () => {
    const pin = makeFilter([outputDescriptor({ allocatorFraming: captureFraming() })]).createPin(0, streamFormat);
    const r = getProperty<AllocatorFraming>(pin, C, P.allocatorFraming);
    assert.equal(r.status, Status.success);
    assert.deepEqual(r.value, {
      optionsFlags: 0x80000002,
      poolType: PoolType.nonPagedPool,
      frames: 2,
      frameSize: 8192,
      fileAlignment: FileAlignment.long,
      reserved: 0,
    });
    assert.equal(r.bytesReturned, 24);
    assert.deepEqual(decodeFraming(r.bytes!, { validate: false }), r.value);
    const short = ksProperty(pin, { set: C, id: P.allocatorFraming, flags: PropertyType.get }, new Uint8Array(8));
    assert.deepEqual([short.status, short.bytesReturned], [Status.bufferTooSmall, 24]);
  });

  it('legacyFramingFromEx: paged memory ⇒ PagedPool; an unbounded optimal maximum ⇒ the minimum; don’t-care ⇒ 0', () => {
    const paged = simpleFraming(MemoryType.kernelPaged, 0, 3, FileAlignment.quad, 1000, 0xffffffff);
    assert.deepEqual(legacyFramingFromEx(paged), {
      optionsFlags: 0,
      poolType: PoolType.pagedPool,
      frames: 3,
      frameSize: 1000,
      fileAlignment: FileAlignment.quad,
      reserved: 0,
    });
    assert.equal(legacyFramingFromEx(simpleFraming(MemoryType.user, 0, 1, 0, 0, 0xffffffff)).frameSize, 0);
    assert.equal(legacyFramingFromEx(simpleFraming(MemoryType.system, 0, 1, 0, 64, 128)).frameSize, 128);
  });

  it('once its pipe exists every pin of the pipe reports the framing the pipe’s allocator was created with', () => {
    const source = makeFilter([outputDescriptor({ allocatorFraming: captureFraming() })]);
    const transform = makeFilter([pinDescriptor(), outputDescriptor()]);
    const src = source.createPin(0, streamFormat);
    const tin = transform.createPin(0, streamFormat);
    const tout = transform.createPin(1, streamFormat);
    connectPins(src, tin);
    linkInPlace(tin, tout);
    const resolved = legacy({ frames: 5, frameSize: 4096 });
    const allocator = initializedAllocator(resolved);
    setPipeSource(src, allocator);
    for (const pin of [src, tin, tout] as Pin[]) {
      assert.equal(pipeAllocatorOf(pin), allocator);
      const r = getProperty<AllocatorFraming>(pin, C, P.allocatorFraming);
      assert.equal(r.status, Status.success, 'the transform pins have no framing of their own but are in the pipe');
      assert.deepEqual(r.value, resolved);
    }
    allocator.delete();
    assert.equal(pipeAllocatorOf(src), null, 'a deleted allocator is no pipe');
    assert.equal(getProperty<AllocatorFraming>(src, C, P.allocatorFraming).value!.frames, 2, 'back to the pin’s own');
    assert.equal(getProperty(tin, C, P.allocatorFraming).status, Status.notFound);
    clearPipeSource(src);
  });

  it('is get-only; a pin with neither a framing nor a pipe does not have it (notFound)', () => {
    const withFraming = makeFilter([outputDescriptor({ allocatorFraming: captureFraming() })]).createPin(
      0,
      streamFormat,
    );
    assert.equal(setProperty(withFraming, C, P.allocatorFraming, legacy()).status, Status.invalidDeviceRequest);
    const bare = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    assert.equal(getProperty(bare, C, P.allocatorFraming).status, Status.notFound);
  });
});

describe('KSPROPERTY_CONNECTION_ACQUIREORDERING', () => {
  it('GET is TRUE for a pin offering a vendor allocator, FALSE otherwise; a BOOL on the wire; get-only', () => {
    const vendor = {
      initializeAllocator: () => ({ status: 0 as const, context: null }),
      deleteAllocator: () => {},
      allocate: () => null,
      free: () => {},
    };
    const filter = makeFilter([outputDescriptor({ dispatch: { allocator: vendor } }), pinDescriptor()]);
    const withVendor = filter.createPin(0, streamFormat);
    const plain = filter.createPin(1, streamFormat);
    const a = getProperty(withVendor, C, P.acquireOrdering);
    assert.equal(a.value, true);
    assert.deepEqual([...a.bytes!], [1, 0, 0, 0]);
    assert.equal(getProperty(plain, C, P.acquireOrdering).value, false);
    assert.equal(setProperty(plain, C, P.acquireOrdering, true).status, Status.invalidDeviceRequest);
  });
});

describe('KSPROPERTY_CONNECTION_PRIORITY and STARTAT', () => {
  it('are not offered by avstream pins: notFound for every verb', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    for (const id of [P.priority, P.startAt]) {
      for (const flags of [PropertyType.get, PropertyType.set, PropertyType.basicSupport]) {
        assert.equal(ksProperty(pin, { set: C, id, flags }, new Uint8Array(64)).status, Status.notFound);
      }
    }
  });
});

describe('KSPROPERTY_STREAM_ALLOCATOR SET and the other Stream ids', () => {
  it('SET of the NULL handle succeeds; a real allocator or a non-NULL wire handle is refused (invalidDeviceRequest)', () => {
    const pin = makeFilter([outputDescriptor()]).createPin(0, streamFormat);
    const S = PropertySetId.stream;
    assert.equal(setProperty(pin, S, StreamProperty.allocator, null).status, Status.success);
    const allocator = initializedAllocator();
    assert.equal(setProperty(pin, S, StreamProperty.allocator, allocator).status, Status.invalidDeviceRequest);
    assert.throws(() => setProperty(pin, S, StreamProperty.allocator, 42), TypeError);
    const handle = new Uint8Array(8);
    assert.equal(ksProperty(pin, { set: S, id: 0, flags: PropertyType.set }, handle).status, Status.success);
    handle[0] = 0x44;
    assert.equal(
      ksProperty(pin, { set: S, id: 0, flags: PropertyType.set }, handle).status,
      Status.invalidDeviceRequest,
    );
    assert.equal(propertySupport(pin, S, StreamProperty.allocator).value, PropertyType.get | PropertyType.set);
    for (let id = 1; id <= 10; id++) assert.equal(getProperty(pin, S, id).status, Status.notFound, `Stream id ${id}`);
    assert.equal(allocator.outstanding, 0);
  });
});
