/**
 * Framing constants with the numeric values of ks.h / wdm.h (spec §2.1, §2.2).
 * @module
 */

/** KSALLOCATOR_REQUIREMENTF_* — the requirement bits of `KS_FRAMING_ITEM.Flags` and `KSALLOCATOR_FRAMING.RequirementsFlags`. */
export const RequirementFlags = {
  /** KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER: the point can modify frames in place. */
  inplaceModifier: 0x1,
  /** KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY: needs system memory. */
  systemMemory: 0x2,
  /** KSALLOCATOR_REQUIREMENTF_FRAME_INTEGRITY: downstream must keep frame data intact. */
  frameIntegrity: 0x4,
  /** KSALLOCATOR_REQUIREMENTF_MUST_ALLOCATE: the point must allocate every frame it sends. */
  mustAllocate: 0x8,
  /** KSALLOCATOR_REQUIREMENTF_SYSTEM_MEMORY_CUSTOM_ALLOCATION (newer SDKs; undocumented). */
  systemMemoryCustomAllocation: 0x10,
  /** KSALLOCATOR_REQUIREMENTF_PREFERENCES_ONLY: the requirement bits are preferences only. */
  preferencesOnly: 0x80000000,
} as const;

/** KSALLOCATOR_OPTIONF_* — the option bits of `KSALLOCATOR_FRAMING.OptionsFlags`. */
export const OptionFlags = {
  /** KSALLOCATOR_OPTIONF_COMPATIBLE */
  compatible: 0x1,
  /** KSALLOCATOR_OPTIONF_SYSTEM_MEMORY: allocate from PoolType. */
  systemMemory: 0x2,
  /** KSALLOCATOR_OPTIONF_VALID: the mask of defined option bits. */
  valid: 0x3,
} as const;

/** KSALLOCATOR_FLAG_* — pin extended framing flags (0x10–0x80) and allocator pipe flags (0x100–0x8000). */
export const AllocatorFlags = {
  /** KSALLOCATOR_FLAG_PARTIAL_READ_SUPPORT: partial frame fill supported. */
  partialReadSupport: 0x10,
  /** KSALLOCATOR_FLAG_DEVICE_SPECIFIC: the memory type is device-specific. */
  deviceSpecific: 0x20,
  /** KSALLOCATOR_FLAG_CAN_ALLOCATE: the filter can allocate that device memory. */
  canAllocate: 0x40,
  /** KSALLOCATOR_FLAG_INSIST_ON_FRAMESIZE_RATIO: the OutputCompression ratio must hold. */
  insistOnFramesizeRatio: 0x80,
  /** KSALLOCATOR_FLAG_NO_FRAME_INTEGRITY: the pipe has at least one data modification. */
  noFrameIntegrity: 0x100,
  /** KSALLOCATOR_FLAG_MULTIPLE_OUTPUT (pipe flag, undocumented). */
  multipleOutput: 0x200,
  /** KSALLOCATOR_FLAG_CYCLE (pipe flag, undocumented). */
  cycle: 0x400,
  /** KSALLOCATOR_FLAG_ALLOCATOR_EXISTS: an allocator exists. */
  allocatorExists: 0x800,
  /** KSALLOCATOR_FLAG_INDEPENDENT_RANGES: no framing dependency between neighbouring pipes. */
  independentRanges: 0x1000,
  /** KSALLOCATOR_FLAG_ATTENTION_STEPPING (undocumented). */
  attentionStepping: 0x2000,
  /** KSALLOCATOR_FLAG_ENABLE_CACHED_MDL (newer SDKs). */
  enableCachedMdl: 0x4000,
  /** KSALLOCATOR_FLAG_2D_BUFFER_REQUIRED (newer SDKs). */
  bufferRequired2d: 0x8000,
} as const;

/** Every bit defined for `KS_FRAMING_ITEM.Flags`: requirement bits plus allocator flags. */
export const FRAMING_ITEM_FLAGS_MASK =
  (Object.values(RequirementFlags).reduce((a, b) => a | b, 0) |
    Object.values(AllocatorFlags).reduce((a, b) => a | b, 0)) >>>
  0;

/** Every bit defined for `KSALLOCATOR_FRAMING.RequirementsFlags` (requirement bits; options share the low bits). */
export const REQUIREMENT_FLAGS_MASK = Object.values(RequirementFlags).reduce((a, b) => a | b, 0) >>> 0;

