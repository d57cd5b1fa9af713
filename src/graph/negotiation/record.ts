import type { Guid } from '../../framing/guid.js';
import type { AllocatorFraming, Compression, FramingRange } from '../../framing/types.js';
import type { PipePinRole } from './pipes.js';

/**
 * The decision record of {@link negotiate}: plain JSON (a `JSON.stringify` / `JSON.parse` round trip gives an equal
 * value: no `undefined`, no functions, only finite integers, strings, booleans, null, arrays and plain objects).
 * @module
 */

/** A value shown as "required" or "offered" in a rejection or failure. */
export type RecordValue = number | string | boolean | null | FramingRange | Compression | string[] | number[];

/** The rule a rejection or failure comes from (docs/negotiation.md lists every rule). */
export type NegotiationRule =
  | 'memoryType'
  | 'systemMemory'
  | 'physicalRange'
  | 'compressionRatio'
  | 'frameIntegrity'
  | 'frames'
  | 'frameBudget'
  | 'mustAllocate'
  | 'userModePipe'
  | 'vendorMemoryType'
  | 'vendorFrameSize'
  | 'vendorAlignment'
  | 'vendorFrames'
  | 'defaultAllocatorMemory'
  | 'defaultAllocatorAlignment'
  | 'verification';

/** One reason a candidate (an allocator or a memory type) was not taken. */
export interface Rejection {
  /** The rule. */
  rule: NegotiationRule;
  /** The pin the rule is about (`"filterId.pinId"`). */
  pin: string;
  /** The field compared, e.g. `fileAlignment`, `frameSize`, `memoryType`, `frames`. */
  field: string;
  /** What the pipe (or the pin) requires. */
  required: RecordValue;
  /** What the candidate (or the rest of the pipe) offers. */
  offered: RecordValue;
}

/** A failed negotiation step: a rejection, located in a pipe; frame-budget failures list the holders. */
export interface NegotiationFailure extends Rejection {
  /** The pipe id. */
  pipe: string;
  /** For `frameBudget`: the pins holding frames and how many each may hold. */
  holders: FrameHolder[] | null;
}

/** A pin holding frames of a pipe (static frame budget). */
export interface FrameHolder {
  /** The pin. */
  pin: string;
  /** queueDepth + trailingWindow + clonesKept. */
  holds: number;
  /** Frames queued at the pin. */
  queueDepth: number;
  /** Frames in its trailing-edge window. */
  trailingWindow: number;
  /** Frames its clones keep. */
  clonesKept: number;
}

/** How a pin's size range was used. */
export type SizeUse = 'hard' | 'preference' | 'none';

/** The requirement one pin imposed on its pipe (under the chosen — or last tried — memory type). */
export interface PinRequirement {
  /** The pin, `"filterId.pinId"`. */
  pin: string;
  /** Its role in the pipe. */
  role: PipePinRole;
  /** Position in the pipe (0 = source). */
  position: number;
  /** `kernel` or `user` (a user-mode end). */
  mode: 'kernel' | 'user';
  /** The index of the KS_FRAMING_ITEM used, or null when the pin has no framing. */
  itemIndex: number | null;
  /** That item's MemoryType (GUID), or null. */
  memoryType: Guid | null;
  /** That item's BusType, or null. */
  busType: Guid | null;
  /** That item's Flags. */
  flags: number;
  /** REQUIREMENTF_PREFERENCES_ONLY is set: memory type, size range and MUST_ALLOCATE are preferences. */
  preferencesOnly: boolean;
  /** REQUIREMENTF_MUST_ALLOCATE (in Flags or MemoryFlags). */
  mustAllocate: boolean;
  /** The memory type of the pipe met this pin's item (false only for relaxed preferences). */
  memoryTypeMet: boolean;
  /** Frames (0 = no requirement). */
  frames: number;
  /** FileAlignment mask. */
  fileAlignment: number;
  /** PhysicalRange in the pin's own units, or null. */
  physicalRange: FramingRange | null;
  /** PhysicalRange mapped to allocator-pin units through `compression`, or null (none, or unknown ratio). */
  physicalRangeAtAllocator: FramingRange | null;
  /** FramingRange (optimal) mapped to allocator-pin units, or null. */
  optimalRangeAtAllocator: FramingRange | null;
  /** How the physical range was used. */
  sizeUse: SizeUse;
  /** Why it was only a preference (`preferencesOnly`, `inputPin`, `unknownCompression`), or null. */
  sizeUseReason: string | null;
  /** The cumulative ratio from the allocator pin to this pin (numerator 0 = unknown). */
  compression: Compression;
  /** The frames this pin may hold. */
  holds: number;
  /** The pin's declared frame limit, or null. */
  maxFrames: number | null;
  /** The vendor allocator this pin's dispatch offers, or null. */
  vendorAllocator: string | null;
}

