import type { PoolTypeValue } from './constants.js';
import type { Guid } from './guid.js';

/** KS_FRAMING_RANGE: a frame-size range in bytes. `stepping` is the size granularity (0 or 1 = any size). */
export interface FramingRange {
  /** MinFrameSize */
  minFrameSize: number;
  /** MaxFrameSize */
  maxFrameSize: number;
  /** Stepping (≤ maxFrameSize − minFrameSize) */
  stepping: number;
}

/** KS_FRAMING_RANGE_WEIGHTED: the optimal range plus weights (weights are unsupported by AVStream: 0). */
export interface FramingRangeWeighted {
  /** Range */
  range: FramingRange;
  /** InPlaceWeight */
  inPlaceWeight: number;
  /** NotInPlaceWeight */
  notInPlaceWeight: number;
}

/** KS_COMPRESSION: output size ≈ input · ratioNumerator / ratioDenominator + ratioConstantMargin. */
export interface Compression {
  /** RatioNumerator */
  ratioNumerator: number;
  /** RatioDenominator (never 0) */
  ratioDenominator: number;
  /** RatioConstantMargin */
  ratioConstantMargin: number;
}

/** KS_FRAMING_ITEM (88 bytes on the wire): one memory type / bus type alternative of a pin's framing. */
export interface FramingItem {
  /** MemoryType (a KSMEMORY_TYPE_* GUID; GUID_NULL = wildcard) */
  memoryType: Guid;
  /** BusType (GUID_NULL = any bus) */
  busType: Guid;
  /** MemoryFlags (should be REQUIREMENTF_MUST_ALLOCATE when used) */
  memoryFlags: number;
  /** BusFlags (unused: 0) */
  busFlags: number;
  /** Flags: KSALLOCATOR_REQUIREMENTF_* | KSALLOCATOR_FLAG_* */
  flags: number;
  /** Frames: the most frames outstanding at once */
  frames: number;
  /** FileAlignment: an alignment mask 2^k − 1 (union with FramePitch in newer headers) */
  fileAlignment: number;
  /** MemoryTypeWeight: the pin-wide weight of this memory type */
  memoryTypeWeight: number;
  /** PhysicalRange: the hard limits */
  physicalRange: FramingRange;
  /** FramingRange: the optimal range */
  framingRange: FramingRangeWeighted;
}

/**
 * KSALLOCATOR_FRAMING_EX: a pin's extended framing requirements.
 * `CountItems` is not stored: it is `items.length` (the codec writes and checks it).
 */
export interface AllocatorFramingEx {
  /** PinFlags (reserved: 0) */
  pinFlags: number;
  /** OutputCompression: the size ratio of a size-changing transform ({1,1,0} = neutral) */
  outputCompression: Compression;
  /** PinWeight (reserved: 0) */
  pinWeight: number;
  /** FramingItem[CountItems] */
  items: FramingItem[];
}

/** KSALLOCATOR_FRAMING (24 bytes): the legacy framing, used as the allocator create request and the query reply. */
export interface AllocatorFraming {
  /** OptionsFlags (KSALLOCATOR_OPTIONF_*), in a union with RequirementsFlags (KSALLOCATOR_REQUIREMENTF_*) */
  optionsFlags: number;
  /** PoolType (POOL_TYPE) */
  poolType: PoolTypeValue | number;
  /** Frames: the most frames outstanding (0 = no requirement) */
  frames: number;
  /** FrameSize in bytes, prefix and postfix included (0 = no requirement) */
  frameSize: number;
  /** FileAlignment: an alignment mask 2^k − 1 (union with FramePitch) */
  fileAlignment: number;
  /** Reserved (0) */
  reserved: number;
}
