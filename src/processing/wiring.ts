import type { FrameAllocator } from '../allocator/types.js';
import { argumentError } from '../errors.js';
import type { Pin } from '../pin/pin.js';
import { Requester, type RequesterOptions } from './requester.js';

export { connectPins, disconnectPins, linkInPlace } from '../pin/pin.js';

const requesters = new WeakMap<Pin, Requester>();

/**
 * Makes `pin` the source of a pipe fed from `allocator` (which the caller has initialized): a {@link Requester}
 * then fills the pin's queue whenever the pin is at ACQUIRE or above. One requester per pin; replacing one detaches
 * the old. Used by the graph manager.
 */
export function setPipeSource(pin: Pin, allocator: FrameAllocator, options?: RequesterOptions): Requester {
  if (allocator === null || typeof allocator !== 'object' || typeof allocator.allocate !== 'function') {
    throw argumentError('type', 'allocator', allocator, 'a FrameAllocator');
  }
  requesters.get(pin)?.detach();
  const requester = new Requester(pin, allocator, options);
  requesters.set(pin, requester);
  return requester;
}

/** The requester feeding `pin`, or null. */
export function pipeSourceOf(pin: Pin): Requester | null {
  return requesters.get(pin) ?? null;
}

/** Detaches the requester of `pin` (if any). */
export function clearPipeSource(pin: Pin): void {
  requesters.get(pin)?.detach();
  requesters.delete(pin);
}
