/**
 * KsProxy's graph-manager enumerations (ksproxy.h, spec §7), with their numeric values.
 * @module
 */

/** AllocatorStrategy_* — how a pipe's free choices (frame size, frame count) are made. A bit set. */
export const AllocatorStrategy = {
  /** AllocatorStrategy_MinimizeNumberOfFrames: frames = exactly what the pins and the budget need. */
  minimizeNumberOfFrames: 0x1,
  /** AllocatorStrategy_MinimizeFrameSize: the smallest size the pipe allows. */
  minimizeFrameSize: 0x2,
  /** AllocatorStrategy_MinimizeNumberOfAllocators: recorded; pipes are never split, so it changes nothing. */
  minimizeNumberOfAllocators: 0x4,
  /** AllocatorStrategy_MaximizeSpeed: the largest optimal size (unless MinimizeFrameSize is also set). */
  maximizeSpeed: 0x8,
} as const;

/** The strategy used when a description names none: MinimizeFrameSize | MinimizeNumberOfFrames. */
export const DEFAULT_ALLOCATOR_STRATEGY =
  AllocatorStrategy.minimizeFrameSize | AllocatorStrategy.minimizeNumberOfFrames;

/** PipeFactor_* — what shaped a pipe (ALLOCATOR_PROPERTIES_EX.InsideFactors / PIPE_TERMINATION.OutsideFactors). */
export const PipeFactor = {
  /** PipeFactor_UserModeUpstream: the pipe starts at a user-mode end. */
  userModeUpstream: 0x1,
  /** PipeFactor_UserModeDownstream: the pipe ends at a user-mode end. */
  userModeDownstream: 0x2,
  /** PipeFactor_MemoryTypes: the memory type was constrained by a pin. */
  memoryTypes: 0x4,
  /** PipeFactor_Flags: requirement flags (MUST_ALLOCATE, FRAME_INTEGRITY, …) shaped the pipe. */
  flags: 0x8,
  /** PipeFactor_PhysicalRanges: a physical range constrained the size. */
  physicalRanges: 0x10,
  /** PipeFactor_OptimalRanges: an optimal range chose the size. */
  optimalRanges: 0x20,
  /** PipeFactor_FixedCompression: a non-neutral compression ratio was carried. */
  fixedCompression: 0x40,
  /** PipeFactor_UnknownCompression: a ratio was unknown (RatioNumerator 0). */
  unknownCompression: 0x80,
  /** PipeFactor_Buffers: a frame count (or the frame budget) shaped the pipe. */
  buffers: 0x100,
  /** PipeFactor_Align: an alignment mask shaped the pipe. */
  align: 0x200,
  /** PipeFactor_PhysicalEnd: the pipe ends at a sink or a non-in-place input. */
  physicalEnd: 0x400,
  /** PipeFactor_LogicalEnd: the pipe ends at a user-mode end. */
  logicalEnd: 0x800,
} as const;

/** PIPE_STATE. */
export const PipeState = {
  dontCare: 0,
  rangeNotFixed: 1,
  rangeFixed: 2,
  compressionUnknown: 3,
  finalized: 4,
} as const;

/** A PIPE_STATE value. */
export type PipeStateValue = (typeof PipeState)[keyof typeof PipeState];

/** PIPE_ALLOCATOR_PLACE: where in the pipe the allocator sits. */
export const PipeAllocatorPlace = {
  none: 0,
  firstPin: 1,
  lastPin: 2,
  middlePin: 3,
} as const;

/** A PIPE_ALLOCATOR_PLACE value. */
export type PipeAllocatorPlaceValue = (typeof PipeAllocatorPlace)[keyof typeof PipeAllocatorPlace];

/** KS_LogicalMemoryType. */
export const LogicalMemoryType = {
  dontCare: 0,
  kernelPaged: 1,
  kernelNonPaged: 2,
  deviceHostMapped: 3,
  deviceSpecific: 4,
  user: 5,
  anyHost: 6,
} as const;

/** A KS_LogicalMemoryType value. */
export type LogicalMemoryTypeValue = (typeof LogicalMemoryType)[keyof typeof LogicalMemoryType];

/** KSALLOCATORMODE: whether a pipe's allocator lives in user or kernel mode. */
export const AllocatorMode = {
  user: 0,
  kernel: 1,
} as const;

/** A KSALLOCATORMODE value. */
export type AllocatorModeValue = (typeof AllocatorMode)[keyof typeof AllocatorMode];

/** FRAMING_PROP: which framing property a pin answers. */
export const FramingProp = {
  uninitialized: 0,
  none: 1,
  old: 2,
  ex: 3,
} as const;

/** A FRAMING_PROP value. */
export type FramingPropValue = (typeof FramingProp)[keyof typeof FramingProp];

/** The names of the bits set in an AllocatorStrategy value, e.g. `['minimizeNumberOfFrames', 'minimizeFrameSize']`. */
export function allocatorStrategyNames(strategy: number): string[] {
  return bitNames(AllocatorStrategy, strategy);
}

/** The names of the bits set in a PipeFactor value. */
export function pipeFactorNames(factors: number): string[] {
  return bitNames(PipeFactor, factors);
}

function bitNames(table: Readonly<Record<string, number>>, value: number): string[] {
  const out: string[] = [];
  for (const [name, bit] of Object.entries(table)) if ((value & bit) !== 0) out.push(name);
  return out;
}
