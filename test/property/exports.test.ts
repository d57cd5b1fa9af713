import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AllocatorFramingEx,
  ConnectionProperty,
  getProperty,
  IOCTL_KS_PROPERTY,
  KSEVENTSETID_StreamAllocator,
  KSMETHODSETID_StreamAllocator,
  KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX,
  KSPROPERTY_STREAM_ALLOCATOR,
  KSPROPERTY_STREAM_PIPE_ID,
  KSPROPERTY_TYPE_BASICSUPPORT,
  KSPROPERTY_TYPE_GET,
  KSPROPSETID_Connection,
  KSPROPSETID_Stream,
  KSPROPSETID_StreamAllocator,
  ksProperty,
  Status,
} from '../../src/index.js';
import { captureFraming, makeFilter, outputDescriptor, streamFormat } from './helpers.js';

describe('public exports of src/property', () => {
  it('the ks.h spellings carry the ks.h values and work with the request functions', () => {
    assert.equal(KSPROPSETID_Connection, '1d58c920-ac9b-11cf-a5d6-28db04c10000');
    assert.equal(KSPROPSETID_Stream, '65aaba60-98ae-11cf-a10d-0020afd156e4');
    assert.equal(KSPROPSETID_StreamAllocator, 'cf6e4342-ec87-11cf-a130-0020afd156e4');
    assert.equal(KSMETHODSETID_StreamAllocator, 'cf6e4341-ec87-11cf-a130-0020afd156e4');
    assert.equal(KSEVENTSETID_StreamAllocator, '75d95571-073c-11d0-a161-0020afd156e4');
    assert.deepEqual(Object.values(ConnectionProperty), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(
      [KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX, KSPROPERTY_STREAM_ALLOCATOR, KSPROPERTY_STREAM_PIPE_ID],
      [6, 0, 10],
    );
    assert.deepEqual([KSPROPERTY_TYPE_GET, KSPROPERTY_TYPE_BASICSUPPORT, IOCTL_KS_PROPERTY], [1, 0x200, 0x2f0003]);
    const pin = makeFilter([outputDescriptor({ allocatorFraming: captureFraming() })]).createPin(0, streamFormat);
    const r = getProperty<AllocatorFramingEx>(pin, KSPROPSETID_Connection, KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX);
    assert.equal(r.status, Status.success);
    assert.equal(r.bytes!.byteLength, 24 + 88 * r.value!.items.length);
    const q = ksProperty(pin, {
      set: KSPROPSETID_Connection,
      id: KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX,
      flags: KSPROPERTY_TYPE_GET,
    });
    assert.deepEqual([q.status, q.bytesReturned], [Status.bufferOverflow, 112]);
  });
});
