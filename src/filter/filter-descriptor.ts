import { argumentError } from '../errors.js';
import { isGuid } from '../framing/guid.js';
import {
  type DispatchResult,
  type PinDescriptorEx,
  usesStandardTransport,
  validatePinDescriptor,
} from '../pin/pin-descriptor.js';
import { PinFlags } from '../pin/pin-flags.js';
import type { StatusCode } from '../status.js';
import type { Filter } from './filter.js';
import type { ProcessPinIndexEntry } from './process-pin.js';

/** KSFILTER_FLAG_* values for `FilterDescriptor.flags`. */
export const FilterFlags = {
  /** KSFILTER_FLAG_DISPATCH_LEVEL_PROCESSING */
  dispatchLevelProcessing: 0x1,
  /** KSFILTER_FLAG_CRITICAL_PROCESSING */
  criticalProcessing: 0x2,
  /** KSFILTER_FLAG_HYPERCRITICAL_PROCESSING */
  hypercriticalProcessing: 0x4,
  /** KSFILTER_FLAG_RECEIVE_ZERO_LENGTH_SAMPLES: zero-length frames reach the filter (else they bypass it). */
  receiveZeroLengthSamples: 0x8,
  /** KSFILTER_FLAG_DENY_USERMODE_ACCESS */
  denyUsermodeAccess: 0x80000000,
} as const;

/** Every defined KSFILTER_FLAG_* bit. */
export const FILTER_FLAGS_MASK = Object.values(FilterFlags).reduce((a, b) => (a | b) >>> 0, 0);

/** KSFILTER_DESCRIPTOR.Version for descriptors of this layout (KSFILTER_DESCRIPTOR_VERSION). */
export const KSFILTER_DESCRIPTOR_VERSION = 0xffffffff;

/**
 * KSFILTER_DISPATCH (spec §3.3). A non-null `process` makes the filter **filter-centric**: pins' own process
 * routines are then ignored.
 */
export interface FilterDispatch {
  /** Create: the filter instance exists; a failure status destroys it. */
  create?(filter: Filter): DispatchResult;
  /** Close: the filter is going away. */
  close?(filter: Filter): void;
  /**
   * Process (filter-centric): `index` has one entry per pin descriptor, ordered by pin id. `Status.success` =
   * continue (called again while conditions hold), `Status.pending` = stop until the next trigger; errors act as
   * pending.
   */
  process?(filter: Filter, index: readonly ProcessPinIndexEntry[]): StatusCode;
  /** Reset: a pin of the filter flushed its queue (reset-state request or a transition to STOP). */
  reset?(filter: Filter): void;
}

/**
 * KSFILTER_DESCRIPTOR: what a filter factory builds filters from. Node descriptors and topology connections are
 * not modelled.
 */
export interface FilterDescriptor {
  /** Version (KSFILTER_DESCRIPTOR_VERSION); optional. */
  readonly version?: number;
  /** Dispatch (null/absent = none). */
  readonly dispatch?: FilterDispatch | null;
  /** Flags: KSFILTER_FLAG_* ({@link FilterFlags}). */
  readonly flags?: number;
  /** ReferenceGuid: identifies the filter type. */
  readonly referenceGuid?: string | null;
  /** PinDescriptors: the pin types; a pin's id is its index here. */
  readonly pinDescriptors: readonly PinDescriptorEx[];
  /** Categories: KSCATEGORY_* GUIDs. */
  readonly categories?: readonly string[];
}

/**
 * Validates a filter descriptor and each of its pin descriptors.
 * @throws TypeError/RangeError naming the field
 */
export function validateFilterDescriptor(descriptor: FilterDescriptor, name = 'filterDescriptor'): FilterDescriptor {
  if (descriptor === null || typeof descriptor !== 'object') {
    throw argumentError('type', name, descriptor, 'a KSFILTER_DESCRIPTOR object');
  }
  if (descriptor.version !== undefined && descriptor.version !== KSFILTER_DESCRIPTOR_VERSION) {
    throw argumentError('range', `${name}.version`, descriptor.version, 'KSFILTER_DESCRIPTOR_VERSION (0xffffffff)');
  }
  const flags = descriptor.flags ?? 0;
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || (flags & ~FILTER_FLAGS_MASK) !== 0) {
    throw argumentError('range', `${name}.flags`, flags, 'a combination of KSFILTER_FLAG_* (FilterFlags) bits');
  }
  if (!Array.isArray(descriptor.pinDescriptors)) {
    throw argumentError('type', `${name}.pinDescriptors`, descriptor.pinDescriptors, 'an array of pin descriptors');
  }
  descriptor.pinDescriptors.forEach((p, i) => {
    validatePinDescriptor(p, `${name}.pinDescriptors[${i}]`);
  });
  for (const [i, c] of (descriptor.categories ?? []).entries()) {
    if (!isGuid(c)) throw argumentError('type', `${name}.categories[${i}]`, c, 'a GUID string');
  }
  const d = descriptor.dispatch;
  if (d !== undefined && d !== null) {
    for (const k of ['create', 'close', 'process', 'reset'] as const) {
      const fn = d[k];
      if (fn !== undefined && fn !== null && typeof fn !== 'function') {
        throw argumentError('type', `${name}.dispatch.${k}`, fn, 'a function or undefined');
      }
    }
  }
  // KSPIN_DESCRIPTOR_EX remarks: DO_NOT_INITIATE_PROCESSING on a standard-transport pin needs a processing object — a
  // process dispatch at the filter or the pin level, even if it is never called.
  if (typeof d?.process !== 'function') {
    descriptor.pinDescriptors.forEach((p, i) => {
      const flags = p.flags ?? 0;
      if ((flags & PinFlags.doNotInitiateProcessing) === 0 || !usesStandardTransport(flags)) return;
      const process = p.dispatch?.process;
      if (typeof process !== 'function') {
        throw argumentError(
          'type',
          `${name}.pinDescriptors[${i}].dispatch.process`,
          process,
          'a process routine here or in the filter dispatch (a standard-transport pin with DO_NOT_INITIATE_PROCESSING needs a processing object)',
        );
      }
    });
  }
  return descriptor;
}
