import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PoolType } from '../../src/framing/constants.js';
import {
  decodeDataFormat,
  decodeGuidList,
  decodeStreamAllocatorStatus,
  decodeUlong,
  encodeDataFormat,
  encodeGuidList,
  encodeStreamAllocatorStatus,
  encodeUlong,
} from '../../src/property/value-codec.js';

const guid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});

describe('property value codecs', () => {
  it('KSDATAFORMAT: header + specific block round-trip; FormatSize bytes long', () => {
    fc.assert(
      fc.property(
        fc.record({ flags: fc.nat(3), sampleSize: fc.nat(), majorFormat: guid, subFormat: guid, specifier: guid }),
        fc.uint8Array({ maxLength: 64 }),
        (header, block) => {
          const format = {
            ...header,
            formatSize: 64 + block.byteLength,
            ...(block.byteLength > 0 ? { specifierData: block } : {}),
          };
          const bytes = encodeDataFormat(format);
          assert.equal(bytes.byteLength, format.formatSize);
          assert.deepEqual(decodeDataFormat(bytes), format);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('KSDATAFORMAT: a wrong-size specific block, a short buffer or a bad FormatSize are RangeErrors', () => {
    const base = {
      formatSize: 70,
      flags: 0,
      sampleSize: 0,
      majorFormat: '00000000-0000-0000-0000-000000000000',
      subFormat: '00000000-0000-0000-0000-000000000000',
      specifier: '00000000-0000-0000-0000-000000000000',
    };
    assert.throws(() => encodeDataFormat({ ...base, specifierData: new Uint8Array(5) }), /specifierData/);
    assert.deepEqual([...encodeDataFormat(base).subarray(64)], [0, 0, 0, 0, 0, 0], 'no block known: zeros');
    assert.throws(() => decodeDataFormat(new Uint8Array(63)), RangeError);
    const bytes = encodeDataFormat(base);
    new DataView(bytes.buffer).setUint32(0, 40, true);
    assert.throws(() => decodeDataFormat(bytes), /formatSize/);
  });

  it('KSSTREAMALLOCATOR_STATUS, ULONG and GUID lists round-trip', () => {
    const status = {
      framing: {
        optionsFlags: 2,
        poolType: PoolType.pagedPool,
        frames: 8,
        frameSize: 4096,
        fileAlignment: 63,
        reserved: 0,
      },
      allocatedFrames: 5,
      reserved: 0,
    };
    const bytes = encodeStreamAllocatorStatus(status);
    assert.equal(bytes.byteLength, 32);
    assert.deepEqual(decodeStreamAllocatorStatus(bytes), status);
    assert.throws(() => decodeStreamAllocatorStatus(new Uint8Array(24)), RangeError);
    assert.equal(decodeUlong(encodeUlong(0xfffffffe)), 0xfffffffe);
    assert.throws(() => decodeUlong(new Uint8Array(3)), RangeError);
    fc.assert(
      fc.property(fc.array(guid, { maxLength: 5 }), (guids) => {
        assert.deepEqual(decodeGuidList(encodeGuidList(guids)), guids);
      }),
      { numRuns: 50 },
    );
  });
});
