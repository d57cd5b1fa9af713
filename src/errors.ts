import type { NegotiationFailure, NegotiationRecord } from './graph/negotiation/record.js';
import { Status, type StatusCode, statusName } from './status.js';

/** Formats a value for an error message: strings quoted, numbers ≥ 2^16 also in hex, objects as JSON-ish. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) >= 0x10000) return `${value} (0x${(value >>> 0).toString(16)})`;
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || value === undefined || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  try {
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
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
