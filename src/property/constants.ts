/**
 * Kernel-streaming property, method and event constants with their ks.h values (spec §5): the set GUIDs, the ids of
 * KSPROPSETID_Connection, KSPROPSETID_Stream, KSPROPSETID_StreamAllocator, KSMETHODSETID_StreamAllocator and
 * KSEVENTSETID_StreamAllocator, the KSPROPERTY_TYPE_* / KSMETHOD_TYPE_* request flags and the IOCTL codes.
 * GUIDs are lowercase strings without braces (the form `normalizeGuid` produces).
 * @module
 */

import type { Guid } from '../framing/guid.js';

/** Property set GUIDs (KSPROPSETID_*). */
export const PropertySetId = {
  /** KSPROPSETID_Connection {1D58C920-AC9B-11CF-A5D6-28DB04C10000}: pin connection properties. */
  connection: '1d58c920-ac9b-11cf-a5d6-28db04c10000',
  /** KSPROPSETID_Stream {65AABA60-98AE-11CF-A10D-0020AFD156E4}: stream properties (allocator, clock, …). */
  stream: '65aaba60-98ae-11cf-a10d-0020afd156e4',
  /** KSPROPSETID_StreamAllocator {CF6E4342-EC87-11CF-A130-0020AFD156E4}: properties of an allocator object. */
  streamAllocator: 'cf6e4342-ec87-11cf-a130-0020afd156e4',
} as const satisfies Record<string, Guid>;

/** Method set GUIDs (KSMETHODSETID_*). */
export const MethodSetId = {
  /** KSMETHODSETID_StreamAllocator {CF6E4341-EC87-11CF-A130-0020AFD156E4}: ALLOC / FREE on an allocator. */
  streamAllocator: 'cf6e4341-ec87-11cf-a130-0020afd156e4',
} as const satisfies Record<string, Guid>;

/** Event set GUIDs (KSEVENTSETID_*). */
export const EventSetId = {
  /** KSEVENTSETID_StreamAllocator {75D95571-073C-11D0-A161-0020AFD156E4}: FREEFRAME on an allocator. */
  streamAllocator: '75d95571-073c-11d0-a161-0020afd156e4',
} as const satisfies Record<string, Guid>;

/** KSPROPTYPESETID_General {97E99BA0-BDEA-11CF-A5D6-28DB04C10000}: the PropTypeSet of a basic-support description. */
export const KSPROPTYPESETID_GENERAL: Guid = '97e99ba0-bdea-11cf-a5d6-28db04c10000';

/** KSPROPERTY_CONNECTION: the ids of KSPROPSETID_Connection. */
export const ConnectionProperty = {
  /** KSPROPERTY_CONNECTION_STATE: KSSTATE (get/set). */
  state: 0,
  /** KSPROPERTY_CONNECTION_PRIORITY: KSPRIORITY (optional; not offered by avstream pins). */
  priority: 1,
  /** KSPROPERTY_CONNECTION_DATAFORMAT: KSDATAFORMAT (get/set, variable length). */
  dataFormat: 2,
  /** KSPROPERTY_CONNECTION_ALLOCATORFRAMING: KSALLOCATOR_FRAMING (get). */
  allocatorFraming: 3,
  /** KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT: KSDATAFORMAT (set only). */
  proposeDataFormat: 4,
  /** KSPROPERTY_CONNECTION_ACQUIREORDERING: BOOL (get). */
  acquireOrdering: 5,
  /** KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX: KSALLOCATOR_FRAMING_EX (get only, variable length). */
  allocatorFramingEx: 6,
  /** KSPROPERTY_CONNECTION_STARTAT: KSRELATIVEEVENT (optional; not offered by avstream pins). */
  startAt: 7,
} as const;

