import { argumentError, FramingError } from '../errors.js';
import { Status } from '../status.js';
import { MAX_FRAMING_ITEMS } from './constants.js';
import { FRAMING_ITEM_FIELDS, FRAMING_RANGE_FIELDS, FRAMING_RANGE_WEIGHTED_FIELDS } from './field-names.js';
import { readGuid, writeGuid } from './guid.js';
import type { AllocatorFraming, AllocatorFramingEx, FramingItem, FramingRange } from './types.js';
import { _checkFramingExShape, _checkFramingShape, validateFraming, validateFramingEx } from './validate.js';

/**
 * The wire forms of KSALLOCATOR_FRAMING_EX (24 + 88·CountItems bytes) and KSALLOCATOR_FRAMING (24 bytes):
 * little-endian ULONGs, GUIDs in Windows byte order (Data1, Data2, Data3 little-endian; Data4 as stored). The layout
 * table is in docs/framing.md.
 * @module
 */

/** Size of the KSALLOCATOR_FRAMING_EX header before FramingItem[0]: CountItems, PinFlags, OutputCompression, PinWeight. */
export const FRAMING_EX_HEADER_SIZE = 24;
/** Size of one KS_FRAMING_ITEM on the wire. */
export const FRAMING_ITEM_SIZE = 88;
/** Size of a KSALLOCATOR_FRAMING on the wire. */
export const FRAMING_SIZE = 24;

/** Byte offsets inside a KS_FRAMING_ITEM. */
export const FramingItemOffset = {
  /** MemoryType (GUID, 16 bytes) */
  memoryType: 0,
  /** BusType (GUID, 16 bytes) */
  busType: 16,
  /** MemoryFlags (ULONG) */
  memoryFlags: 32,
  /** BusFlags (ULONG) */
  busFlags: 36,
  /** Flags (ULONG) */
  flags: 40,
  /** Frames (ULONG) */
  frames: 44,
  /** FileAlignment / FramePitch (ULONG) */
  fileAlignment: 48,
  /** MemoryTypeWeight (ULONG) */
  memoryTypeWeight: 52,
  /** PhysicalRange (KS_FRAMING_RANGE, 12 bytes) */
  physicalRange: 56,
  /** FramingRange.Range (KS_FRAMING_RANGE, 12 bytes) */
  framingRange: 68,
  /** FramingRange.InPlaceWeight (ULONG) */
  inPlaceWeight: 80,
  /** FramingRange.NotInPlaceWeight (ULONG) */
  notInPlaceWeight: 84,
} as const;

/** Options of the encoders and decoders. */
export interface FramingCodecOptions {
  /**
   * `true` (the default): run the full validation (`validateFramingEx` / `validateFraming`). `false`: structural checks
   * only (sizes, item count, ULONG fields, GUIDs), so a semantically invalid framing can be carried on the wire.
   */
  readonly validate?: boolean;
}

/**
 * The byte length of a KSALLOCATOR_FRAMING_EX with `countItems` items: 24 + 88·countItems.
 * @throws RangeError unless countItems is an integer from 1 to {@link MAX_FRAMING_ITEMS}
 */
