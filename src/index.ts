/**
 * avstream — the Windows AVStream streaming model in TypeScript.
 * @packageDocumentation
 */

// Allocators (spec §1, §8): lifecycle base, default pool allocator, vendor KSALLOCATOR_DISPATCH wrapper, user memory.
export { AllocatorBase } from './allocator/allocator-base.js';
export {
  createDefaultAllocator,
  DEBUG_GUARD_BYTES,
  DEFAULT_MAX_SLAB_BYTES,
  DefaultAllocator,
  type DefaultAllocatorOptions,
} from './allocator/default-allocator.js';
export { CanaryOverwrittenError } from './allocator/frame-handle.js';
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
  createUserMemoryAllocator,
  type UserFrameMemory,
  UserMemoryAllocator,
  type UserMemoryAllocatorOptions,
} from './allocator/user-memory-allocator.js';
export { MAX_ALLOCATOR_FRAMES, validateAllocatorFraming } from './allocator/validate.js';
export { createVendorAllocator, VendorAllocator } from './allocator/vendor-allocator.js';
export {
  AllocatorError,
  type AllocatorErrorReason,
  AvStreamError,
  FramingError,
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
export { CANARY_BYTE, POISON_BYTE } from './memory/guard.js';
export { computeFrameLayout, type FrameLayout } from './memory/layout.js';
export {
  CACHE_LINE_SIZE,
  isCacheAlignedPoolType,
  isKnownPoolType,
  type PoolKind,
  poolKind,
} from './memory/pool-type.js';
export { PIN_FLAGS_MASK, PinFlags } from './pin/pin-flags.js';
export { KsReset, type KsResetValue, KsState, type KsStateValue, ksStateName } from './state.js';
export { ntSuccess, Status, type StatusCode, type StatusName, statusName } from './status.js';

// stream: frames, stream headers, stream requests, queues, stream pointers, schedulers
export { Frame, FrameState, type FrameStateValue } from './stream/frame.js';
export {
  type AvailableByteCount,
  DATAFLOW_IN,
  DATAFLOW_OUT,
  type MappingsHook,
  Queue,
  type QueueHost,
  type QueueOptions,
} from './stream/queue.js';
export {
  defaultScheduler,
  ManualScheduler,
  type Scheduler,
  TICKS_PER_MILLISECOND,
  type TimerHandle,
} from './stream/scheduler.js';
export { type KsTime, STREAM_HEADER_SIZE, StreamHeader } from './stream/stream-header.js';
export { STREAM_HEADER_OPTIONS_MASK, StreamHeaderOptionsFlags } from './stream/stream-header-flags.js';
export {
  type IrpFrameFlags,
  StreamPointer,
  type StreamPointerCallback,
  StreamPointerOffset,
  StreamPointerState,
  type StreamPointerStateValue,
} from './stream/stream-pointer.js';
export {
  StreamRequest,
  type StreamRequestOptions,
  StreamRequestState,
  type StreamRequestStateValue,
} from './stream/stream-request.js';