/** KSPROPERTY_STREAM: the ids of KSPROPSETID_Stream. */
export const StreamProperty = {
  /** KSPROPERTY_STREAM_ALLOCATOR: HANDLE of the allocator (get ⇒ NULL handle when supported). */
  allocator: 0,
  /** KSPROPERTY_STREAM_QUALITY */
  quality: 1,
  /** KSPROPERTY_STREAM_DEGRADATION */
  degradation: 2,
  /** KSPROPERTY_STREAM_MASTERCLOCK */
  masterClock: 3,
  /** KSPROPERTY_STREAM_TIMEFORMAT */
  timeFormat: 4,
  /** KSPROPERTY_STREAM_PRESENTATIONTIME */
  presentationTime: 5,
  /** KSPROPERTY_STREAM_PRESENTATIONEXTENT */
  presentationExtent: 6,
  /** KSPROPERTY_STREAM_FRAMETIME */
  frameTime: 7,
  /** KSPROPERTY_STREAM_RATECAPABILITY */
  rateCapability: 8,
  /** KSPROPERTY_STREAM_RATE */
  rate: 9,
  /** KSPROPERTY_STREAM_PIPE_ID (opaque KsProxy ↔ AVStream) */
  pipeId: 10,
} as const;

/** KSPROPERTY_STREAMALLOCATOR: the ids of KSPROPSETID_StreamAllocator. */
export const StreamAllocatorProperty = {
  /** KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE: {AllocateFrame, FreeFrame} (kernel callers only). */
  functionTable: 0,
  /** KSPROPERTY_STREAMALLOCATOR_STATUS: KSSTREAMALLOCATOR_STATUS. */
  status: 1,
} as const;

/** KSMETHOD_STREAMALLOCATOR: the ids of KSMETHODSETID_StreamAllocator. */
export const StreamAllocatorMethod = {
  /** KSMETHOD_STREAMALLOCATOR_ALLOC: a frame, or pending until one is freed. */
  alloc: 0,
  /** KSMETHOD_STREAMALLOCATOR_FREE: returns a frame. */
  free: 1,
} as const;

/** KSEVENT_STREAMALLOCATOR: the ids of KSEVENTSETID_StreamAllocator. */
export const StreamAllocatorEvent = {
  /** KSEVENT_STREAMALLOCATOR_INTERNAL_FREEFRAME (KS-internal; not offered to clients). */
  internalFreeFrame: 0,
  /** KSEVENT_STREAMALLOCATOR_FREEFRAME: a frame was freed. */
  freeFrame: 1,
} as const;

/** KSPROPERTY_TYPE_*: the `flags` of a property request. */
export const PropertyType = {
  /** KSPROPERTY_TYPE_GET */
  get: 0x1,
  /** KSPROPERTY_TYPE_SET */
  set: 0x2,
  /** KSPROPERTY_TYPE_GETPAYLOADSIZE (newer SDKs) */
  getPayloadSize: 0x4,
  /** KSPROPERTY_TYPE_SETSUPPORT: is the property set supported? (GUID_NULL id 0: list the sets) */
  setSupport: 0x100,
  /** KSPROPERTY_TYPE_BASICSUPPORT: which of GET/SET the property supports. */
  basicSupport: 0x200,
  /** KSPROPERTY_TYPE_RELATIONS */
  relations: 0x400,
  /** KSPROPERTY_TYPE_SERIALIZESET */
  serializeSet: 0x800,
  /** KSPROPERTY_TYPE_UNSERIALIZESET */
  unserializeSet: 0x1000,
  /** KSPROPERTY_TYPE_SERIALIZERAW */
  serializeRaw: 0x2000,
  /** KSPROPERTY_TYPE_UNSERIALIZERAW */
  unserializeRaw: 0x4000,
  /** KSPROPERTY_TYPE_SERIALIZESIZE */
  serializeSize: 0x8000,
  /** KSPROPERTY_TYPE_DEFAULTVALUES */
  defaultValues: 0x10000,
  /** KSPROPERTY_TYPE_HIGHPRIORITY */
  highPriority: 0x08000000,
  /** KSPROPERTY_TYPE_TOPOLOGY: the request addresses a topology node (KSP_NODE). */
  topology: 0x10000000,
  /** KSPROPERTY_TYPE_FSFILTERSCOPE */
  fsFilterScope: 0x40000000,
  /** KSPROPERTY_TYPE_COPYPAYLOAD */
  copyPayload: 0x80000000,
} as const;

/** Every KSPROPERTY_TYPE_* bit ks.h defines. */
export const PROPERTY_TYPE_MASK = Object.values(PropertyType).reduce((a, b) => a | b, 0) >>> 0;

