import type { FrameAllocator, FrameBuffer } from '../allocator/types.js';
import { AvStreamError, argumentError } from '../errors.js';
import { type Guid, isGuid, normalizeGuid } from '../framing/guid.js';
import { Status, type StatusCode } from '../status.js';
import {
  EventSetId,
  EventType,
  MethodSetId,
  MethodType,
  StreamAllocatorEvent,
  StreamAllocatorMethod,
} from './constants.js';

/**
 * KSMETHODSETID_StreamAllocator and KSEVENTSETID_StreamAllocator on an allocator object (spec §5), mapped onto the
 * allocator contract: ALLOC = `allocate()` or, when no frame is free, a pending `acquire()`; FREE = `free()`;
 * FREEFRAME = `onFreeFrame()`.
 * @module
 */

/** KSMETHOD / KSEVENT: the request header of IOCTL_KS_METHOD / IOCTL_KS_ENABLE_EVENT. */
export interface KsIdentifier {
  /** Set: the method or event set GUID. */
  readonly set: Guid;
  /** Id: the method or event within the set. */
  readonly id: number;
  /** Flags: KSMETHOD_TYPE_* / KSEVENT_TYPE_* bits. */
  readonly flags: number;
}

/** The reply of a method request. */
export interface MethodReply<T = unknown> {
  /** `success`, `pending` (ALLOC with no free frame: see `pending`), or the failure status. */
  readonly status: StatusCode;
  /** The result on success: the frame (ALLOC) or, for BASICSUPPORT, the method's KSMETHOD_TYPE_* flags. */
  readonly value?: T;
  /** ALLOC that pended: settles with the next frame freed to this allocator (FIFO), or rejects on cancel/delete. */
  readonly pending?: Promise<FrameBuffer>;
}

/** Options of {@link ksMethod}. */
export interface MethodOptions {
  /** Cancels a pending ALLOC (it then rejects with status `cancelled`), like cancelling the IRP. */
  readonly signal?: AbortSignal;
}

/** The reply of an event request. */
export interface EventReply {
  /** `success` or the failure status. */
  readonly status: StatusCode;
  /** IOCTL_KS_DISABLE_EVENT for this enabled event (on success of an ENABLE). */
  readonly disable?: () => void;
  /** For BASICSUPPORT: the KSEVENT_TYPE_* flags the event supports. */
  readonly value?: number;
}

const METHOD_MASK = (MethodType.setSupport | MethodType.basicSupport | 0x7) >>> 0;
const EVENT_MASK = (EventType.enable | EventType.oneShot | EventType.enableBuffered | 0x700) >>> 0;

function checkIdentifier(request: KsIdentifier, mask: number, what: string): { set: Guid; id: number; flags: number } {
  if (request === null || typeof request !== 'object') {
    throw argumentError('type', 'request', request, `a ${what} { set, id, flags }`);
  }
  if (!isGuid(request.set)) throw argumentError('type', 'request.set', request.set, `a ${what} set GUID`);
  const { id, flags } = request;
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw argumentError('range', 'request.id', id, 'an unsigned 32-bit integer');
  }
  if (!Number.isInteger(flags) || flags < 0 || (flags & ~mask) !== 0) {
    throw argumentError('range', 'request.flags', flags, `${what}_TYPE_* bits`);
  }
  return { set: normalizeGuid(request.set), id, flags };
}

function checkAllocator(allocator: FrameAllocator): void {
  if (
    allocator === null ||
    typeof allocator !== 'object' ||
    typeof allocator.acquire !== 'function' ||
    typeof allocator.free !== 'function'
  ) {
    throw argumentError('type', 'allocator', allocator, 'a FrameAllocator');
  }
}

function failure<T>(error: unknown): MethodReply<T> {
  if (error instanceof AvStreamError) return { status: error.status };
  throw error;
}

