import type { FrameAllocator, FrameBuffer } from '../allocator/types.js';
import { AvStreamError, argumentError } from '../errors.js';
import { cloneFraming, cloneFramingEx } from '../framing/clone.js';
import { decodeFraming, decodeFramingEx, encodeFraming, encodeFramingEx } from '../framing/codec.js';
import type { Guid } from '../framing/guid.js';
import type { AllocatorFraming, AllocatorFramingEx } from '../framing/types.js';
import { type KsDataFormat, validateDataFormat } from '../pin/data-format.js';
import type { Pin } from '../pin/pin.js';
import { PinFlags } from '../pin/pin-flags.js';
import type { KsStateValue } from '../state.js';
import { Status, type StatusCode } from '../status.js';
import {
  ConnectionProperty,
  PropertySetId,
  PropertySize,
  StreamAllocatorProperty,
  StreamProperty,
} from './constants.js';
import { legacyFramingFromEx, pipeAllocatorOf } from './pipe-allocator.js';
import {
  decodeDataFormat,
  decodeStreamAllocatorStatus,
  decodeUlong,
  encodeDataFormat,
  encodeStreamAllocatorStatus,
  encodeUlong,
  type StreamAllocatorStatus,
  streamAllocatorStatusOf,
  type WireDataFormat,
} from './value-codec.js';

/**
 * The property tables ("automation tables") of pins and allocators: for each property set, its items with their
 * handlers and value codecs. Internal to src/property; the public entry points are in ks-property.ts.
 * @module
 */

/** KSSTREAMALLOCATOR_FUNCTIONTABLE: direct (non-pending) allocation on an allocator. Kernel callers only. */
export interface StreamAllocatorFunctionTable {
  /** AllocateFrame: a frame, or null at once when none is free (`allocator.allocate()`). */
  readonly allocateFrame: () => FrameBuffer | null;
  /** FreeFrame: returns a frame (`allocator.free(frame)`). */
  readonly freeFrame: (frame: FrameBuffer) => void;
}

/** A getter's outcome: a status and, on success, the value. @internal */
export interface Outcome<T> {
  readonly status: StatusCode;
  readonly value?: T;
}

/** One property of a set (KSPROPERTY_ITEM). @internal */
export interface ItemDef<O, T = unknown> {
  /** PropertyId */
  readonly id: number;
  /** The ks.h name, for messages and docs. */
  readonly name: string;
  /** The value's byte size when fixed (KS answers a short buffer with bufferTooSmall), null when variable. */
  readonly size: number | null;
  /** MinData for a SET (bytes the value needs at least). */
  readonly minSetData: number;
  /** Whether the item exists on this instance (default: always). */
  readonly present?: (target: O) => boolean;
  /** GetPropertyHandler (absent: the property cannot be read). */
  readonly get?: (target: O) => Outcome<T>;
  /** SetPropertyHandler (absent: the property cannot be set). */
  readonly set?: (target: O, value: T) => StatusCode;
  /** The value's wire form; null when it has none (a kernel-only value). */
  readonly encode: (value: T) => Uint8Array | null;
  /** Reads a value from its wire form (throws TypeError/RangeError/FramingError when malformed). */
  readonly decode: (bytes: Uint8Array) => T;
  /** Checks a typed SET value (throws TypeError/RangeError naming `name`). */
  readonly check: (value: unknown, name: string) => T;
}

/** A property set (KSPROPERTY_SET) of a target kind. @internal */
export interface SetDef<O> {
  readonly set: Guid;
  readonly name: string;
  readonly items: readonly ItemDef<O>[];
}

/** Runs a domain operation and maps an AvStreamError to its status (other errors propagate). */
function statusOf(run: () => void): StatusCode {
  try {
    run();
    return Status.success;
  } catch (error) {
    if (error instanceof AvStreamError) return error.status;
    throw error;
  }
}

function checkState(value: unknown, name: string): KsStateValue {
  if (value !== 0 && value !== 1 && value !== 2 && value !== 3) {
    throw argumentError('range', name, value, 'a KsState value 0–3');
  }
  return value;
}

function checkFormat(value: unknown, name: string): WireDataFormat {
  validateDataFormat(value as KsDataFormat, name);
  return value as WireDataFormat;
}