/** KSMETHOD_TYPE_*: the `flags` of a method request. */
export const MethodType = {
  /** KSMETHOD_TYPE_NONE */
  none: 0x0,
  /** KSMETHOD_TYPE_READ (= KSMETHOD_TYPE_SEND) */
  read: 0x1,
  /** KSMETHOD_TYPE_WRITE */
  write: 0x2,
  /** KSMETHOD_TYPE_MODIFY */
  modify: 0x3,
  /** KSMETHOD_TYPE_SOURCE */
  source: 0x4,
  /** KSMETHOD_TYPE_SEND */
  send: 0x1,
  /** KSMETHOD_TYPE_SETSUPPORT */
  setSupport: 0x100,
  /** KSMETHOD_TYPE_BASICSUPPORT */
  basicSupport: 0x200,
  /** KSMETHOD_TYPE_TOPOLOGY */
  topology: 0x10000000,
} as const;

/** KSEVENT_TYPE_*: the `flags` of an event request. */
export const EventType = {
  /** KSEVENT_TYPE_ENABLE */
  enable: 0x1,
  /** KSEVENT_TYPE_ONESHOT */
  oneShot: 0x2,
  /** KSEVENT_TYPE_ENABLEBUFFERED */
  enableBuffered: 0x4,
  /** KSEVENT_TYPE_SETSUPPORT */
  setSupport: 0x100,
  /** KSEVENT_TYPE_BASICSUPPORT */
  basicSupport: 0x200,
  /** KSEVENT_TYPE_QUERYBUFFER */
  queryBuffer: 0x400,
} as const;

/**
 * The kernel-streaming IOCTL codes: CTL_CODE(FILE_DEVICE_KS 0x2F, function, METHOD_NEITHER 3, access).
 */
export const IoctlKs = {
  /** IOCTL_KS_PROPERTY: function 0, FILE_ANY_ACCESS. */
  property: 0x2f0003,
  /** IOCTL_KS_ENABLE_EVENT: function 1. */
  enableEvent: 0x2f0007,
  /** IOCTL_KS_DISABLE_EVENT: function 2. */
  disableEvent: 0x2f000b,
  /** IOCTL_KS_METHOD: function 3. */
  method: 0x2f000f,
  /** IOCTL_KS_WRITE_STREAM: function 4, FILE_WRITE_ACCESS. */
  writeStream: 0x2f8013,
  /** IOCTL_KS_READ_STREAM: function 5, FILE_READ_ACCESS. */
  readStream: 0x2f4017,
  /** IOCTL_KS_RESET_STATE: function 6. */
  resetState: 0x2f001b,
} as const;

/** KSPRIORITY_*: priority classes of KSPRIORITY.PriorityClass. */
export const KsPriority = {
  /** KSPRIORITY_LOW */
  low: 0x00000001,
  /** KSPRIORITY_NORMAL (the default) */
  normal: 0x40000000,
  /** KSPRIORITY_HIGH */
  high: 0x80000000,
  /** KSPRIORITY_EXCLUSIVE */
  exclusive: 0xffffffff,
} as const;

/** Sizes of the wire structures (bytes). */
export const PropertySize = {
  /** sizeof(KSPROPERTY) = sizeof(KSIDENTIFIER): GUID Set, ULONG Id, ULONG Flags (MinProperty of every item). */
  ksProperty: 24,
  /** sizeof(KSSTATE) */
  ksState: 4,
  /** sizeof(BOOL) (ACQUIREORDERING) */
  bool: 4,
  /** sizeof(HANDLE) on x64 (KSPROPERTY_STREAM_ALLOCATOR) */
  handle: 8,
  /** sizeof(KSSTREAMALLOCATOR_STATUS): KSALLOCATOR_FRAMING (24) + AllocatedFrames + Reserved */
  streamAllocatorStatus: 32,
  /** sizeof(ULONG): the AccessFlags a BASICSUPPORT query returns in a short buffer */
  accessFlags: 4,
  /** sizeof(KSPROPERTY_DESCRIPTION) (x64): AccessFlags, DescriptionSize, PropTypeSet (24), MembersListCount, Reserved */
  propertyDescription: 40,
} as const;

// ---------------------------------------------------------------- ks.h spellings
// The same values under their ks.h names, for code ported from a driver or a KS client. Prefer the grouped objects
// above in new code.

