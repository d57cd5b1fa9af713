/**
 * avstream — the Windows AVStream streaming model in TypeScript.
 * @packageDocumentation
 */

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
  AllocatorCapabilities,
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
export { Device, type DeviceDescriptor, type DeviceDispatch, type DeviceOptions } from './device/device.js';
// endpoints: user-mode ends as WHATWG streams (browser-safe; Node streams are in `avstream/node`)
export type { FrameRecord } from './endpoints/frame-record.js';
export {
  type ToReadableFrameStreamOptions,
  type ToReadableStreamOptions,
  toReadableFrameStream,
  toReadableStream,
} from './endpoints/readable-stream.js';
export {
  addReadableStreamSource,
  addWritableStreamSink,
  readableStreamChunks,
  type SinkAttachment,
  type StreamSinkOptions,
  type StreamSourceOptions,
} from './endpoints/stream-attach.js';
export { type ToWritableStreamOptions, toWritableStream } from './endpoints/writable-stream.js';
export {
  AllocatorError,
  type AllocatorErrorReason,
  AvStreamError,
  FramingError,
  NegotiationError,
  StateError,
  StreamError,
} from './errors.js';
export { Filter } from './filter/filter.js';
export {
  FILTER_FLAGS_MASK,
  type FilterDescriptor,
  type FilterDispatch,
  FilterFlags,
  KSFILTER_DESCRIPTOR_VERSION,
  validateFilterDescriptor,
} from './filter/filter-descriptor.js';
export { FilterFactory, type FilterFactoryOptions } from './filter/filter-factory.js';
export { ProcessPin, type ProcessPinIndexEntry } from './filter/process-pin.js';
export { cloneFraming, cloneFramingEx, freezeFraming, freezeFramingEx } from './framing/clone.js';
export {
  decodeFraming,
  decodeFramingEx,
  encodeFraming,
  encodeFramingEx,
  encodeFramingExInto,
  FRAMING_EX_HEADER_SIZE,
  FRAMING_ITEM_SIZE,
  FRAMING_SIZE,
  type FramingCodecOptions,
  FramingItemOffset,
  framingExByteLength,
} from './framing/codec.js';
export {
  AllocatorFlags,
  BusType,
  FileAlignment,
  FRAMING_ITEM_FLAGS_MASK,
  GUID_NULL,
  KSSTRING_ALLOCATOR,
  MAX_FILE_ALIGNMENT,
  MAX_FRAMING_ITEMS,
  MemoryType,
  OptionFlags,
  PAGE_SIZE,
  PoolType,
  type PoolTypeValue,
  REQUIREMENT_FLAGS_MASK,
  RequirementFlags,
} from './framing/constants.js';
export { type Guid, isGuid, normalizeGuid, readGuid, writeGuid } from './framing/guid.js';
export { parseFraming, parseFramingEx } from './framing/parse.js';
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
export { initializeSimpleFraming, simpleFraming } from './framing/simple-framing.js';
export type {
  AllocatorFraming,
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
  FramingRangeWeighted,
} from './framing/types.js';
export { FRAMING_OPTIONS_FLAGS_MASK, validateFraming, validateFramingEx } from './framing/validate.js';
export {
  type ChunkTime,
  type EndpointOptions,
  type SourceChunk,
  type SourceFrameInit,
  WILDCARD_DATA_RANGE,
} from './graph/endpoints/endpoint-types.js';
export { SinkEndpoint, type SinkEndpointOptions, type SinkReadResult } from './graph/endpoints/sink-endpoint.js';
export { SinkFrame } from './graph/endpoints/sink-frame.js';
export { SourceEndpoint, type SourceEndpointOptions } from './graph/endpoints/source-endpoint.js';
// graph manager: graph, connections with format intersection, pipes at run time, user-mode endpoints
export { Graph } from './graph/graph.js';
export type {
  AddFilterOptions,
  ConnectOptions,
  EndpointLike,
  GraphConnection,
  GraphOptions,
  GraphPipe,
  PinRef,
} from './graph/graph-types.js';
export {
  defaultIntersection,
  type IntersectionCandidate,
  intersectionCandidates,
  rangesCompatible,
} from './graph/intersect.js';
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
export { CANARY_BYTE, POISON_BYTE } from './memory/guard.js';
export { computeFrameLayout, type FrameLayout } from './memory/layout.js';
export {
  CACHE_LINE_SIZE,
  isCacheAlignedPoolType,
  isKnownPoolType,
  type PoolKind,
  poolKind,
} from './memory/pool-type.js';
export { CircuitFrame, type FrameReturnSink } from './pin/circuit-frame.js';
export {
  DataFormatFlags,
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  DataRangeFlags,
  dataRangeMatchesFormat,
  KSDATAFORMAT_SIZE,
  type KsDataFormat,
  type KsDataRange,
  sameFormatHeader,
  validateDataFormat,
} from './pin/data-format.js';
export { Gate, type GateKind } from './pin/gate.js';
export {
  type AttemptProcessingOptions,
  connectPins,
  disconnectPins,
  type FrameHeaderInit,
  type FrameReturnCallback,
  linkInPlace,
  Pin,
  type PinStateObserver,
} from './pin/pin.js';
export {
  Communication,
  type CommunicationValue,
  DataFlow,
  type DataFlowValue,
  type DispatchResult,
  INSTANCES_UNLIMITED,
  type IntersectHandler,
  type PinDescriptorEx,
  type PinDispatch,
  type PinFrameHolding,
  usesStandardTransport,
  validatePinDescriptor,
} from './pin/pin-descriptor.js';
export { PIN_FLAGS_MASK, PinFlags } from './pin/pin-flags.js';
// Splitter delegate branches (zero-copy fan-out of a shared splitter pipe; docs/graph.md "Splitters").
export { BranchFrame, SplitterFanOut, type SplitterFanOutOptions } from './pin/splitter-fan-out.js';
export { Requester, type RequesterOptions } from './processing/requester.js';
export { defaultWorkScheduler, ManualWorkScheduler, type WorkScheduler } from './processing/scheduler.js';
export {
  clearDelegateBranches,
  delegateBranchesOf,
  delegateOf,
  setDelegateBranches,
} from './processing/splitter-branches.js';
export { clearPipeSource, pipeSourceOf, setPipeSource } from './processing/wiring.js';
// properties: IOCTL_KS_PROPERTY / METHOD / ENABLE_EVENT answered from pins, filters and allocators (docs/properties.md)
export {
  type EventReply,
  type KsIdentifier,
  ksEnableEvent,
  ksMethod,
  type MethodOptions,
  type MethodReply,
} from './property/allocator-methods.js';
export {
  ConnectionProperty,
  EventSetId,
  EventType,
  IOCTL_KS_PROPERTY,
  IoctlKs,
  KSEVENT_STREAMALLOCATOR_FREEFRAME,
  KSEVENT_STREAMALLOCATOR_INTERNAL_FREEFRAME,
  KSEVENTSETID_StreamAllocator,
  KSMETHOD_STREAMALLOCATOR_ALLOC,
  KSMETHOD_STREAMALLOCATOR_FREE,
  KSMETHODSETID_StreamAllocator,
  KSPROPERTY_CONNECTION_ACQUIREORDERING,
  KSPROPERTY_CONNECTION_ALLOCATORFRAMING,
  KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX,
  KSPROPERTY_CONNECTION_DATAFORMAT,
  KSPROPERTY_CONNECTION_PRIORITY,
  KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT,
  KSPROPERTY_CONNECTION_STARTAT,
  KSPROPERTY_CONNECTION_STATE,
  KSPROPERTY_STREAM_ALLOCATOR,
  KSPROPERTY_STREAM_PIPE_ID,
  KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE,
  KSPROPERTY_STREAMALLOCATOR_STATUS,
  KSPROPERTY_TYPE_BASICSUPPORT,
  KSPROPERTY_TYPE_GET,
  KSPROPERTY_TYPE_SET,
  KSPROPERTY_TYPE_SETSUPPORT,
  KSPROPSETID_Connection,
  KSPROPSETID_Stream,
  KSPROPSETID_StreamAllocator,
  KSPROPTYPESETID_GENERAL,
  KsPriority,
  MethodSetId,
  MethodType,
  PROPERTY_TYPE_MASK,
  PropertySetId,
  PropertySize,
  PropertyType,
  StreamAllocatorEvent,
  StreamAllocatorMethod,
  StreamAllocatorProperty,
  StreamProperty,
} from './property/constants.js';
export {
  getProperty,
  ksProperty,
  type PropertyReply,
  type PropertyRequest,
  type PropertyTarget,
  propertySets,
  propertySupport,
  requestProperty,
  setProperty,
  type TypedPropertyRequest,
} from './property/ks-property.js';
export { legacyFramingFromEx, pipeAllocatorOf } from './property/pipe-allocator.js';
export type { StreamAllocatorFunctionTable } from './property/property-sets.js';
export {
  decodeDataFormat,
  decodeGuidList,
  decodeStreamAllocatorStatus,
  decodeUlong,
  encodeDataFormat,
  encodeGuidList,
  encodePropertyDescription,
  encodeStreamAllocatorStatus,
  encodeUlong,
  type StreamAllocatorStatus,
  streamAllocatorStatusOf,
  type WireDataFormat,
} from './property/value-codec.js';
export { KsReset, type KsResetValue, KsState, type KsStateValue, ksStateName } from './state.js';
export { ntSuccess, Status, type StatusCode, type StatusName, statusName } from './status.js';
// stream: frames, stream headers, stream requests, queues, stream pointers, schedulers
export { Frame, FrameState, type FrameStateValue } from './stream/frame.js';
export { type FrameHoldRecord, type FrameLeak, FrameLedger, type FrameLedgerOptions } from './stream/frame-ledger.js';
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