function noValue(_value: unknown, name: string): never {
  throw argumentError('type', name, _value, 'no value (the property cannot be set)');
}

const fixed = (size: number) => ({ size, minSetData: size });

function item<O, T>(def: ItemDef<O, T>): ItemDef<O> {
  return def as unknown as ItemDef<O>;
}

// ---------------------------------------------------------------- pins

const pinConnection: SetDef<Pin> = {
  set: PropertySetId.connection,
  name: 'KSPROPSETID_Connection',
  items: [
    item<Pin, KsStateValue>({
      id: ConnectionProperty.state,
      name: 'KSPROPERTY_CONNECTION_STATE',
      ...fixed(PropertySize.ksState),
      get: (pin) => ({ status: Status.success, value: pin.clientState }),
      set: (pin, state) => statusOf(() => pin.setState(state)),
      encode: encodeUlong,
      decode: (b) => decodeUlong(b) as KsStateValue,
      check: checkState,
    }),
    item<Pin, WireDataFormat>({
      id: ConnectionProperty.dataFormat,
      name: 'KSPROPERTY_CONNECTION_DATAFORMAT',
      size: null,
      minSetData: 64,
      get: (pin) =>
        pin.connectionFormat === null
          ? { status: Status.invalidDeviceState }
          : { status: Status.success, value: pin.connectionFormat as WireDataFormat },
      set: (pin, format) => statusOf(() => pin.setDataFormat(format)),
      encode: encodeDataFormat,
      decode: decodeDataFormat,
      check: checkFormat,
    }),
    item<Pin, Readonly<AllocatorFraming>>({
      id: ConnectionProperty.allocatorFraming,
      name: 'KSPROPERTY_CONNECTION_ALLOCATORFRAMING',
      ...fixed(24),
      present: (pin) => pin.allocatorFraming !== null || pipeAllocatorOf(pin) !== null,
      get: (pin) => {
        const allocator = pipeAllocatorOf(pin);
        if (allocator?.framing) return { status: Status.success, value: cloneFraming(allocator.framing) };
        const ex = pin.allocatorFraming;
        return ex === null ? { status: Status.notFound } : { status: Status.success, value: legacyFramingFromEx(ex) };
      },
      encode: (x) => encodeFraming(x, { validate: false }),
      decode: (b) => decodeFraming(b, { validate: false }),
      check: noValue,
    }),
    item<Pin, WireDataFormat>({
      id: ConnectionProperty.proposeDataFormat,
      name: 'KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT',
      size: null,
      minSetData: 64,
      set: (pin, format) => proposeDataFormat(pin, format),
      encode: encodeDataFormat,
      decode: decodeDataFormat,
      check: checkFormat,
    }),
    item<Pin, boolean>({
      id: ConnectionProperty.acquireOrdering,
      name: 'KSPROPERTY_CONNECTION_ACQUIREORDERING',
      ...fixed(PropertySize.bool),
      get: (pin) => ({ status: Status.success, value: acquireOrdering(pin) }),
      encode: (v) => encodeUlong(v ? 1 : 0),
      decode: (b) => decodeUlong(b) !== 0,
      check: noValue,
    }),
    item<Pin, AllocatorFramingEx>({
      id: ConnectionProperty.allocatorFramingEx,
      name: 'KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX',
      size: null,
      minSetData: 0,
      present: (pin) => pin.allocatorFraming !== null,
      get: (pin) => {
        const x = pin.allocatorFraming;
        return x === null ? { status: Status.notFound } : { status: Status.success, value: cloneFramingEx(x) };
      },
      encode: (x) => encodeFramingEx(x, { validate: false }),
      decode: (b) => decodeFramingEx(b, { validate: false }),
      check: noValue,
    }),
  ],
};

/** A non-NULL handle read from the wire (avstream cannot resolve handles: a SET with it is refused). */
const HANDLE_NOT_NULL = Object.freeze({ handle: 'non-null' }) as unknown as FrameAllocator;

