import type { AllocatorStatus } from '../allocator/types.js';
import { argumentError } from '../errors.js';
import { decodeFraming, encodeFraming, FRAMING_SIZE } from '../framing/codec.js';
import { type Guid, readGuid, writeGuid } from '../framing/guid.js';
import type { AllocatorFraming } from '../framing/types.js';
import { KSDATAFORMAT_SIZE, type KsDataFormat } from '../pin/data-format.js';
import { KSPROPTYPESETID_GENERAL, PropertySize } from './constants.js';

/**
 * Little-endian wire forms of the property values (spec §5): ULONG values, KSDATAFORMAT, KSSTREAMALLOCATOR_STATUS,
 * KSPROPERTY_DESCRIPTION and GUID lists. The KSALLOCATOR_FRAMING(_EX) forms are the framing codec's.
 * @module
 */

/**
 * A data format as carried by the DATAFORMAT properties: the KSDATAFORMAT header plus, when `formatSize` > 64, the
 * bytes of the format-specific block (a VIDEOINFOHEADER, a WAVEFORMATEX, …) in `specifierData`.
 */
export interface WireDataFormat extends KsDataFormat {
  /** The `formatSize − 64` bytes after the header, when the format has a specific block and they are known. */
  readonly specifierData?: Uint8Array;
}

/** KSSTREAMALLOCATOR_STATUS: the creation framing, the frames allocated now and a reserved ULONG. */
export interface StreamAllocatorStatus {
  /** Framing: the KSALLOCATOR_FRAMING the allocator was created with. */
  readonly framing: Readonly<AllocatorFraming>;
  /** AllocatedFrames: frames outstanding now. */
  readonly allocatedFrames: number;
  /** Reserved (0). */
  readonly reserved: number;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The 4-byte little-endian form of a ULONG (KSSTATE, BOOL, AccessFlags). */
export function encodeUlong(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  view(bytes).setUint32(0, value >>> 0, true);
  return bytes;
}

/** Reads the ULONG at the start of `bytes` (at least 4 bytes). */
export function decodeUlong(bytes: Uint8Array): number {
  if (bytes.byteLength < 4) throw argumentError('range', 'bytes', bytes, 'at least 4 bytes (a ULONG)');
  return view(bytes).getUint32(0, true);
}

/**
 * The wire form of a KSDATAFORMAT: FormatSize, Flags, SampleSize, Reserved (0), MajorFormat, SubFormat, Specifier
 * (64 bytes), then `formatSize − 64` bytes of the specific block — `specifierData` when given, else zeros.
 * @throws RangeError when `specifierData` is not `formatSize − 64` bytes long
 */
export function encodeDataFormat(format: WireDataFormat): Uint8Array {
  const size = format.formatSize;
  const bytes = new Uint8Array(size);
  const v = view(bytes);
  v.setUint32(0, size, true);
  v.setUint32(4, format.flags, true);
  v.setUint32(8, format.sampleSize, true);
  v.setUint32(12, 0, true);
  writeGuid(v, 16, format.majorFormat);
  writeGuid(v, 32, format.subFormat);
  writeGuid(v, 48, format.specifier);
  const extra = format.specifierData;
  if (extra !== undefined) {
    if (!(extra instanceof Uint8Array) || extra.byteLength !== size - KSDATAFORMAT_SIZE) {
      throw argumentError(
        'range',
        'format.specifierData',
        extra,
        `a Uint8Array of formatSize − 64 = ${size - KSDATAFORMAT_SIZE} bytes`,
      );
    }
    bytes.set(extra, KSDATAFORMAT_SIZE);
  }
  return bytes;
}

/**
 * Decodes a KSDATAFORMAT: at least 64 bytes, FormatSize from 64 to the buffer length (trailing bytes beyond
 * FormatSize are ignored); the specific block is returned in `specifierData` when FormatSize > 64.
 * @throws RangeError naming `bytes` or `formatSize`
 */
export function decodeDataFormat(bytes: Uint8Array): WireDataFormat {
  if (!(bytes instanceof Uint8Array)) throw argumentError('type', 'bytes', bytes, 'a Uint8Array');
  if (bytes.byteLength < KSDATAFORMAT_SIZE) {
    throw argumentError('range', 'bytes', bytes, `at least ${KSDATAFORMAT_SIZE} bytes (a KSDATAFORMAT)`);
  }
  const v = view(bytes);
  const formatSize = v.getUint32(0, true);
  if (formatSize < KSDATAFORMAT_SIZE || formatSize > bytes.byteLength) {
    throw argumentError('range', 'formatSize', formatSize, `from ${KSDATAFORMAT_SIZE} to ${bytes.byteLength}`);
  }
  const format: WireDataFormat = {
    formatSize,
    flags: v.getUint32(4, true),
    sampleSize: v.getUint32(8, true),
    majorFormat: readGuid(v, 16),
    subFormat: readGuid(v, 32),
    specifier: readGuid(v, 48),
  };
  if (formatSize === KSDATAFORMAT_SIZE) return format;
  return { ...format, specifierData: bytes.slice(KSDATAFORMAT_SIZE, formatSize) };
}

/** KSSTREAMALLOCATOR_STATUS from an allocator's `status()` (its extra counters dropped). */
export function streamAllocatorStatusOf(status: AllocatorStatus): StreamAllocatorStatus {
  return { framing: status.framing, allocatedFrames: status.allocatedFrames, reserved: 0 };
}

/** The 32-byte wire form of a KSSTREAMALLOCATOR_STATUS: the 24-byte KSALLOCATOR_FRAMING, AllocatedFrames, Reserved. */
export function encodeStreamAllocatorStatus(status: StreamAllocatorStatus): Uint8Array {
  const bytes = new Uint8Array(PropertySize.streamAllocatorStatus);
  bytes.set(encodeFraming(status.framing, { validate: false }), 0);
  const v = view(bytes);
  v.setUint32(FRAMING_SIZE, status.allocatedFrames >>> 0, true);
  v.setUint32(FRAMING_SIZE + 4, status.reserved >>> 0, true);
  return bytes;
}

/**
 * Decodes a 32-byte KSSTREAMALLOCATOR_STATUS.
 * @throws RangeError when `bytes` is not 32 bytes long
 */
export function decodeStreamAllocatorStatus(bytes: Uint8Array): StreamAllocatorStatus {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== PropertySize.streamAllocatorStatus) {
    throw argumentError('range', 'bytes', bytes, `${PropertySize.streamAllocatorStatus} bytes`);
  }
  const v = view(bytes);
  return {
    framing: decodeFraming(bytes.subarray(0, FRAMING_SIZE), { validate: false }),
    allocatedFrames: v.getUint32(FRAMING_SIZE, true),
    reserved: v.getUint32(FRAMING_SIZE + 4, true),
  };
}

