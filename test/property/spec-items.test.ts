import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFramingEx } from '../../src/framing/codec.js';
import { GUID_NULL, MemoryType } from '../../src/framing/constants.js';
import type { AllocatorFramingEx } from '../../src/framing/types.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { ConnectionProperty, PropertySetId, PropertyType, StreamProperty } from '../../src/property/constants.js';
import { getProperty, ksProperty, propertySupport, setProperty } from '../../src/property/ks-property.js';
import { Status } from '../../src/status.js';
import { captureFraming, makeFilter, outputDescriptor, pinDescriptor, streamFormat } from './helpers.js';

const FRAMING_EX = { set: PropertySetId.connection, id: ConnectionProperty.allocatorFramingEx };
const ALLOCATOR = { set: PropertySetId.stream, id: StreamProperty.allocator };

describe('spec §9 item 8: KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX', () => {
  it('item 8: is get-only — BASICSUPPORT reports GET only, a SET fails with invalidDeviceRequest and changes nothing', () => {
    const filter = makeFilter([outputDescriptor({ allocatorFraming: captureFraming() })]);
    const pin = filter.createPin(0, streamFormat);
    const support = propertySupport(pin, FRAMING_EX.set, FRAMING_EX.id);
    assert.equal(support.status, Status.success);
    assert.equal(support.value, PropertyType.get);
    const before = getProperty<AllocatorFramingEx>(pin, FRAMING_EX.set, FRAMING_EX.id);
    const typed = setProperty(pin, FRAMING_EX.set, FRAMING_EX.id, before.value);
    assert.equal(typed.status, Status.invalidDeviceRequest);
    const wire = ksProperty(pin, { ...FRAMING_EX, flags: PropertyType.set }, before.bytes);
    assert.equal(wire.status, Status.invalidDeviceRequest);
    assert.equal(wire.bytesReturned, 0);
    assert.deepEqual(getProperty(pin, FRAMING_EX.set, FRAMING_EX.id).value, before.value);
  });

  it('item 8: the reply is 24 + 88·CountItems bytes (size query first, then the full reply) and decodes to the object', () => {
    const x = captureFraming();
    const second = { ...x.items[0]!, memoryType: MemoryType.kernelPaged };
    const third = { ...x.items[0]!, memoryType: GUID_NULL, frames: 5 };
    const framing: AllocatorFramingEx = { ...x, items: [x.items[0]!, second, third] };
    const pin = makeFilter([outputDescriptor({ allocatorFraming: framing })]).createPin(0, streamFormat);
    const request = { ...FRAMING_EX, flags: PropertyType.get };
    const query = ksProperty(pin, request);
    assert.equal(query.status, Status.bufferOverflow);
    assert.equal(query.bytesReturned, 24 + 88 * 3);
    assert.equal(query.bytes, undefined);
    const full = ksProperty(pin, request, new Uint8Array(query.bytesReturned));
    assert.equal(full.status, Status.success);
    assert.equal(full.bytesReturned, 24 + 88 * 3);
    assert.equal(full.bytes!.byteLength, 24 + 88 * 3);
    assert.equal(new DataView(full.bytes!.buffer).getUint32(0, true), 3, 'CountItems');
    assert.deepEqual(decodeFramingEx(full.bytes!), framing);
    const typed = getProperty<AllocatorFramingEx>(pin, FRAMING_EX.set, FRAMING_EX.id);
    assert.deepEqual(typed.value, framing);
    assert.deepEqual(typed.bytes, full.bytes);
    assert.equal(typed.bytesReturned, 24 + 88 * 3);
  });

  it('item 8: per instance after KsEdit — two instances of one descriptor report different framings once one edits', () => {
    const descriptor = outputDescriptor({ allocatorFraming: captureFraming() });
    const filter = makeFilter([descriptor]);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(0, streamFormat);
    const edited = a.editAllocatorFraming();
    edited.items[0]!.frames = 7;
    edited.items[0]!.framingRange.range.minFrameSize = 614400;
    edited.items[0]!.framingRange.range.maxFrameSize = 614400;
    edited.items[0]!.framingRange.range.stepping = 0;
    const ra = getProperty<AllocatorFramingEx>(a, FRAMING_EX.set, FRAMING_EX.id);
    const rb = getProperty<AllocatorFramingEx>(b, FRAMING_EX.set, FRAMING_EX.id);
    assert.equal(ra.value!.items[0]!.frames, 7);
    assert.equal(ra.value!.items[0]!.framingRange.range.maxFrameSize, 614400);
    assert.equal(rb.value!.items[0]!.frames, 2, 'the other instance still reports the descriptor framing');
    assert.deepEqual(rb.value, descriptor.allocatorFraming);
    assert.notDeepEqual(ra.bytes, rb.bytes);
    assert.equal(decodeFramingEx(ra.bytes!, { validate: false }).items[0]!.frames, 7);
    assert.equal(descriptor.allocatorFraming!.items[0]!.frames, 2, 'the shared descriptor is untouched');
  });

  it('item 8: a KsEdit made in the Create dispatch is what the property reports', () => {
    const descriptor = outputDescriptor({
      allocatorFraming: captureFraming(),
      dispatch: {
        create: (pin) => {
          pin.editAllocatorFraming().items[0]!.frames = 4;
        },
      },
    });
    const pin = makeFilter([descriptor]).createPin(0, streamFormat);
    assert.equal(getProperty<AllocatorFramingEx>(pin, FRAMING_EX.set, FRAMING_EX.id).value!.items[0]!.frames, 4);
  });

  it('item 8: unsupported (notFound) when the descriptor has no AllocatorFraming, for GET, SET and BASICSUPPORT', () => {
    const pin = makeFilter([pinDescriptor({ allocatorFraming: null })]).createPin(0, streamFormat);
    for (const flags of [PropertyType.get, PropertyType.set, PropertyType.basicSupport]) {
      const r = ksProperty(pin, { ...FRAMING_EX, flags }, new Uint8Array(512));
      assert.equal(r.status, Status.notFound, `flags ${flags}`);
      assert.equal(r.bytesReturned, 0);
    }
    assert.equal(getProperty(pin, FRAMING_EX.set, FRAMING_EX.id).status, Status.notFound);
  });
});

describe('spec §9 item 9: KSPROPERTY_STREAM_ALLOCATOR', () => {
  it('item 9: GET succeeds with a NULL handle on a pin that supports it (typed null, 8 zero bytes on the wire)', () => {
    const pin = makeFilter([outputDescriptor()]).createPin(0, streamFormat);
    const typed = getProperty(pin, ALLOCATOR.set, ALLOCATOR.id);
    assert.equal(typed.status, Status.success);
    assert.equal(typed.value, null);
    const query = ksProperty(pin, { ...ALLOCATOR, flags: PropertyType.get });
    assert.equal(query.status, Status.bufferTooSmall, 'a fixed-size value');
    assert.equal(query.bytesReturned, 8);
    const buffer = new Uint8Array(8).fill(0xcc);
    const wire = ksProperty(pin, { ...ALLOCATOR, flags: PropertyType.get }, buffer);
    assert.equal(wire.status, Status.success);
    assert.equal(wire.bytesReturned, 8);
    assert.deepEqual([...buffer], [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('item 9: a pin without the standard transport does not support it (notFound)', () => {
    const pin = makeFilter([outputDescriptor({ flags: PinFlags.doNotUseStandardTransport })]).createPin(
      0,
      streamFormat,
    );
    assert.equal(getProperty(pin, ALLOCATOR.set, ALLOCATOR.id).status, Status.notFound);
  });
});