/** One memory type considered for a pipe. */
export interface MemoryTypeCandidate {
  /** The memory type (GUID). */
  memoryType: Guid;
  /** `chosen`, `rejected` (tried and failed), or `untried` (a better one succeeded first). */
  outcome: 'chosen' | 'rejected' | 'untried';
  /** Every hard memory-type requirement is met. */
  meetsHardRequirements: boolean;
  /** Preference-only pins whose memory type it meets. */
  preferencesMet: number;
  /** Sum of the MemoryTypeWeight of the items it selects (weights only break ties). */
  weight: number;
  /** Why it was rejected, or null. */
  failure: Rejection | null;
}

/** A size preference (a relaxed physical range, the carried size, an optimal range) and whether it was honoured. */
export interface SizePreference {
  /** The pin it comes from. */
  pin: string;
  /** `physicalRange` (a relaxed one), `carriedSize`, or `optimalRange`. */
  source: 'physicalRange' | 'carriedSize' | 'optimalRange';
  /** The range in allocator-pin units. */
  range: FramingRange;
  /** `honored` (the chosen size lies in it) or `relaxed` (it would have left no size). */
  outcome: 'honored' | 'relaxed';
}

/** The size carried into a pipe from the pipe(s) feeding it through a transform's compression ratio. */
export interface CarriedSize {
  /** The transform output pin (this pipe's source) the ratio belongs to. */
  pin: string;
  /** The pipe it is carried from. */
  fromPipe: string;
  /** The ratio applied. */
  compression: Compression;
  /** The carried size (the output of one full frame of the feeding pipe). */
  size: number;
  /** INSIST_ON_FRAMESIZE_RATIO: the size must be exactly this (else it is a preference: at least this). */
  insist: boolean;
}

/** How the frame size was decided. */
export interface SizeDecision {
  /** The intersection of the hard ranges (allocator-pin units), or null when empty. */
  hardRange: FramingRange | null;
  /** The carried size, or null. */
  carried: CarriedSize | null;
  /** Preferences in the order applied. */
  preferences: SizePreference[];
  /** The range the strategy picked from (after the selected allocator's own range), or null. */
  finalRange: FramingRange | null;
  /** `minimize` or `maximize`. */
  pick: 'minimize' | 'maximize';
  /** The frame size, or null on failure. */
  frameSize: number | null;
}

/** How the frame count was decided. */
export interface FramesDecision {
  /** The most Frames asked by a pin (at least 1). */
  required: number;
  /** The pin that asked it, or null (nobody asked). */
  imposedBy: string | null;
  /** Extra frames added because the strategy does not minimize the frame count (≥ 3 recommended), else 0. */
  strategyExtra: number;
  /** The pins holding frames. */
  holders: FrameHolder[];
  /** The sum of their holdings. */
  held: number;
  /** Frames added by the budget check (so that frames > held), else 0. */
  budgetRaise: number;
  /** The final count, or null on failure. */
  frames: number | null;
  /** The most frames allowed. */
  limit: number;
  /** The pin whose declared maxFrames set `limit`, or null (the graph option). */
  limitedBy: string | null;
}

/** A candidate allocator and its verdict. */
export interface AllocatorCandidate {
  /** `vendor:<id>`, `default` or `user`. */
  allocator: string;
  /** Kind of allocator. */
  kind: 'vendor' | 'default' | 'user';
  /** The vendor allocator id, or null. */
  id: string | null;
  /** The pin it would sit at. */
  pin: string;
  /** `selected`, `eligible` (met every requirement but a higher-priority one was selected) or `rejected`. */
  outcome: 'selected' | 'eligible' | 'rejected';
  /** Why it was rejected (every mismatch), empty otherwise. */
  rejections: Rejection[];
}

/** Where the allocator sits: PIPE_ALLOCATOR_PLACE names. */
export type AllocatorPlaceName = 'none' | 'firstPin' | 'lastPin' | 'middlePin';

/** The selected allocator of a pipe. */
export interface SelectedAllocator {
  /** Kind of allocator. */
  kind: 'vendor' | 'default' | 'user';
  /** The vendor allocator id, or null. */
  id: string | null;
  /** The pin it sits at (where it is created and initialized). */
  pin: string;
  /** PIPE_ALLOCATOR_PLACE. */
  place: AllocatorPlaceName;
  /** KSALLOCATORMODE. */
  mode: 'kernel' | 'user';
}

/** PIPE_TERMINATION: one end of a pipe. */
export interface PipeTermination {
  /** Flags of the end pin's item. */
  flags: number;
  /** PipeFactor_* that came from outside the pipe at this end. */
  outsideFactors: number;
  /** Weigth (sic) — the item's MemoryTypeWeight. */
  weight: number;
  /** The end pin's physical range (own units), or the don't-care range. */
  physicalRange: FramingRange;
  /** The end pin's optimal range (own units), or the don't-care range. */
  optimalRange: FramingRange;
  /** The end's cumulative compression from the allocator pin. */
  compression: Compression;
}

