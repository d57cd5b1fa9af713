import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FileAlignment, GUID_NULL, MemoryType } from '../../src/framing/constants.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFramingEx } from '../../src/framing/types.js';
import {
  ConnectionProperty,
  IoctlKs,
  KSPROPTYPESETID_GENERAL,
  PropertySetId,
  PropertyType,
  StreamAllocatorProperty,
} from '../../src/property/constants.js';
import {
  getProperty,
  ksProperty,
  propertySets,
  propertySupport,
  requestProperty,
} from '../../src/property/ks-property.js';
import { decodeGuidList } from '../../src/property/value-codec.js';
import { Status } from '../../src/status.js';
import { initializedAllocator, makeFilter, outputDescriptor, pinDescriptor, streamFormat } from './helpers.js';

const C = PropertySetId.connection;
const UNKNOWN_SET = '12345678-1234-1234-1234-123456789abc';

describe('property request model', () => {
  it('ks.h values: set GUIDs, KSPROPERTY_TYPE_* and IOCTL codes (CTL_CODE(FILE_DEVICE_KS, fn, METHOD_NEITHER, access))', () => {
    assert.equal(PropertySetId.connection, '1d58c920-ac9b-11cf-a5d6-28db04c10000');
    assert.equal(PropertySetId.stream, '65aaba60-98ae-11cf-a10d-0020afd156e4');
    assert.equal(PropertySetId.streamAllocator, 'cf6e4342-ec87-11cf-a130-0020afd156e4');
    assert.deepEqual(
      [PropertyType.get, PropertyType.set, PropertyType.setSupport, PropertyType.basicSupport],
      [0x1, 0x2, 0x100, 0x200],
    );
    const ctl = (fn: number, access: number) => (0x2f << 16) | (access << 14) | (fn << 2) | 3;
    assert.equal(IoctlKs.property, 0x2f0003);
    assert.equal(IoctlKs.property, ctl(0, 0));
    assert.equal(IoctlKs.enableEvent, ctl(1, 0));
    assert.equal(IoctlKs.disableEvent, ctl(2, 0));
    assert.equal(IoctlKs.method, ctl(3, 0));
    assert.equal(IoctlKs.writeStream, ctl(4, 2));
    assert.equal(IoctlKs.readStream, ctl(5, 1));
    assert.equal(IoctlKs.resetState, ctl(6, 0));
  });

  it('an unknown property set is propsetNotFound on a pin, a filter and an allocator (every verb)', () => {
    const filter = makeFilter([pinDescriptor()]);
    const pin = filter.createPin(0, streamFormat);
    const allocator = initializedAllocator();
    for (const target of [pin, filter, allocator]) {
      for (const flags of [PropertyType.get, PropertyType.set, PropertyType.basicSupport, PropertyType.setSupport]) {
        const r = ksProperty(target, { set: UNKNOWN_SET, id: 0, flags }, new Uint8Array(64));
        assert.deepEqual([r.status, r.bytesReturned], [Status.propsetNotFound, 0]);
      }
    }
    // A set that exists, but on another kind of object.
    assert.equal(getProperty(allocator, C, ConnectionProperty.state).status, Status.propsetNotFound);
    assert.equal(getProperty(pin, PropertySetId.streamAllocator, 1).status, Status.propsetNotFound);
    assert.equal(getProperty(filter, C, ConnectionProperty.state).status, Status.propsetNotFound);
  });

  it('an unknown property id is notFound', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    for (const id of [8, 99, 0xffffffff]) {
      assert.equal(getProperty(pin, C, id).status, Status.notFound);
      assert.equal(
        ksProperty(pin, { set: C, id, flags: PropertyType.set }, new Uint8Array(64)).status,
        Status.notFound,
      );
    }
    assert.equal(getProperty(initializedAllocator(), PropertySetId.streamAllocator, 2).status, Status.notFound);
  });

  it('a GET of a set-only property and a SET of a get-only property are invalidDeviceRequest', () => {
    const pin = makeFilter([
      outputDescriptor({ allocatorFraming: simpleFraming(MemoryType.system, 0, 2, 0, 64, 64) }),
    ]).createPin(0, streamFormat);
    assert.equal(getProperty(pin, C, ConnectionProperty.proposeDataFormat).status, Status.invalidDeviceRequest);
    for (const id of [ConnectionProperty.allocatorFraming, ConnectionProperty.allocatorFramingEx, 5]) {
      const r = ksProperty(pin, { set: C, id, flags: PropertyType.set }, new Uint8Array(200));
      assert.equal(r.status, Status.invalidDeviceRequest, `id ${id}`);
    }
    const allocator = initializedAllocator();
    const r = ksProperty(
      allocator,
      { set: PropertySetId.streamAllocator, id: StreamAllocatorProperty.status, flags: PropertyType.set },
      new Uint8Array(32),
    );
    assert.equal(r.status, Status.invalidDeviceRequest);
  });

  it('other verbs (RELATIONS, SERIALIZE…, DEFAULTVALUES) are invalidDeviceRequest; a TOPOLOGY (node) request is notFound', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    for (const flags of [
      PropertyType.relations,
      PropertyType.serializeSet,
      PropertyType.unserializeRaw,
      PropertyType.defaultValues,
      PropertyType.getPayloadSize,
    ]) {
      assert.equal(ksProperty(pin, { set: C, id: 0, flags }).status, Status.invalidDeviceRequest, `flags ${flags}`);
    }
    const node = ksProperty(pin, { set: C, id: 0, flags: PropertyType.get | PropertyType.topology }, new Uint8Array(4));
    assert.equal(node.status, Status.notFound);
  });

  it('BASICSUPPORT: the access flags as a ULONG, a 40-byte KSPROPERTY_DESCRIPTION in a large buffer, bufferTooSmall under 4', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    const req = { set: C, id: ConnectionProperty.state, flags: PropertyType.basicSupport };
    assert.equal(propertySupport(pin, C, ConnectionProperty.state).value, PropertyType.get | PropertyType.set);
    assert.equal(propertySupport(pin, C, ConnectionProperty.acquireOrdering).value, PropertyType.get);
    const small = ksProperty(pin, req, new Uint8Array(2));
    assert.deepEqual([small.status, small.bytesReturned], [Status.bufferTooSmall, 4]);
    const ulong = ksProperty(pin, req, new Uint8Array(8));
    assert.deepEqual([ulong.status, ulong.bytesReturned, [...ulong.bytes!]], [Status.success, 4, [3, 0, 0, 0]]);
    const full = ksProperty(pin, req, new Uint8Array(64));
    assert.equal(full.bytesReturned, 40);
    const v = new DataView(full.bytes!.buffer, full.bytes!.byteOffset, 40);
    assert.equal(v.getUint32(0, true), 3, 'AccessFlags');
    assert.equal(v.getUint32(4, true), 40, 'DescriptionSize');
    assert.deepEqual(decodeGuidList(full.bytes!.subarray(8, 24)), [KSPROPTYPESETID_GENERAL]);
  });

  it('SETSUPPORT: success for a supported set; GUID_NULL id 0 lists the sets (with the size-query pattern)', () => {
    const filter = makeFilter([pinDescriptor()]);
    const pin = filter.createPin(0, streamFormat);
    assert.equal(ksProperty(pin, { set: C, id: 0, flags: PropertyType.setSupport }).status, Status.success);
    assert.deepEqual(propertySets(pin), [PropertySetId.connection, PropertySetId.stream]);
    assert.deepEqual(propertySets(initializedAllocator()), [PropertySetId.streamAllocator]);
    assert.deepEqual(propertySets(filter), []);
    const request = { set: GUID_NULL, id: 0, flags: PropertyType.setSupport };
    const q = ksProperty(pin, request);
    assert.deepEqual([q.status, q.bytesReturned], [Status.bufferOverflow, 32]);
    const r = ksProperty(pin, request, new Uint8Array(32));
    assert.deepEqual(decodeGuidList(r.bytes!), [PropertySetId.connection, PropertySetId.stream]);
  });

  it('GUIDs match regardless of braces and case', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    const r = requestProperty(pin, {
      set: '{1D58C920-AC9B-11CF-A5D6-28DB04C10000}',
      id: ConnectionProperty.state,
      flags: PropertyType.get,
    });
    assert.equal(r.status, Status.success);
  });

  it('malformed requests and targets are TypeError/RangeError naming the argument', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    assert.throws(() => ksProperty(pin, { set: 'nope', id: 0, flags: 1 }), /request\.set/);
    assert.throws(() => ksProperty(pin, { set: C, id: -1, flags: 1 }), /request\.id/);
    assert.throws(() => ksProperty(pin, { set: C, id: 0, flags: 0 }), /request\.flags/);
    assert.throws(() => ksProperty(pin, { set: C, id: 0, flags: 3 }), /exactly one/);
    assert.throws(() => ksProperty(pin, { set: C, id: 0, flags: 0x20000 }), RangeError);
    assert.throws(() => ksProperty({} as never, { set: C, id: 0, flags: 1 }), /target/);
    assert.throws(() => ksProperty(pin, { set: C, id: 0, flags: 1 }, [1, 2] as never), /data/);
  });
});

