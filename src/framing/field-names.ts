/**
 * The field names of each framing structure, in wire order. One list per structure, shared by everything that walks
 * a framing field by field (the codec's snapshot, the untrusted-input parser, the negotiation description check).
 * @internal
 * @module
 */

/** KSALLOCATOR_FRAMING_EX fields (CountItems is derived from `items`). */
export const FRAMING_EX_FIELDS = ['pinFlags', 'outputCompression', 'pinWeight', 'items'] as const;
/** KS_COMPRESSION fields. */
export const COMPRESSION_FIELDS = ['ratioNumerator', 'ratioDenominator', 'ratioConstantMargin'] as const;
/** KS_FRAMING_ITEM fields. */
export const FRAMING_ITEM_FIELDS = [
  'memoryType',
  'busType',
  'memoryFlags',
  'busFlags',
  'flags',
  'frames',
  'fileAlignment',
  'memoryTypeWeight',
  'physicalRange',
  'framingRange',
] as const;
/** KS_FRAMING_RANGE fields. */
export const FRAMING_RANGE_FIELDS = ['minFrameSize', 'maxFrameSize', 'stepping'] as const;
/** KS_FRAMING_RANGE_WEIGHTED fields. */
export const FRAMING_RANGE_WEIGHTED_FIELDS = ['range', 'inPlaceWeight', 'notInPlaceWeight'] as const;
/** KSALLOCATOR_FRAMING fields. */
export const FRAMING_FIELDS = ['optionsFlags', 'poolType', 'frames', 'frameSize', 'fileAlignment', 'reserved'] as const;
