import type { FrameAllocator } from '../allocator/types.js';
import { argumentError, FramingError } from '../errors.js';
import { Filter } from '../filter/filter.js';
import { GUID_NULL } from '../framing/constants.js';
import { type Guid, isGuid, normalizeGuid } from '../framing/guid.js';
import { Pin } from '../pin/pin.js';
import { Status, type StatusCode } from '../status.js';
import { PROPERTY_TYPE_MASK, PropertySize, PropertyType } from './constants.js';
import { ALLOCATOR_SETS, FILTER_SETS, type ItemDef, PIN_SETS, type SetDef } from './property-sets.js';
import { encodeGuidList, encodePropertyDescription, encodeUlong } from './value-codec.js';

/**
 * IOCTL_KS_PROPERTY answered from live objects (spec §5): a pin, a filter or an allocator. Two forms:
 *
 * - the wire form {@link ksProperty}: the value travels as little-endian bytes in a caller buffer, with KS's
 *   buffer-size pattern (a zero-length or short buffer learns the size from `bytesReturned`);
 * - the typed form {@link requestProperty} / {@link getProperty} / {@link setProperty}: the value is an object, and
 *   a GET reply carries both the object and its wire bytes.
 *
 * Lookup order and statuses (docs/properties.md): unknown set ⇒ `propsetNotFound`; unknown id, or a property the
 * instance does not have (ALLOCATORFRAMING_EX without a framing) ⇒ `notFound`; a node (TOPOLOGY) request ⇒
 * `notFound`; a verb the property does not implement (GET of a set-only property, SET of a get-only one, RELATIONS,
 * SERIALIZE…, DEFAULTVALUES) ⇒ `invalidDeviceRequest`; then the buffer size; then the handler, whose domain failure
 * is reported by its status (e.g. a refused state change).
 * @module
 */

/** What a property request can address: a pin, a filter or an allocator. */
export type PropertyTarget = Pin | Filter | FrameAllocator;

/** KSPROPERTY: the request header of IOCTL_KS_PROPERTY. */
export interface PropertyRequest {
  /** Set: the property set GUID (braces and case are ignored). */
  readonly set: Guid;
  /** Id: the property within the set. */
  readonly id: number;
  /** Flags: one KSPROPERTY_TYPE_* verb (GET, SET, SETSUPPORT, BASICSUPPORT, …), optionally with modifier bits. */
  readonly flags: number;
}

/** A typed property request: the KSPROPERTY header plus, for a SET, the value as an object. */
export interface TypedPropertyRequest extends PropertyRequest {
  /** The value to set (SET only). */
  readonly value?: unknown;
}

/** The reply of a property request (IO_STATUS_BLOCK plus the value). */
export interface PropertyReply<T = unknown> {
  /** The NTSTATUS of the request. */
  readonly status: StatusCode;
  /** The value (GET, BASICSUPPORT, the SETSUPPORT enumeration), on success. */
  readonly value?: T;
  /** The value's wire bytes, on success (the filled part of the caller's buffer for {@link ksProperty}). */
  readonly bytes?: Uint8Array;
  /**
   * IoStatus.Information: the bytes written on success; with `bufferOverflow` / `bufferTooSmall`, the size the
   * value needs; 0 otherwise.
   */
  readonly bytesReturned: number;
}

/** The verb bits (GET … DEFAULTVALUES); the rest are modifiers (HIGHPRIORITY, TOPOLOGY, FSFILTERSCOPE, COPYPAYLOAD). */
const VERB_MASK = 0x1ffff;
const EMPTY = new Uint8Array(0);

type AnyItem = ItemDef<unknown>;
/** The outcome of the lookup: the SETSUPPORT enumeration, an early reply, or the item to run the verb on. */
type Resolved = { readonly sets: readonly SetDef<unknown>[] } & (
  | { readonly enumerate: true; readonly reply?: undefined }
  | { readonly enumerate?: false; readonly reply: PropertyReply }
  | {
      readonly enumerate?: false;
      readonly reply?: undefined;
      readonly item: AnyItem;
      readonly target: unknown;
      readonly verb: number;
    }
);

function reply<T>(status: StatusCode, bytesReturned = 0, value?: T, bytes?: Uint8Array): PropertyReply<T> {
  const r: { status: StatusCode; bytesReturned: number; value?: T; bytes?: Uint8Array } = { status, bytesReturned };
  if (value !== undefined) r.value = value;
  if (bytes !== undefined) r.bytes = bytes;
  return r;
}

