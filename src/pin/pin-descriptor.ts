import type { AllocatorCapabilities, AllocatorDispatch } from '../allocator/types.js';
import { argumentError } from '../errors.js';
import type { AllocatorFramingEx } from '../framing/types.js';
import type { KsStateValue } from '../state.js';
import type { StatusCode } from '../status.js';
import { type KsDataFormat, type KsDataRange, validateDataFormat } from './data-format.js';
import type { Pin } from './pin.js';
import { PIN_FLAGS_MASK, PinFlags } from './pin-flags.js';

/** KSPIN_DATAFLOW: the direction data moves through a pin, seen from the filter. */
export const DataFlow = {
  /** KSPIN_DATAFLOW_IN: the pin receives data (a sink of the connection). */
  in: 1,
  /** KSPIN_DATAFLOW_OUT: the pin sends data. */
  out: 2,
} as const;

/** A KSPIN_DATAFLOW value. */
export type DataFlowValue = (typeof DataFlow)[keyof typeof DataFlow];

/** KSPIN_COMMUNICATION: how a pin takes part in a connection. */
export const Communication = {
  /** KSPIN_COMMUNICATION_NONE: no instances can be connected. */
  none: 0,
  /** KSPIN_COMMUNICATION_SINK: the pin accepts connections (it is connected *to*). */
  sink: 1,
  /** KSPIN_COMMUNICATION_SOURCE: the pin makes connections to sink pins. */
  source: 2,
  /** KSPIN_COMMUNICATION_BOTH */
  both: 3,
  /** KSPIN_COMMUNICATION_BRIDGE: a pin on the filter's boundary that connects to nothing in the graph. */
  bridge: 4,
} as const;

/** A KSPIN_COMMUNICATION value. */
export type CommunicationValue = (typeof Communication)[keyof typeof Communication];

/** KSINSTANCE_INDETERMINATE: `instancesPossible` value meaning "unlimited". */
export const INSTANCES_UNLIMITED = 0xffffffff;

/**
 * The result a dispatch routine returns: an NTSTATUS, or nothing (= STATUS_SUCCESS) for routines whose AVStream
 * signature returns NTSTATUS but whose JS implementation has nothing to report.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a dispatch routine may simply return nothing (= success)
export type DispatchResult = StatusCode | undefined | void;

/**
 * PFNKSINTERSECTHANDLEREX: given a data range the caller offers and one of this pin's ranges that matched it on
 * GUIDs, return the format to use or a status (`noMatch` to try the next range). Used by the graph manager.
 */
export type IntersectHandler = (
  context: unknown,
  callerDataRange: KsDataRange,
  descriptorDataRange: KsDataRange,
) => KsDataFormat | StatusCode;

/**
 * KSPIN_DISPATCH (spec §3.2). Every member is optional. Routines run synchronously; those AVStream documents as
 * never pending (setDataFormat, setDeviceState, connect) fail when they return `Status.pending`.
 */
export interface PinDispatch {
  /** Create: the instance exists; edit framing here (`pin.editAllocatorFraming()`). A failure status destroys it. */
  create?(pin: Pin): DispatchResult;
  /** Close: the instance is going away. */
  close?(pin: Pin): void;
  /**
   * Process (pin-centric processing): `Status.success` = processed, may be called again; `Status.pending` = stop
   * until the next trigger. Any failure status acts as pending.
   */
  process?(pin: Pin): StatusCode;
  /** Reset: on a reset-state request and whenever the queue is flushed (every transition to STOP). */
  reset?(pin: Pin): void;
  /**
   * SetDataFormat: check `pin.connectionFormat` (the proposed format, already set) against `dataRange`, the range
   * it matched on GUIDs. `oldFormat` is null for the check made before Create. `Status.success` accepts,
   * `Status.noMatch` tries the next matching range, anything else fails. Never pending.
   */
  setDataFormat?(
    pin: Pin,
    oldFormat: KsDataFormat | null,
    dataRange: KsDataRange,
    attributeRange: unknown,
  ): DispatchResult;
  /**
   * SetDeviceState: `to` from `from`. Standard-transport pins get one step at a time; others the raw jump.
   * Never pending; a failure fails the state change and restores `pin.clientState`.
   */
  setDeviceState?(pin: Pin, to: KsStateValue, from: KsStateValue): DispatchResult;
  /** Connect: this sink pin was connected to a source pin. Never pending. */
  connect?(pin: Pin): DispatchResult;
  /** Disconnect: this sink pin was disconnected. */
  disconnect?(pin: Pin): void;
  /** Allocator: a vendor allocator this pin offers (a capability; the graph manager may not use it). */
  allocator?: AllocatorDispatch<unknown, Pin> | null;
  /**
   * What `allocator` can provide (memory types, sizes, alignment, frames); the graph manager rejects the vendor
   * allocator when these do not meet the pipe's requirements. Absent: the vendor serves any framing (no limit).
   * avstream extension (AVStream has no such member).
   */
  allocatorCapabilities?: AllocatorCapabilities | null;
}