/** PIPE_DIMENSIONS. */
export interface PipeDimensions {
  /** The allocator pin's ratio (relative to the source). */
  allocatorPin: Compression;
  /** The largest expansion inside the pipe. */
  maxExpansionPin: Compression;
  /** The ratio at the pipe's (first) end. */
  endPin: Compression;
}

/** ALLOCATOR_PROPERTIES_EX: the summary of a resolved pipe (cb* fields named without their Hungarian prefix). */
export interface AllocatorPropertiesEx {
  /** cBuffers */
  buffers: number;
  /** cbBuffer */
  bufferSize: number;
  /** cbAlign = FileAlignment + 1 */
  align: number;
  /** cbPrefix (0) */
  prefix: number;
  /** MemoryType */
  memoryType: Guid;
  /** BusType */
  busType: Guid;
  /** PIPE_STATE */
  state: number;
  /** PIPE_TERMINATION Input (the source end) */
  input: PipeTermination;
  /** PIPE_TERMINATION Output (the first end) */
  output: PipeTermination;
  /** AllocatorStrategy_* */
  strategy: number;
  /** KSALLOCATOR_FLAG_* pipe flags */
  flags: number;
  /** Weight (sum of the chosen memory-type weights) */
  weight: number;
  /** KS_LogicalMemoryType */
  logicalMemoryType: number;
  /** PIPE_ALLOCATOR_PLACE */
  allocatorPlace: number;
  /** PIPE_DIMENSIONS */
  dimensions: PipeDimensions;
  /** PhysicalRange: the hard range (allocator-pin units) */
  physicalRange: FramingRange;
  /** PrevSegment (first one), or null */
  prevSegment: string | null;
  /** CountNextSegments */
  countNextSegments: number;
  /** NextSegments */
  nextSegments: string[];
  /** InsideFactors (PipeFactor_*) */
  insideFactors: number;
  /** NumberPins */
  numberPins: number;
}

/** The decision for one pipe. */
export interface PipeDecision {
  /** `pipe<n>`. */
  id: string;
  /** `resolved` or `failed`. */
  status: 'resolved' | 'failed';
  /** `user` when an end is a user-mode pin. */
  mode: 'kernel' | 'user';
  /** The pins in pipe order. */
  pins: string[];
  /** The pipe this one copies from (a splitter branch into an in-place modifier), or null. */
  branchOf: string | null;
  /** Pipes feeding this one. */
  prevSegments: string[];
  /** Pipes this one feeds. */
  nextSegments: string[];
  /** Where the requester sits (the source pin: it takes empty frames from the allocator and recycles them). */
  requester: { pin: string; place: AllocatorPlaceName };
  /** The requirement each pin imposed. */
  requirements: PinRequirement[];
  /** The memory types considered, best first. */
  memoryTypes: MemoryTypeCandidate[];
  /** The resolved memory type, or null. */
  memoryType: Guid | null;
  /** Frame size decision. */
  size: SizeDecision;
  /** Frame count decision (with the static frame budget). */
  frames: FramesDecision;
  /** Alignment: the OR of every mask, and the pin with the largest. */
  alignment: { fileAlignment: number; imposedBy: string | null };
  /** The pin that must allocate (REQUIREMENTF_MUST_ALLOCATE), or null. */
  mustAllocate: { pin: string; preference: boolean } | null;
  /** Requirements relaxed into preferences by PREFERENCES_ONLY (or by the input-pin rule) that were not met. */
  relaxed: Rejection[];
  /** Every candidate allocator with its verdict, in priority order. */
  candidates: AllocatorCandidate[];
  /** The selected allocator, or null. */
  allocator: SelectedAllocator | null;
  /** The resolved legacy KSALLOCATOR_FRAMING (the InitializeAllocator argument), or null. */
  framing: AllocatorFraming | null;
  /** ALLOCATOR_PROPERTIES_EX, or null. */
  properties: AllocatorPropertiesEx | null;
  /** PipeFactor_* bits and their names. */
  factors: number;
  /** Names of `factors`. */
  factorNames: string[];
  /** Free-text notes (e.g. why a size was not carried). */
  notes: string[];
  /** The failure, or null. */
  failure: NegotiationFailure | null;
}

/** The result of {@link negotiate}: one decision per pipe, in topological order. */
export interface NegotiationRecord {
  /** AllocatorStrategy_* bits used. */
  strategy: number;
  /** Their names. */
  strategyNames: string[];
  /** Options used. */
  options: { enforceInputPinRanges: boolean; maxFrames: number };
  /** The pipes. */
  pipes: PipeDecision[];
  /** Every failure (empty on success). */
  failures: NegotiationFailure[];
}