/** POOL_TYPE values (wdm.h). */
export const PoolType = {
  /** NonPagedPool (0): resident memory; the default allocator commits its whole slab at initialize. */
  nonPagedPool: 0,
  /** PagedPool (1): pageable memory; the default allocator grows its slab lazily. */
  pagedPool: 1,
  /** NonPagedPoolCacheAligned (4): NonPagedPool with cache-line-aligned frames. */
  nonPagedPoolCacheAligned: 4,
  /** PagedPoolCacheAligned (5): PagedPool with cache-line-aligned frames. */
  pagedPoolCacheAligned: 5,
  /** NonPagedPoolNx (512): non-executable NonPagedPool. */
  nonPagedPoolNx: 512,
} as const;

/** A POOL_TYPE value. */
export type PoolTypeValue = (typeof PoolType)[keyof typeof PoolType];

/** FILE_*_ALIGNMENT masks (alignment − 1). */
export const FileAlignment = {
  /** FILE_BYTE_ALIGNMENT (1 byte) */
  byte: 0x0,
  /** FILE_WORD_ALIGNMENT (2 bytes) */
  word: 0x1,
  /** FILE_LONG_ALIGNMENT (4 bytes) */
  long: 0x3,
  /** FILE_QUAD_ALIGNMENT (8 bytes) */
  quad: 0x7,
  /** FILE_OCTA_ALIGNMENT (16 bytes) */
  octa: 0xf,
  /** FILE_32_BYTE_ALIGNMENT */
  bytes32: 0x1f,
  /** FILE_64_BYTE_ALIGNMENT */
  bytes64: 0x3f,
  /** FILE_128_BYTE_ALIGNMENT */
  bytes128: 0x7f,
  /** FILE_256_BYTE_ALIGNMENT */
  bytes256: 0xff,
  /** FILE_512_BYTE_ALIGNMENT */
  bytes512: 0x1ff,
} as const;

/** PAGE_SIZE of the modelled machine (x86/x64: 4 KiB). */
export const PAGE_SIZE = 4096;

/** The largest FileAlignment mask an allocator accepts (PAGE_SIZE − 1; ReactOS' default allocator rule). */
export const MAX_FILE_ALIGNMENT = PAGE_SIZE - 1;

/**
 * The most framing items one KSALLOCATOR_FRAMING_EX may carry in avstream (an avstream bound, not a ks.h one:
 * CountItems is a ULONG there). Validation, parsing and decoding reject more, before allocating anything.
 */
export const MAX_FRAMING_ITEMS = 64;

/** Memory type GUIDs (KSMEMORY_TYPE_*), lowercase registry form without braces. */
export const MemoryType = {
  /** KSMEMORY_TYPE_WILDCARD = KSMEMORY_TYPE_DONT_CARE = KS_TYPE_DONT_CARE = GUID_NULL */
  wildcard: '00000000-0000-0000-0000-000000000000',
  /** KSMEMORY_TYPE_SYSTEM */
  system: '091bb638-603f-11d1-b067-00a0c9062802',
  /** KSMEMORY_TYPE_USER */
  user: '8cb0fc28-7893-11d1-b069-00a0c9062802',
  /** KSMEMORY_TYPE_KERNEL_PAGED */
  kernelPaged: 'd833f8f8-7894-11d1-b069-00a0c9062802',
  /** KSMEMORY_TYPE_KERNEL_NONPAGED */
  kernelNonPaged: '4a6d5fc4-7895-11d1-b069-00a0c9062802',
  /** KSMEMORY_TYPE_DEVICE_UNKNOWN */
  deviceUnknown: '091bb639-603f-11d1-b067-00a0c9062802',
} as const;

/** Bus type GUIDs (wdmguid.h) used in `KS_FRAMING_ITEM.BusType`. */
export const BusType = {
  /** GUID_NULL: any bus. */
  any: '00000000-0000-0000-0000-000000000000',
  /** GUID_BUS_TYPE_PCI */
  pci: 'c8ebdfb0-b510-11d0-80e5-00a0c92542e3',
  /** GUID_BUS_TYPE_USB */
  usb: '9d7debbc-c85d-11d1-9eb4-006008c3a19a',
  /** GUID_BUS_TYPE_1394 */
  ieee1394: 'f74e73eb-9ac5-45eb-be4d-772cc71ddfb3',
  /** GUID_BUS_TYPE_AVC */
  avc: 'c06ff265-ae09-48f0-812c-16753d7cba83',
  /** GUID_61883_CLASS */
  iec61883: '7ebefbc0-3200-11d2-b4c2-00a0c9697d07',
} as const;

/** GUID_NULL. */
export const GUID_NULL = '00000000-0000-0000-0000-000000000000';

/** KSSTRING_Allocator: the allocator create-item name. */
export const KSSTRING_ALLOCATOR = '{642F5D00-4791-11D0-A5D6-28DB04C10000}';
