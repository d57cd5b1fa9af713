import type { NegotiationFailure, NegotiationRecord } from './graph/negotiation/record.js';
import { Status, type StatusCode, statusName } from './status.js';

const MAX_DESCRIPTION = 80;
const MAX_ENTRIES = 8;

function clip(text: string): string {
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 3)}...` : text;
}

function describeNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) >= 0x10000) return `${value} (0x${(value >>> 0).toString(16)})`;
  return String(value);
}

/** One level of an object: own data properties only (getters are shown, never called), a few entries, no toJSON. */
function describeShallow(value: object, depth: number): string {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (Array.isArray(value)) {
    if (depth > 1 || value.length > MAX_ENTRIES) return `Array(${value.length})`;
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(describeProperty(value, String(i), depth));
    return `[${parts.join(',')}]`;
  }
  if (depth > 1) return '{...}';
  const keys = Reflect.ownKeys(value);
  const parts: string[] = [];
  for (const key of keys.slice(0, MAX_ENTRIES)) {
    const name = typeof key === 'symbol' ? `[${key.description ?? ''}]` : JSON.stringify(key);
    parts.push(`${name}:${describeProperty(value, key, depth)}`);
  }
  if (keys.length > MAX_ENTRIES) parts.push('...');
  return `{${parts.join(',')}}`;
}

function describeProperty(owner: object, key: PropertyKey, depth: number): string {
  const desc = Object.getOwnPropertyDescriptor(owner, key);
  if (desc === undefined) return 'undefined';
  if (!('value' in desc)) return '[accessor]';
  return describeAt(desc.value, depth + 1);
}

function describeAt(value: unknown, depth: number): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > MAX_DESCRIPTION ? value.slice(0, MAX_DESCRIPTION) : value);
  if (typeof value === 'number') return describeNumber(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  return describeShallow(value as object, depth);
}

/**
 * Formats a value for an error message: strings quoted, numbers ≥ 2^16 also in hex, objects as short JSON-like text.
 *
 * Safe on untrusted values: the result is at most 80 characters, no getter, `toJSON` or proxy trap result is trusted
 * (own data properties only, a few entries, two levels), and a value whose reflection throws (a revoked proxy, a
 * throwing trap) is described as `an unreadable object` instead of throwing.
 */
export function describeValue(value: unknown): string {
  try {
    return clip(describeAt(value, 0));
  } catch {
    return 'an unreadable object';
  }
}

/**
 * The base class of every domain error avstream throws. It carries the NTSTATUS the operation failed with.
 */
export class AvStreamError extends Error {
  /** The NTSTATUS value this failure maps to. */
  readonly status: StatusCode;

  constructor(message: string, status: StatusCode = Status.unsuccessful, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }

  /** The class name (`FramingError`, `AllocatorError`, …), so subclasses need not set it. */
  override get name(): string {
    return this.constructor.name;
  }

  /** The status name, e.g. `'deviceNotReady'`. */
  get statusName(): string {
    return statusName(this.status);
  }
}

/**
 * A framing structure (KSALLOCATOR_FRAMING_EX or KSALLOCATOR_FRAMING) or its wire form is invalid.
 * `field` is the path of the offending field, e.g. `items[0].framingRange.range.minFrameSize`.
 */
export class FramingError extends AvStreamError {
  /** Path of the offending field inside the framing, e.g. `items[0].fileAlignment`. */
  readonly field: string;
  /** The offending value. */
  readonly value: unknown;
  /** What is allowed, in words. */
  readonly allowed: string;

  constructor(field: string, value: unknown, allowed: string, status: StatusCode = Status.invalidParameter) {
    super(`${field}: ${describeValue(value)} is not allowed; expected ${allowed}`, status);
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/** What an {@link AllocatorError} is about. */
export type AllocatorErrorReason =
  | 'notInitialized'
  | 'deleted'
  | 'initializeFailed'
  | 'doubleFree'
  | 'foreignBuffer'
  | 'staleHandle'
  | 'canaryOverwritten'
  | 'tooManyOutstanding'
  | 'framesOutstanding'
  | 'contractViolation';

/** An allocator was used against its lifecycle, or a frame handed to it is not one of its outstanding frames. */
export class AllocatorError extends AvStreamError {
  /** A stable, machine-readable reason. */
  readonly reason: AllocatorErrorReason;

  constructor(reason: AllocatorErrorReason, message: string, status: StatusCode = Status.invalidDeviceRequest) {
    super(message, status);
    this.reason = reason;
  }
}

/** A state change, instance count or format change was refused. */
export class StateError extends AvStreamError {}

/** A queue or stream-pointer operation failed (e.g. `deviceNotReady` at the end of the queue). */
export class StreamError extends AvStreamError {}

/** Argument checks: a TypeError/RangeError naming the argument, the value and what is allowed. */
export function argumentError(kind: 'type' | 'range', name: string, value: unknown, allowed: string): Error {
  const message = `${name}: ${describeValue(value)} is not allowed; expected ${allowed}`;
  return kind === 'type' ? new TypeError(message) : new RangeError(message);
}

/**
 * Allocator negotiation failed for a pipe (spec §7). Carries the full decision record (every pipe, resolved or not)
 * and the first failure; the one-line message names the pin, the field, the required and the offered values.
 */
export class NegotiationError extends AvStreamError {
  /** The decision record of the whole negotiation (plain JSON). */
  readonly record: NegotiationRecord;
  /** The pipe id of the first failure. */
  readonly pipe: string;
  /** The pin the failure is about (`"filterId.pinId"`). */
  readonly pin: string;
  /** The field compared (`memoryType`, `physicalRange`, `frameSize`, `fileAlignment`, `frames`, …). */
  readonly field: string;
  /** The rule that failed. */
  readonly rule: string;
  /** What was required. */
  readonly required: unknown;
  /** What was offered. */
  readonly offered: unknown;

  constructor(
    message: string,
    record: NegotiationRecord,
    failure: NegotiationFailure,
    status: StatusCode = Status.noMatch,
  ) {
    super(message, status);
    this.record = record;
    this.pipe = failure.pipe;
    this.pin = failure.pin;
    this.field = failure.field;
    this.rule = failure.rule;
    this.required = failure.required;
    this.offered = failure.offered;
  }
}