/**
 * The 40-byte KSPROPERTY_DESCRIPTION a BASICSUPPORT query returns in a large enough buffer: AccessFlags,
 * DescriptionSize 40, PropTypeSet {KSPROPTYPESETID_General, 0, 0}, MembersListCount 0, Reserved 0.
 */
export function encodePropertyDescription(accessFlags: number): Uint8Array {
  const bytes = new Uint8Array(PropertySize.propertyDescription);
  const v = view(bytes);
  v.setUint32(0, accessFlags >>> 0, true);
  v.setUint32(4, PropertySize.propertyDescription, true);
  writeGuid(v, 8, KSPROPTYPESETID_GENERAL);
  return bytes;
}

/** A list of GUIDs, 16 bytes each in Windows byte order (the SETSUPPORT enumeration reply). */
export function encodeGuidList(guids: readonly Guid[]): Uint8Array {
  const bytes = new Uint8Array(16 * guids.length);
  const v = view(bytes);
  guids.forEach((g, i) => {
    writeGuid(v, 16 * i, g);
  });
  return bytes;
}

/** Decodes a list of GUIDs (the byte length must be a multiple of 16). */
export function decodeGuidList(bytes: Uint8Array): Guid[] {
  if (bytes.byteLength % 16 !== 0) throw argumentError('range', 'bytes', bytes, 'a multiple of 16 bytes');
  const v = view(bytes);
  const out: Guid[] = [];
  for (let o = 0; o < bytes.byteLength; o += 16) out.push(readGuid(v, o));
  return out;
}