function setsOf(target: unknown): readonly SetDef<unknown>[] {
  if (target instanceof Pin) return PIN_SETS as readonly SetDef<unknown>[];
  if (target instanceof Filter) return FILTER_SETS;
  const t = target as Partial<FrameAllocator> | null;
  if (
    t !== null &&
    typeof t === 'object' &&
    typeof t.status === 'function' &&
    typeof t.acquire === 'function' &&
    typeof t.allocate === 'function'
  ) {
    return ALLOCATOR_SETS as readonly SetDef<unknown>[];
  }
  throw argumentError('type', 'target', target, 'a Pin, a Filter or a FrameAllocator');
}

function checkRequest(request: PropertyRequest): { set: Guid; id: number; flags: number; verb: number } {
  if (request === null || typeof request !== 'object') {
    throw argumentError('type', 'request', request, 'a KSPROPERTY { set, id, flags }');
  }
  if (!isGuid(request.set)) throw argumentError('type', 'request.set', request.set, 'a property set GUID');
  const { id, flags } = request;
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw argumentError('range', 'request.id', id, 'an unsigned 32-bit integer');
  }
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~PROPERTY_TYPE_MASK) !== 0) {
    throw argumentError('range', 'request.flags', flags, 'KSPROPERTY_TYPE_* bits (PropertyType)');
  }
  const verb = flags & VERB_MASK;
  if (verb === 0 || (verb & (verb - 1)) !== 0) {
    throw argumentError('range', 'request.flags', flags, 'exactly one KSPROPERTY_TYPE_* verb (GET, SET, …)');
  }
  return { set: normalizeGuid(request.set, 'request.set'), id, flags: flags >>> 0, verb };
}

/** Set, id and verb lookup shared by both forms. */
function resolve(target: PropertyTarget, request: PropertyRequest): Resolved {
  const sets = setsOf(target);
  const { set, id, flags, verb } = checkRequest(request);
  if (verb === PropertyType.setSupport && set === GUID_NULL && id === 0) {
    return { sets, enumerate: true };
  }
  const def = sets.find((s) => s.set === set);
  if (def === undefined) return { sets, reply: reply(Status.propsetNotFound) };
  if (verb === PropertyType.setSupport) return { sets, reply: reply(Status.success) };
  if ((flags & PropertyType.topology) !== 0) return { sets, reply: reply(Status.notFound) };
  const item = def.items.find((i) => i.id === id);
  if (item === undefined || (item.present !== undefined && !item.present(target))) {
    return { sets, reply: reply(Status.notFound) };
  }
  if (
    (verb === PropertyType.get && item.get === undefined) ||
    (verb === PropertyType.set && item.set === undefined) ||
    (verb !== PropertyType.get && verb !== PropertyType.set && verb !== PropertyType.basicSupport)
  ) {
    return { sets, reply: reply(Status.invalidDeviceRequest) };
  }
  return { sets, item, target, verb };
}

function accessFlags(item: AnyItem): number {
  return (item.get ? PropertyType.get : 0) | (item.set ? PropertyType.set : 0);
}

/** Copies a value into the caller's buffer with KS's size rules. */
function deliver<T>(fixedSize: boolean, value: T, bytes: Uint8Array, out: Uint8Array): PropertyReply<T> {
  const needed = bytes.byteLength;
  if (out.byteLength < needed) {
    // A fixed-size value: STATUS_BUFFER_TOO_SMALL; a variable-length one: STATUS_BUFFER_OVERFLOW. Both report
    // the size needed, so a zero-length query followed by a full-size request works for either.
    return reply(fixedSize ? Status.bufferTooSmall : Status.bufferOverflow, needed);
  }
  out.set(bytes, 0);
  return reply(Status.success, needed, value, out.subarray(0, needed));
}

function isArgumentFailure(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof FramingError;
}

/**
 * IOCTL_KS_PROPERTY in wire form. `data` is the caller's buffer (default: none, i.e. a zero-length buffer):
 *
 * - GET: the value is written into `data`. When `data` is shorter than the value, nothing is written and
 *   `bytesReturned` is the size needed — `bufferTooSmall` for a fixed-size value, `bufferOverflow` for a
 *   variable-length one (DATAFORMAT, ALLOCATORFRAMING_EX: 24 + 88·CountItems). On success `bytes` is the filled
 *   part of `data` and `value` the same value as an object.
 * - SET: `data` holds the value's wire bytes (shorter than the property's minimum ⇒ `bufferTooSmall` with the
 *   minimum in `bytesReturned`; malformed ⇒ `invalidParameter`).
 * - BASICSUPPORT: the access flags (KSPROPERTY_TYPE_GET | _SET) as a ULONG, or a 40-byte KSPROPERTY_DESCRIPTION
 *   when `data` has room for one; under 4 bytes ⇒ `bufferTooSmall` with 4.
 * - SETSUPPORT: `success` when the target supports the set, else `propsetNotFound`; with GUID_NULL and id 0, the
 *   GUIDs of every set the target supports (16 bytes each; a short buffer ⇒ `bufferOverflow` with the size).
 * @throws TypeError/RangeError for a malformed request (not a GUID, flags without exactly one verb, …) or target
 */