export function framingExByteLength(countItems: number): number {
  if (!Number.isInteger(countItems) || countItems < 1 || countItems > MAX_FRAMING_ITEMS) {
    throw argumentError('range', 'countItems', countItems, `an integer from 1 to ${MAX_FRAMING_ITEMS}`);
  }
  return FRAMING_EX_HEADER_SIZE + FRAMING_ITEM_SIZE * countItems;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function writeRange(v: DataView, o: number, r: FramingRange): void {
  v.setUint32(o, r.minFrameSize, true);
  v.setUint32(o + 4, r.maxFrameSize, true);
  v.setUint32(o + 8, r.stepping, true);
}

function readRange(v: DataView, o: number): FramingRange {
  return {
    minFrameSize: v.getUint32(o, true),
    maxFrameSize: v.getUint32(o + 4, true),
    stepping: v.getUint32(o + 8, true),
  };
}

function writeItem(v: DataView, o: number, item: FramingItem): void {
  const O = FramingItemOffset;
  writeGuid(v, o + O.memoryType, item.memoryType);
  writeGuid(v, o + O.busType, item.busType);
  v.setUint32(o + O.memoryFlags, item.memoryFlags, true);
  v.setUint32(o + O.busFlags, item.busFlags, true);
  v.setUint32(o + O.flags, item.flags, true);
  v.setUint32(o + O.frames, item.frames, true);
  v.setUint32(o + O.fileAlignment, item.fileAlignment, true);
  v.setUint32(o + O.memoryTypeWeight, item.memoryTypeWeight, true);
  writeRange(v, o + O.physicalRange, item.physicalRange);
  writeRange(v, o + O.framingRange, item.framingRange.range);
  v.setUint32(o + O.inPlaceWeight, item.framingRange.inPlaceWeight, true);
  v.setUint32(o + O.notInPlaceWeight, item.framingRange.notInPlaceWeight, true);
}

function readItem(v: DataView, o: number): FramingItem {
  const O = FramingItemOffset;
  return {
    memoryType: readGuid(v, o + O.memoryType),
    busType: readGuid(v, o + O.busType),
    memoryFlags: v.getUint32(o + O.memoryFlags, true),
    busFlags: v.getUint32(o + O.busFlags, true),
    flags: v.getUint32(o + O.flags, true),
    frames: v.getUint32(o + O.frames, true),
    fileAlignment: v.getUint32(o + O.fileAlignment, true),
    memoryTypeWeight: v.getUint32(o + O.memoryTypeWeight, true),
    physicalRange: readRange(v, o + O.physicalRange),
    framingRange: {
      range: readRange(v, o + O.framingRange),
      inPlaceWeight: v.getUint32(o + O.inPlaceWeight, true),
      notInPlaceWeight: v.getUint32(o + O.notInPlaceWeight, true),
    },
  };
}

/** A nested object read once into a plain copy; anything else (a non-object, an array) is kept for the shape check. */
function snapshotObject<K extends string>(value: unknown, keys: readonly K[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const from = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = from[key];
  return out;
}

function snapshotItem(value: unknown): unknown {
  const item = snapshotObject(value, FRAMING_ITEM_FIELDS);
  if (item === value) return item;
  const o = item as Record<string, unknown>;
  o.physicalRange = snapshotObject(o.physicalRange, FRAMING_RANGE_FIELDS);
  const weighted = snapshotObject(o.framingRange, FRAMING_RANGE_WEIGHTED_FIELDS);
  if (weighted !== o.framingRange)
    (weighted as Record<string, unknown>).range = snapshotObject(
      (weighted as Record<string, unknown>).range,
      FRAMING_RANGE_FIELDS,
    );
  o.framingRange = weighted;
  return o;
}

/**
 * Reads every modelled field of a framing exactly once into a plain copy, so what is checked is what is written (a
 * getter cannot pass validation with one value and be encoded with another, nor change the item count between the
 * length check and the write loop). Bounded: items are copied only from an array of 1…MAX_FRAMING_ITEMS, whose
 * length is read once; anything unexpected is kept as is for the shape check to name.
 */
function snapshotFramingEx(x: unknown): unknown {
  const root = snapshotObject(x, ['pinFlags', 'outputCompression', 'pinWeight', 'items'] as const);
  if (root === x) return root;
  const o = root as Record<string, unknown>;
  o.outputCompression = snapshotObject(o.outputCompression, [
    'ratioNumerator',
    'ratioDenominator',
    'ratioConstantMargin',
  ] as const);
  const items = o.items;
  if (Array.isArray(items)) {
    const n: unknown = items.length;
    if (typeof n === 'number' && n >= 1 && n <= MAX_FRAMING_ITEMS) {
      const copy: unknown[] = [];
      for (let i = 0; i < n; i++) copy.push(snapshotItem(items[i]));
      o.items = copy;
    } // else: kept as is, for the shape check to name `items` and its length
  }
  return o;
}

function checkedEx(x: AllocatorFramingEx, options: FramingCodecOptions): AllocatorFramingEx {
  const snapshot = snapshotFramingEx(x);
  if (options.validate === false) _checkFramingExShape(snapshot);
  else validateFramingEx(snapshot as AllocatorFramingEx);
  return snapshot as AllocatorFramingEx;
}

function checkBytes(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw argumentError('type', 'bytes', bytes, 'a Uint8Array');
}

/**
 * Writes the wire form of a KSALLOCATOR_FRAMING_EX into `target` at `offset` and returns the number of bytes written
 * ({@link framingExByteLength} of `x.items.length`). Nothing is written when a check fails.
 * @throws FramingError when `x` is invalid (see {@link FramingCodecOptions.validate})
 * @throws TypeError when `target` is not a Uint8Array
 * @throws RangeError when `target` has fewer than that many bytes after `offset`
 */
export function encodeFramingExInto(
  x: AllocatorFramingEx,
  target: Uint8Array,
  offset = 0,
  options: FramingCodecOptions = {},
): number {
  const snapshot = checkedEx(x, options);
  checkBytes(target);
  const length = framingExByteLength(snapshot.items.length);
  if (target.byteLength < length) {
    throw argumentError('range', 'target', target, `a Uint8Array of at least ${length} bytes`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.byteLength) {
    throw argumentError(
      'range',
      'offset',
      offset,
      `an integer from 0 to ${target.byteLength - length} (${length} bytes must fit in ${target.byteLength})`,
    );
  }
  const v = viewOf(target);
  writeFramingEx(v, offset, snapshot);
  return length;
}

/**
 * The wire form of a KSALLOCATOR_FRAMING_EX: 24 + 88·CountItems bytes, CountItems = `x.items.length`.
 * @throws FramingError when `x` is invalid (see {@link FramingCodecOptions.validate})
 */
export function encodeFramingEx(x: AllocatorFramingEx, options: FramingCodecOptions = {}): Uint8Array {
  const snapshot = checkedEx(x, options);
  const bytes = new Uint8Array(framingExByteLength(snapshot.items.length));
  writeFramingEx(viewOf(bytes), 0, snapshot);
  return bytes;
}

/** Writes a checked snapshot (every field already read once and validated) at `offset`. */
function writeFramingEx(v: DataView, offset: number, x: AllocatorFramingEx): void {
  v.setUint32(offset, x.items.length, true);
  v.setUint32(offset + 4, x.pinFlags, true);
  v.setUint32(offset + 8, x.outputCompression.ratioNumerator, true);
  v.setUint32(offset + 12, x.outputCompression.ratioDenominator, true);
  v.setUint32(offset + 16, x.outputCompression.ratioConstantMargin, true);
  v.setUint32(offset + 20, x.pinWeight, true);
  for (let i = 0; i < x.items.length; i++) {
    writeItem(v, offset + FRAMING_EX_HEADER_SIZE + i * FRAMING_ITEM_SIZE, x.items[i]!);
  }
}

/**
 * Decodes the wire form of a KSALLOCATOR_FRAMING_EX. `bytes` must hold exactly one framing: 24 + 88·CountItems bytes.
 *
 * Checked in this order, before anything is allocated: at least 24 bytes (`byteLength`); CountItems from 1 to
 * {@link MAX_FRAMING_ITEMS} (`countItems`); exactly 24 + 88·CountItems bytes, neither truncated nor oversize
 * (`byteLength`). The decoded framing is then validated (`validateFramingEx`) unless `{ validate: false }`.
 * @throws TypeError when `bytes` is not a Uint8Array
 * @throws FramingError naming `byteLength`, `countItems` or the invalid field
 */
export function decodeFramingEx(bytes: Uint8Array, options: FramingCodecOptions = {}): AllocatorFramingEx {
  checkBytes(bytes);
  const n = bytes.byteLength;
  if (n < FRAMING_EX_HEADER_SIZE) {
    throw new FramingError(
      'byteLength',
      n,
      `at least ${FRAMING_EX_HEADER_SIZE} bytes (the KSALLOCATOR_FRAMING_EX header); the buffer is truncated`,
      Status.bufferTooSmall,
    );
  }
  const v = viewOf(bytes);
  const count = v.getUint32(0, true);
  if (count < 1 || count > MAX_FRAMING_ITEMS) {
    throw new FramingError('countItems', count, `between 1 and ${MAX_FRAMING_ITEMS}`);
  }
  const expected = FRAMING_EX_HEADER_SIZE + FRAMING_ITEM_SIZE * count;
  if (n !== expected) {
    const what = n < expected ? 'the buffer is truncated' : 'the buffer is oversize';
    throw new FramingError(
      'byteLength',
      n,
      `exactly ${expected} bytes (24 + 88·countItems for countItems ${count}); ${what}`,
      n < expected ? Status.bufferTooSmall : undefined,
    );
  }
  const items: FramingItem[] = [];
  for (let i = 0; i < count; i++) items.push(readItem(v, FRAMING_EX_HEADER_SIZE + i * FRAMING_ITEM_SIZE));
  const x: AllocatorFramingEx = {
    pinFlags: v.getUint32(4, true),
    outputCompression: {
      ratioNumerator: v.getUint32(8, true),
      ratioDenominator: v.getUint32(12, true),
      ratioConstantMargin: v.getUint32(16, true),
    },
    pinWeight: v.getUint32(20, true),
    items,
  };
  return options.validate === false ? x : validateFramingEx(x);
}

/**
 * The 24-byte wire form of a legacy KSALLOCATOR_FRAMING: OptionsFlags, PoolType, Frames, FrameSize, FileAlignment,
 * Reserved.
 * @throws FramingError when `x` is invalid (see {@link FramingCodecOptions.validate})
 */
export function encodeFraming(x: AllocatorFraming, options: FramingCodecOptions = {}): Uint8Array {
  const read = snapshotObject(x, [
    'optionsFlags',
    'poolType',
    'frames',
    'frameSize',
    'fileAlignment',
    'reserved',
  ] as const);
  if (options.validate === false) _checkFramingShape(read);
  else validateFraming(read as AllocatorFraming);
  x = read as AllocatorFraming;
  const bytes = new Uint8Array(FRAMING_SIZE);
  const v = viewOf(bytes);
  v.setUint32(0, x.optionsFlags, true);
  v.setUint32(4, x.poolType, true);
  v.setUint32(8, x.frames, true);
  v.setUint32(12, x.frameSize, true);
  v.setUint32(16, x.fileAlignment, true);
  v.setUint32(20, x.reserved, true);
  return bytes;
}

/**
 * Decodes a 24-byte KSALLOCATOR_FRAMING; validated with `validateFraming` unless `{ validate: false }`.
 * @throws TypeError when `bytes` is not a Uint8Array
 * @throws FramingError naming `byteLength` (not exactly 24 bytes) or the invalid field
 */
export function decodeFraming(bytes: Uint8Array, options: FramingCodecOptions = {}): AllocatorFraming {
  checkBytes(bytes);
  if (bytes.byteLength !== FRAMING_SIZE) {
    const what = bytes.byteLength < FRAMING_SIZE ? 'the buffer is truncated' : 'the buffer is oversize';
    throw new FramingError(
      'byteLength',
      bytes.byteLength,
      `exactly ${FRAMING_SIZE} bytes (KSALLOCATOR_FRAMING); ${what}`,
      bytes.byteLength < FRAMING_SIZE ? Status.bufferTooSmall : undefined,
    );
  }
  const v = viewOf(bytes);
  const x: AllocatorFraming = {
    optionsFlags: v.getUint32(0, true),
    poolType: v.getUint32(4, true),
    frames: v.getUint32(8, true),
    frameSize: v.getUint32(12, true),
    fileAlignment: v.getUint32(16, true),
    reserved: v.getUint32(20, true),
  };
  return options.validate === false ? x : validateFraming(x);
}