/** KSPROPSETID_Connection (= {@link PropertySetId}.connection). */
export const KSPROPSETID_Connection: Guid = PropertySetId.connection;
/** KSPROPSETID_Stream (= {@link PropertySetId}.stream). */
export const KSPROPSETID_Stream: Guid = PropertySetId.stream;
/** KSPROPSETID_StreamAllocator (= {@link PropertySetId}.streamAllocator). */
export const KSPROPSETID_StreamAllocator: Guid = PropertySetId.streamAllocator;
/** KSMETHODSETID_StreamAllocator (= {@link MethodSetId}.streamAllocator). */
export const KSMETHODSETID_StreamAllocator: Guid = MethodSetId.streamAllocator;
/** KSEVENTSETID_StreamAllocator (= {@link EventSetId}.streamAllocator). */
export const KSEVENTSETID_StreamAllocator: Guid = EventSetId.streamAllocator;
/** KSPROPERTY_CONNECTION_STATE (0) */
export const KSPROPERTY_CONNECTION_STATE = ConnectionProperty.state;
/** KSPROPERTY_CONNECTION_PRIORITY (1) */
export const KSPROPERTY_CONNECTION_PRIORITY = ConnectionProperty.priority;
/** KSPROPERTY_CONNECTION_DATAFORMAT (2) */
export const KSPROPERTY_CONNECTION_DATAFORMAT = ConnectionProperty.dataFormat;
/** KSPROPERTY_CONNECTION_ALLOCATORFRAMING (3) */
export const KSPROPERTY_CONNECTION_ALLOCATORFRAMING = ConnectionProperty.allocatorFraming;
/** KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT (4) */
export const KSPROPERTY_CONNECTION_PROPOSEDATAFORMAT = ConnectionProperty.proposeDataFormat;
/** KSPROPERTY_CONNECTION_ACQUIREORDERING (5) */
export const KSPROPERTY_CONNECTION_ACQUIREORDERING = ConnectionProperty.acquireOrdering;
/** KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX (6) */
export const KSPROPERTY_CONNECTION_ALLOCATORFRAMING_EX = ConnectionProperty.allocatorFramingEx;
/** KSPROPERTY_CONNECTION_STARTAT (7) */
export const KSPROPERTY_CONNECTION_STARTAT = ConnectionProperty.startAt;
/** KSPROPERTY_STREAM_ALLOCATOR (0) */
export const KSPROPERTY_STREAM_ALLOCATOR = StreamProperty.allocator;
/** KSPROPERTY_STREAM_PIPE_ID (10) */
export const KSPROPERTY_STREAM_PIPE_ID = StreamProperty.pipeId;
/** KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE (0) */
export const KSPROPERTY_STREAMALLOCATOR_FUNCTIONTABLE = StreamAllocatorProperty.functionTable;
/** KSPROPERTY_STREAMALLOCATOR_STATUS (1) */
export const KSPROPERTY_STREAMALLOCATOR_STATUS = StreamAllocatorProperty.status;
/** KSMETHOD_STREAMALLOCATOR_ALLOC (0) */
export const KSMETHOD_STREAMALLOCATOR_ALLOC = StreamAllocatorMethod.alloc;
/** KSMETHOD_STREAMALLOCATOR_FREE (1) */
export const KSMETHOD_STREAMALLOCATOR_FREE = StreamAllocatorMethod.free;
/** KSEVENT_STREAMALLOCATOR_INTERNAL_FREEFRAME (0) */
export const KSEVENT_STREAMALLOCATOR_INTERNAL_FREEFRAME = StreamAllocatorEvent.internalFreeFrame;
/** KSEVENT_STREAMALLOCATOR_FREEFRAME (1) */
export const KSEVENT_STREAMALLOCATOR_FREEFRAME = StreamAllocatorEvent.freeFrame;
/** KSPROPERTY_TYPE_GET (0x1) */
export const KSPROPERTY_TYPE_GET = PropertyType.get;
/** KSPROPERTY_TYPE_SET (0x2) */
export const KSPROPERTY_TYPE_SET = PropertyType.set;
/** KSPROPERTY_TYPE_SETSUPPORT (0x100) */
export const KSPROPERTY_TYPE_SETSUPPORT = PropertyType.setSupport;
/** KSPROPERTY_TYPE_BASICSUPPORT (0x200) */
export const KSPROPERTY_TYPE_BASICSUPPORT = PropertyType.basicSupport;
/** IOCTL_KS_PROPERTY (0x2F0003) */
export const IOCTL_KS_PROPERTY = IoctlKs.property;