/**
 * How many frames a pin instance may hold at once (the graph manager's static frame budget, spec §7 / issue Core 3):
 * a pipe must have more frames than its members can hold together, or it could deadlock. avstream extension.
 */
export interface PinFrameHolding {
  /** Frames queued at the pin before it processes them. */
  readonly queueDepth?: number;
  /** Frames kept between the trailing and the leading edge (DISTINCT_TRAILING_EDGE). */
  readonly trailingWindow?: number;
  /** Frames referenced by clones the pin keeps (e.g. hardware in flight). */
  readonly clonesKept?: number;
  /** The most frames the pin allows in its pipe (a physical limit, e.g. a DMA ring size). */
  readonly maxFrames?: number;
}

/**
 * KSPIN_DESCRIPTOR_EX (spec §3.1) with its embedded KSPIN_DESCRIPTOR flattened. Shared by every instance and never
 * modified by avstream: per-instance framing edits go to the instance's own copy (`pin.editAllocatorFraming()`).
 */
export interface PinDescriptorEx {
  /** Dispatch: the pin's dispatch table (null/absent = none). */
  readonly dispatch?: PinDispatch | null;
  /** DataRanges: the formats the pin accepts. */
  readonly dataRanges: readonly KsDataRange[];
  /** ConstrainedDataRanges (informational). */
  readonly constrainedDataRanges?: readonly KsDataRange[];
  /** DataFlow: IN 1 / OUT 2. */
  readonly dataFlow: DataFlowValue;
  /** Communication: NONE 0 / SINK 1 / SOURCE 2 / BOTH 3 / BRIDGE 4. */
  readonly communication: CommunicationValue;
  /** Category: a pin category GUID (informational). */
  readonly category?: string | null;
  /** Name: a name GUID (informational). */
  readonly name?: string | null;
  /** Flags: KSPIN_FLAG_* ({@link PinFlags}). */
  readonly flags?: number;
  /** InstancesPossible: the most instances at once; {@link INSTANCES_UNLIMITED} = unlimited. */
  readonly instancesPossible: number;
  /** InstancesNecessary: instances the filter needs to leave STOP / to process. */
  readonly instancesNecessary: number;
  /** AllocatorFraming: the pin's framing, or null (then the framing property is unsupported). */
  readonly allocatorFraming: Readonly<AllocatorFramingEx> | null;
  /** IntersectHandler: null ⇒ only the default (GUID) intersection, for SPECIFIER_NONE ranges. */
  readonly intersectHandler?: IntersectHandler | null;
  /** The frames an instance may hold at once (static frame budget); absent = none declared. avstream extension. */
  readonly frameHolding?: PinFrameHolding | null;
}

const exclusivePairs: ReadonlyArray<readonly [keyof typeof PinFlags, keyof typeof PinFlags]> = [
  ['criticalProcessing', 'hypercriticalProcessing'],
  ['doNotInitiateProcessing', 'initiateProcessingOnEveryArrival'],
  ['framesNotRequiredForProcessing', 'someFramesRequiredForProcessing'],
  ['processInRunStateOnly', 'processIfAnyInRunState'],
];