export function ksProperty(target: PropertyTarget, request: PropertyRequest, data?: Uint8Array | null): PropertyReply {
  const out = data ?? EMPTY;
  if (!(out instanceof Uint8Array)) throw argumentError('type', 'data', data, 'a Uint8Array, null or undefined');
  const r = resolve(target, request);
  if (r.enumerate) {
    const guids = r.sets.map((s) => s.set);
    return deliver(false, guids, encodeGuidList(guids), out);
  }
  if (r.reply) return r.reply;
  const { item, verb } = r;
  if (verb === PropertyType.basicSupport) {
    const flags = accessFlags(item);
    if (out.byteLength >= PropertySize.propertyDescription) {
      return deliver(true, flags, encodePropertyDescription(flags), out);
    }
    return deliver(true, flags, encodeUlong(flags), out);
  }
  if (verb === PropertyType.get) {
    const got = item.get!(r.target);
    if (got.status !== Status.success || got.value === undefined) return reply(got.status);
    const bytes = item.encode(got.value);
    if (bytes === null) return reply(Status.invalidDeviceRequest); // kernel-only value (FUNCTIONTABLE)
    return deliver(item.size !== null, got.value, bytes, out);
  }
  // SET
  if (out.byteLength < item.minSetData) return reply(Status.bufferTooSmall, item.minSetData);
  let value: unknown;
  try {
    value = item.check(item.decode(out), 'value');
  } catch (error) {
    if (isArgumentFailure(error)) return reply(Status.invalidParameter);
    throw error;
  }
  return reply(item.set!(r.target, value));
}

/**
 * A property request in typed form: GET replies with the value as an object and as its wire bytes; SET takes
 * `request.value` as an object; BASICSUPPORT replies with the access flags; SETSUPPORT with GUID_NULL/0 replies with
 * the list of set GUIDs. Statuses are those of {@link ksProperty} (no buffer, so never a size status).
 * @throws TypeError/RangeError for a malformed request or target, or a SET value of the wrong shape
 */
export function requestProperty<T = unknown>(target: PropertyTarget, request: TypedPropertyRequest): PropertyReply<T> {
  const r = resolve(target, request);
  if (r.enumerate) {
    const guids = r.sets.map((s) => s.set);
    const bytes = encodeGuidList(guids);
    return reply(Status.success, bytes.byteLength, guids as T, bytes);
  }
  if (r.reply) return r.reply as PropertyReply<T>;
  const { item, verb } = r;
  if (verb === PropertyType.basicSupport) {
    const flags = accessFlags(item);
    return reply(Status.success, 4, flags as T, encodeUlong(flags));
  }
  if (verb === PropertyType.get) {
    const got = item.get!(r.target);
    if (got.status !== Status.success || got.value === undefined) return reply(got.status);
    const bytes = item.encode(got.value);
    return bytes === null
      ? reply(Status.success, 0, got.value as T)
      : reply(Status.success, bytes.byteLength, got.value as T, bytes);
  }
  const value = item.check(request.value, 'request.value');
  return reply(item.set!(r.target, value));
}

/**
 * KSPROPERTY_TYPE_GET in typed form, e.g. `getProperty(pin, PropertySetId.connection,
 * ConnectionProperty.allocatorFramingEx)` → `{ status, value: AllocatorFramingEx, bytes (24 + 88·n), bytesReturned }`.
 */
export function getProperty<T = unknown>(target: PropertyTarget, set: Guid, id: number): PropertyReply<T> {
  return requestProperty<T>(target, { set, id, flags: PropertyType.get });
}

/** KSPROPERTY_TYPE_SET in typed form: `{ status, bytesReturned: 0 }`. */
export function setProperty(target: PropertyTarget, set: Guid, id: number, value: unknown): PropertyReply<never> {
  return requestProperty<never>(target, { set, id, flags: PropertyType.set, value });
}

/** KSPROPERTY_TYPE_BASICSUPPORT in typed form: `value` = KSPROPERTY_TYPE_GET | KSPROPERTY_TYPE_SET bits. */
export function propertySupport(target: PropertyTarget, set: Guid, id: number): PropertyReply<number> {
  return requestProperty<number>(target, { set, id, flags: PropertyType.basicSupport });
}

/** The property sets `target` supports (the SETSUPPORT enumeration: GUID_NULL, id 0). */
export function propertySets(target: PropertyTarget): Guid[] {
  return requestProperty<Guid[]>(target, { set: GUID_NULL, id: 0, flags: PropertyType.setSupport }).value ?? [];
}
