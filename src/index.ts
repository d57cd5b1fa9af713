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