const pinStream: SetDef<Pin> = {
  set: PropertySetId.stream,
  name: 'KSPROPSETID_Stream',
  items: [
    item<Pin, FrameAllocator | null>({
      id: StreamProperty.allocator,
      name: 'KSPROPERTY_STREAM_ALLOCATOR',
      ...fixed(PropertySize.handle),
      present: (pin) => pin.standardTransport,
      get: () => ({ status: Status.success, value: null }),
      set: (_pin, handle) => (handle === null ? Status.success : Status.invalidDeviceRequest),
      encode: () => new Uint8Array(PropertySize.handle),
      decode: (b) => {
        if (b.byteLength < PropertySize.handle) throw argumentError('range', 'bytes', b, 'a HANDLE (8 bytes)');
        return b.subarray(0, PropertySize.handle).some((x) => x !== 0) ? HANDLE_NOT_NULL : null;
      },
      check: (value, name) => {
        if (value === null) return null;
        if (value === HANDLE_NOT_NULL) return HANDLE_NOT_NULL;
        if (value !== null && typeof value === 'object' && typeof (value as FrameAllocator).acquire === 'function') {
          return value as FrameAllocator;
        }
        throw argumentError('type', name, value, 'null (the NULL handle) or a FrameAllocator');
      },
    }),
  ],
};

/**
 * PROPOSEDATAFORMAT: succeeds exactly when a DATAFORMAT set of the same format would — FIXED_FORMAT with a format
 * set ⇒ invalidDeviceRequest; otherwise the SetDataFormat walk over the data ranges, with the dispatch called as for
 * the check before Create (old format null: a check, not a change) — and leaves the connection format unchanged.
 */
function proposeDataFormat(pin: Pin, format: KsDataFormat): StatusCode {
  if ((pin.flags & PinFlags.fixedFormat) !== 0 && pin.connectionFormat !== null) return Status.invalidDeviceRequest;
  if (!pin.isOpen) return Status.invalidDeviceState;
  const previous = pin.connectionFormat;
  try {
    return statusOf(() => pin._applyFormat(format, null));
  } finally {
    pin.connectionFormat = previous;
  }
}

/**
 * ACQUIREORDERING: TRUE when the pin offers a vendor allocator (KSPIN_DISPATCH.Allocator): if its pipe selects it,
 * it is created while this pin goes STOP→ACQUIRE, before the pipe's other pins may use frames, so the order in which
 * pins acquire matters. FALSE otherwise.
 */
function acquireOrdering(pin: Pin): boolean {
  const allocator = pin.dispatch?.allocator;
  return allocator !== undefined && allocator !== null;
}

/** The property sets of a pin, in the order a SETSUPPORT enumeration lists them. @internal */
export const PIN_SETS: readonly SetDef<Pin>[] = [pinConnection, pinStream];

// ---------------------------------------------------------------- allocators

const allocatorSet: SetDef<FrameAllocator> = {
  set: PropertySetId.streamAllocator,
  name: 'KSPROPSETID_StreamAllocator',
  items: [
    item<FrameAllocator, StreamAllocatorFunctionTable>({
      id: StreamAllocatorProperty.functionTable,
      name: 'KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE',
      ...fixed(16),
      get: (allocator) => ({
        status: Status.success,
        value: Object.freeze({
          allocateFrame: () => allocator.allocate(),
          freeFrame: (frame: FrameBuffer) => allocator.free(frame),
        }),
      }),
      encode: () => null,
      decode: () => {
        throw argumentError('type', 'bytes', 'function pointers', 'no wire form (kernel callers only)');
      },
      check: noValue,
    }),
    item<FrameAllocator, StreamAllocatorStatus>({
      id: StreamAllocatorProperty.status,
      name: 'KSPROPERTY_STREAMALLOCATOR_STATUS',
      ...fixed(PropertySize.streamAllocatorStatus),
      get: (allocator) =>
        allocator.framing === null
          ? { status: Status.invalidDeviceState }
          : { status: Status.success, value: streamAllocatorStatusOf(allocator.status()) },
      encode: encodeStreamAllocatorStatus,
      decode: decodeStreamAllocatorStatus,
      check: noValue,
    }),
  ],
};

/** The property sets of an allocator object. @internal */
export const ALLOCATOR_SETS: readonly SetDef<FrameAllocator>[] = [allocatorSet];

/** A filter answers none of these sets (they live on pin and allocator objects). @internal */
export const FILTER_SETS: readonly SetDef<unknown>[] = [];
