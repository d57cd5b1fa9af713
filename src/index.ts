/**
 * avstream — the Windows AVStream streaming model in TypeScript.
 * @packageDocumentation
 */

export type {
  AllocatorDispatch,
  AllocatorInitResult,
  AllocatorKind,
  AllocatorState,
  AllocatorStatus,
  FrameAllocator,
  FrameBuffer,
} from './allocator/types.js';
export {
  AllocatorError,
  type AllocatorErrorReason,
  AvStreamError,
  FramingError,
  NegotiationError,
  StateError,
  StreamError,
} from './errors.js';
export {
  AllocatorFlags,
  BusType,
  FileAlignment,
  FRAMING_ITEM_FLAGS_MASK,
  GUID_NULL,
  KSSTRING_ALLOCATOR,
  MAX_FILE_ALIGNMENT,
  MemoryType,
  OptionFlags,
  PAGE_SIZE,
  PoolType,
  type PoolTypeValue,
  REQUIREMENT_FLAGS_MASK,
  RequirementFlags,
} from './framing/constants.js';
export { type Guid, isGuid, normalizeGuid } from './framing/guid.js';
export {
  alignUp,
  compressRange,
  compressSize,
  effectiveStep,
  expandSize,
  intersectRanges,
  isAlignmentMask,
  isNeutralCompression,
  NEUTRAL_COMPRESSION,
  pickSize,
  rangeContains,
  rangeTop,
  type SizeStrategy,
} from './framing/range-math.js';
export type {
  AllocatorFraming,
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
  FramingRangeWeighted,
} from './framing/types.js';
// Graph manager: allocator negotiation (spec §7; docs/negotiation.md)
export {
  AllocatorMode,
  type AllocatorModeValue,
  AllocatorStrategy,
  allocatorStrategyNames,
  DEFAULT_ALLOCATOR_STRATEGY,
  FramingProp,
  type FramingPropValue,
  LogicalMemoryType,
  type LogicalMemoryTypeValue,
  PipeAllocatorPlace,
  type PipeAllocatorPlaceValue,
  PipeFactor,
  PipeState,
  type PipeStateValue,
  pipeFactorNames,
} from './graph/negotiation/constants.js';
export type {
  ConnectionDescription,
  FilterDescription,
  FrameHoldingDescription,
  NegotiationDescription,
  NegotiationOptions,
  PinDescription,
  VendorAllocatorDescription,
} from './graph/negotiation/description.js';
export {
  formatCompression,
  formatDecisionRecord,
  formatFailure,
  formatRange,
} from './graph/negotiation/format.js';
export {
  defaultAllocatorProvides,
  isSystemMemoryType,
  logicalMemoryTypeFor,
  memoryTypeName,
  memoryTypeSatisfies,
  poolTypeFor,
} from './graph/negotiation/memory-types.js';
export { negotiate } from './graph/negotiation/negotiate.js';
export { composeCompression, type PipePinRole, UNKNOWN_COMPRESSION } from './graph/negotiation/pipes.js';
export type {
  AllocatorCandidate,
  AllocatorPlaceName,
  AllocatorPropertiesEx,
  CarriedSize,
  FrameHolder,
  FramesDecision,
  MemoryTypeCandidate,
  NegotiationFailure,
  NegotiationRecord,
  NegotiationRule,
  PinRequirement,
  PipeDecision,
  PipeDimensions,
  PipeTermination,
  RecordValue,
  Rejection,
  SelectedAllocator,
  SizeDecision,
  SizePreference,
  SizeUse,
} from './graph/negotiation/record.js';
export { mapRangeToAllocator } from './graph/negotiation/size.js';
export { PIN_FLAGS_MASK, PinFlags } from './pin/pin-flags.js';
export { KsReset, type KsResetValue, KsState, type KsStateValue, ksStateName } from './state.js';
export { ntSuccess, Status, type StatusCode, type StatusName, statusName } from './status.js';
