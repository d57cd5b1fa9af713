import type { Guid } from '../../framing/guid.js';
import type { AllocatorFramingEx, FramingRange } from '../../framing/types.js';

/**
 * The input of {@link negotiate}: a plain, JSON-able description of a filter graph's pins and connections — what a
 * graph manager can produce from live pins. Nothing in it is a function or a live object.
 * @module
 */

/** A whole graph to negotiate: its filters, the output→input connections, the strategy and options. */
export interface NegotiationDescription {
  /** The filters (ids unique). */
  filters: FilterDescription[];
  /** Output pin → input pin connections, as `"filterId.pinId"` references. */
  connections: ConnectionDescription[];
  /** AllocatorStrategy_* bits (default MinimizeFrameSize | MinimizeNumberOfFrames). */
  strategy?: number;
  /** Policy switches. */
  options?: NegotiationOptions;
}

/** Policy switches of a negotiation. */
export interface NegotiationOptions {
  /**
   * Treat the PhysicalRange of *input* pins as a hard limit. Default `false`: AVStream documents that an input pin's
   * PhysicalRange is not used to size buffers (its Frames count is), so input ranges are preferences.
   */
  enforceInputPinRanges?: boolean;
  /** The most frames a pipe may have (a physical limit for the budget check). Default 65 535. */
  maxFrames?: number;
}

/** A filter (or a user-mode endpoint) and its pins. */
export interface FilterDescription {
  /** Unique id of the filter. */
  id: string;
  /** Every pin of this filter is a user-mode end (an application endpoint behind the proxy). Default false. */
  userMode?: boolean;
  /** The filter's pins (ids unique within the filter; no `.` in a pin id). */
  pins: PinDescription[];
}

/** One pin: direction, framing, mode, in-place and splitter roles, vendor allocator capability, frame holding. */
export interface PinDescription {
  /** Pin id, unique within its filter, without `.`. */
  id: string;
  /** KSPIN_DATAFLOW: `'in'` (KSPIN_DATAFLOW_IN, a sink pin) or `'out'` (KSPIN_DATAFLOW_OUT). */
  dataFlow: 'in' | 'out';
  /** The instance's KSALLOCATOR_FRAMING_EX (after KsEdit), or null when the pin has no framing. */
  allocatorFraming: AllocatorFramingEx | null;
  /** This pin is a user-mode end. Default: the filter's `userMode`. */
  userMode?: boolean;
  /**
   * The id of the pin on the same filter that is this pin's in-place counterpart (KSPROCESSPIN.InPlaceCounterpart):
   * frames entering the input leave through the output unchanged in place. An input whose framing has
   * INPLACE_MODIFIER and whose filter has exactly one output pin gets that output as its counterpart.
   */
  inPlaceCounterpart?: string | null;
  /** An in-place input that only reads (an analyser tap): it does not modify frames. Default false. */
  readOnly?: boolean;
  /** KSPIN_FLAG_SPLITTER on an output pin: it may feed several inputs (extra branches get copies). */
  splitter?: boolean;
  /** An input where frames stop even if it is in place (an in-place modifying renderer). Default: no outputs. */
  sink?: boolean;
  /** The capability declared by the pin dispatch's `allocator` (KSALLOCATOR_DISPATCH), or null for none. */
  allocator?: VendorAllocatorDescription | null;
  /** How many frames this pin may hold at once (for the static frame budget). Default: none. */
  frameHolding?: FrameHoldingDescription;
}

/** What a vendor allocator (a pin's KSALLOCATOR_DISPATCH) declares it can provide. */
export interface VendorAllocatorDescription {
  /** An id for records (unique in the graph). */
  id: string;
  /** Memory types it can allocate (GUID_NULL = any). Non-empty. */
  memoryTypes: Guid[];
  /** Frame sizes it can provide. */
  sizeRange: FramingRange;
  /** The largest FileAlignment mask it honours (2^k − 1). */
  fileAlignment: number;
  /** The most frames it can provide (≥ 1). */
  maxFrames: number;
}

/** The frames a pin may keep at once: its queue, the trailing-edge window and clones it keeps (e.g. DMA in flight). */
export interface FrameHoldingDescription {
  /** Frames queued at the pin before it processes them. */
  queueDepth?: number;
  /** Frames kept between the trailing and the leading edge (DISTINCT_TRAILING_EDGE). */
  trailingWindow?: number;
  /** Frames referenced by clones the pin keeps (e.g. hardware in flight). */
  clonesKept?: number;
  /** The most frames this pin's framing allows in its pipe (a physical limit, e.g. a DMA ring size). */
  maxFrames?: number;
}

/** An output → input connection. */
export interface ConnectionDescription {
  /** The output pin, `"filterId.pinId"`. */
  from: string;
  /** The input pin, `"filterId.pinId"`. */
  to: string;
}