function u32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw argumentError('range', name, value, 'an unsigned 32-bit integer');
  }
  return value;
}

/**
 * Validates a pin descriptor: known flag bits, no mutually exclusive pair, dataFlow 1|2, communication 0–4,
 * instancesNecessary ≤ instancesPossible, data ranges well formed, functions where functions belong.
 * @throws TypeError/RangeError naming the field (`${name}.flags`, …)
 */
export function validatePinDescriptor(descriptor: PinDescriptorEx, name = 'pinDescriptor'): PinDescriptorEx {
  if (descriptor === null || typeof descriptor !== 'object') {
    throw argumentError('type', name, descriptor, 'a KSPIN_DESCRIPTOR_EX object');
  }
  const flags = u32(`${name}.flags`, descriptor.flags ?? 0);
  if ((flags & ~PIN_FLAGS_MASK) !== 0) {
    throw argumentError('range', `${name}.flags`, flags, 'a combination of KSPIN_FLAG_* (PinFlags) bits');
  }
  for (const [a, b] of exclusivePairs) {
    const both = PinFlags[a] | PinFlags[b];
    if ((flags & both) === both) {
      throw argumentError('range', `${name}.flags`, flags, `at most one of PinFlags.${a} and PinFlags.${b}`);
    }
  }
  if (descriptor.dataFlow !== DataFlow.in && descriptor.dataFlow !== DataFlow.out) {
    throw argumentError('range', `${name}.dataFlow`, descriptor.dataFlow, 'DataFlow.in (1) or DataFlow.out (2)');
  }
  const c = descriptor.communication;
  if (!Number.isInteger(c) || c < 0 || c > 4) {
    throw argumentError('range', `${name}.communication`, c, 'a Communication value 0–4');
  }
  const possible = u32(`${name}.instancesPossible`, descriptor.instancesPossible);
  const necessary = u32(`${name}.instancesNecessary`, descriptor.instancesNecessary);
  if (possible !== INSTANCES_UNLIMITED && necessary > possible) {
    throw argumentError('range', `${name}.instancesNecessary`, necessary, `at most instancesPossible (${possible})`);
  }
  if (!Array.isArray(descriptor.dataRanges)) {
    throw argumentError('type', `${name}.dataRanges`, descriptor.dataRanges, 'an array of KSDATARANGE objects');
  }
  descriptor.dataRanges.forEach((r, i) => {
    validateDataFormat(r, `${name}.dataRanges[${i}]`);
  });
  const d = descriptor.dispatch;
  if (d !== undefined && d !== null) {
    if (typeof d !== 'object') throw argumentError('type', `${name}.dispatch`, d, 'a KSPIN_DISPATCH object or null');
    for (const k of [
      'create',
      'close',
      'process',
      'reset',
      'setDataFormat',
      'setDeviceState',
      'connect',
      'disconnect',
    ] as const) {
      const fn = d[k];
      if (fn !== undefined && fn !== null && typeof fn !== 'function') {
        throw argumentError('type', `${name}.dispatch.${k}`, fn, 'a function or undefined');
      }
    }
  }
  const ih = descriptor.intersectHandler;
  if (ih !== undefined && ih !== null && typeof ih !== 'function') {
    throw argumentError('type', `${name}.intersectHandler`, ih, 'a function or null');
  }
  const af = descriptor.allocatorFraming;
  if (af !== null && (typeof af !== 'object' || !Array.isArray(af.items))) {
    throw argumentError('type', `${name}.allocatorFraming`, af, 'a KSALLOCATOR_FRAMING_EX object or null');
  }
  return descriptor;
}

/**
 * True when a pin with these flags uses the standard transport (has a queue and a pipe section):
 * USE_STANDARD_TRANSPORT wins over everything; otherwise DO_NOT_USE_STANDARD_TRANSPORT opts out.
 */
export function usesStandardTransport(flags: number): boolean {
  return (flags & PinFlags.useStandardTransport) !== 0 || (flags & PinFlags.doNotUseStandardTransport) === 0;
}