describe('the buffer-size pattern', () => {
  it('a variable-length value: any buffer shorter than 24 + 88·n is bufferOverflow with the size; a large one succeeds', () => {
    const arbFraming = fc
      .record({
        frames: fc.integer({ min: 1, max: 64 }),
        min: fc.integer({ min: 1, max: 1 << 20 }),
        extra: fc.integer({ min: 0, max: 1 << 20 }),
        count: fc.integer({ min: 1, max: 6 }),
      })
      .map(({ frames, min, extra, count }): AllocatorFramingEx => {
        const base = simpleFraming(MemoryType.kernelNonPaged, 0, frames, FileAlignment.quad, min, min + extra);
        return { ...base, items: Array.from({ length: count }, () => structuredClone(base.items[0]!)) };
      });
    fc.assert(
      fc.property(arbFraming, fc.nat(24 + 88 * 6 + 16), (framing, length) => {
        const pin = makeFilter([outputDescriptor({ allocatorFraming: framing })]).createPin(0, streamFormat);
        const needed = 24 + 88 * framing.items.length;
        const r = ksProperty(
          pin,
          { set: C, id: ConnectionProperty.allocatorFramingEx, flags: PropertyType.get },
          new Uint8Array(length),
        );
        if (length < needed) {
          assert.deepEqual([r.status, r.bytesReturned, r.bytes], [Status.bufferOverflow, needed, undefined]);
        } else {
          assert.deepEqual([r.status, r.bytesReturned, r.bytes!.byteLength], [Status.success, needed, needed]);
          assert.deepEqual(r.value, framing);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a fixed-size value: a short buffer is bufferTooSmall with the size, nothing written', () => {
    const pin = makeFilter([pinDescriptor()]).createPin(0, streamFormat);
    const buffer = new Uint8Array(3).fill(0xaa);
    const r = ksProperty(pin, { set: C, id: ConnectionProperty.state, flags: PropertyType.get }, buffer);
    assert.deepEqual([r.status, r.bytesReturned], [Status.bufferTooSmall, 4]);
    assert.deepEqual([...buffer], [0xaa, 0xaa, 0xaa]);
  });
});