/**
 * IOCTL_KS_METHOD on an allocator (KSMETHODSETID_StreamAllocator):
 *
 * - ALLOC (KSMETHOD_TYPE_WRITE): `success` with a free frame at once; when none is free (or earlier ALLOCs still
 *   wait), `pending` with `pending` = `allocator.acquire(signal)`, served first-come-first-served by FREE.
 *   An allocator not initialized or deleted ⇒ `invalidDeviceState`.
 * - FREE (KSMETHOD_TYPE_READ): `argument` is the frame; `success`, or the allocator's status for a frame that is
 *   not outstanding (`invalidParameter`).
 * - SETSUPPORT ⇒ `success`; BASICSUPPORT ⇒ `value` = the method's KSMETHOD_TYPE_* flags.
 * - An unknown set ⇒ `propsetNotFound`; an unknown id ⇒ `notFound`.
 * @throws TypeError/RangeError for a malformed request or allocator, or a FREE argument that is not an object
 */
export function ksMethod(
  allocator: FrameAllocator,
  request: KsIdentifier,
  argument?: unknown,
  options: MethodOptions = {},
): MethodReply<FrameBuffer | number> {
  checkAllocator(allocator);
  const { set, id, flags } = checkIdentifier(request, METHOD_MASK, 'KSMETHOD');
  if (set !== MethodSetId.streamAllocator) return { status: Status.propsetNotFound };
  if ((flags & MethodType.setSupport) !== 0) return { status: Status.success };
  if (id !== StreamAllocatorMethod.alloc && id !== StreamAllocatorMethod.free) return { status: Status.notFound };
  if ((flags & MethodType.basicSupport) !== 0) {
    return { status: Status.success, value: id === StreamAllocatorMethod.alloc ? MethodType.write : MethodType.read };
  }
  if (id === StreamAllocatorMethod.free) {
    if (argument === null || typeof argument !== 'object') {
      throw argumentError('type', 'argument', argument, 'the FrameBuffer to free');
    }
    try {
      allocator.free(argument as FrameBuffer);
      return { status: Status.success };
    } catch (error) {
      return failure(error);
    }
  }
  if (allocator.state !== 'initialized' || allocator.deletePending) return { status: Status.invalidDeviceState };
  try {
    if (allocator.status().pendingAcquires === 0) {
      const frame = allocator.allocate();
      if (frame !== null) return { status: Status.success, value: frame };
    }
  } catch (error) {
    return failure(error);
  }
  return { status: Status.pending, pending: allocator.acquire(options.signal) };
}

/**
 * IOCTL_KS_ENABLE_EVENT on an allocator (KSEVENTSETID_StreamAllocator). FREEFRAME with KSEVENT_TYPE_ENABLE (or
 * ONESHOT: the listener is removed after its first call) registers `listener`, called after each frame freed
 * (`allocator.onFreeFrame`); the reply's `disable` is IOCTL_KS_DISABLE_EVENT. INTERNAL_FREEFRAME is KS-internal
 * and not offered (`notFound`); SETSUPPORT ⇒ `success`; BASICSUPPORT ⇒ `value` = ENABLE | ONESHOT.
 * An unknown set ⇒ `propsetNotFound`; an unknown id ⇒ `notFound`.
 * @throws TypeError/RangeError for a malformed request or allocator, or a listener that is not a function
 */
export function ksEnableEvent(allocator: FrameAllocator, request: KsIdentifier, listener?: () => void): EventReply {
  checkAllocator(allocator);
  const { set, id, flags } = checkIdentifier(request, EVENT_MASK, 'KSEVENT');
  if (set !== EventSetId.streamAllocator) return { status: Status.propsetNotFound };
  if ((flags & EventType.setSupport) !== 0) return { status: Status.success };
  if (id !== StreamAllocatorEvent.freeFrame) return { status: Status.notFound };
  if ((flags & EventType.basicSupport) !== 0)
    return { status: Status.success, value: EventType.enable | EventType.oneShot };
  if ((flags & (EventType.enable | EventType.oneShot)) === 0) return { status: Status.invalidDeviceRequest };
  if (typeof listener !== 'function') throw argumentError('type', 'listener', listener, 'a function');
  let remove: () => void;
  if ((flags & EventType.oneShot) !== 0) {
    remove = allocator.onFreeFrame(() => {
      remove();
      listener();
    });
  } else {
    remove = allocator.onFreeFrame(listener);
  }
  return { status: Status.success, disable: remove };
}
