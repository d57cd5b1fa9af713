import { NegotiationError } from '../../errors.js';
import {
  AllocatorFlags,
  GUID_NULL,
  MAX_FILE_ALIGNMENT,
  MemoryType,
  OptionFlags,
  RequirementFlags,
} from '../../framing/constants.js';
import type { Guid } from '../../framing/guid.js';
import {
  compressSize,
  intersectRanges,
  isNeutralCompression,
  NEUTRAL_COMPRESSION,
  rangeContains,
} from '../../framing/range-math.js';
import type { AllocatorFraming, Compression, FramingRange } from '../../framing/types.js';
import { Status } from '../../status.js';
import {
  AllocatorStrategy,
  allocatorStrategyNames,
  PipeAllocatorPlace,
  PipeFactor,
  PipeState,
  pipeFactorNames,
} from './constants.js';
import type { NegotiationDescription } from './description.js';
import { formatFailure } from './format.js';
import { type FramesOutcome, resolveFrames } from './frame-budget.js';
import { buildGraphModel, GraphModel, PinBit, PipeBit, ROLE_NAMES, Role } from './graph-model.js';
import {
  defaultAllocatorProvides,
  isSystemMemoryType,
  logicalMemoryTypeFor,
  memoryTypeSatisfies,
  poolTypeFor,
} from './memory-types.js';
import { buildPipes, pipeId, transformRatio } from './pipes.js';
import type {
  AllocatorCandidate,
  AllocatorPlaceName,
  AllocatorPropertiesEx,
  CarriedSize,
  FrameHolder,
  FramesDecision,
  MemoryTypeCandidate,
  NegotiationFailure,
  NegotiationRecord,
  PinRequirement,
  PipeDecision,
  PipeDimensions,
  PipeTermination,
  Rejection,
  SizeDecision,
  SizePreference,
} from './record.js';
import {
  applyPreferences,
  carriedRange,
  clearSizeChoice,
  FULL_RANGE,
  isFull,
  localSize,
  mapRangeToAllocator,
  narrow,
  SIZE_FLOOR,
  specified,
} from './size.js';

/**
 * The allocator-selection engine: pipes, memory type, frame size, frame count (with the static frame budget),
 * alignment, MUST_ALLOCATE placement, vendor/default allocator choice and the decision record (docs/negotiation.md).
 * Pure and deterministic: the same description gives the same record.
 * @module
 */

const PREFERENCES_ONLY = RequirementFlags.preferencesOnly;
const MUST_ALLOCATE = RequirementFlags.mustAllocate;
const SYSTEM_MEMORY = RequirementFlags.systemMemory;
const FRAME_INTEGRITY = RequirementFlags.frameIntegrity;
const INSIST = AllocatorFlags.insistOnFramesizeRatio;
const INDEPENDENT = AllocatorFlags.independentRanges;
/** The most distinct memory types tried per pipe (plus the KERNEL_NONPAGED fallback). */
const MAX_MEMORY_TYPES = 16;

const copyRange = (r: FramingRange): FramingRange => ({
  minFrameSize: r.minFrameSize,
  maxFrameSize: r.maxFrameSize,
  stepping: r.stepping,
});
const copyCompression = (c: Compression): Compression => ({
  ratioNumerator: c.ratioNumerator,
  ratioDenominator: c.ratioDenominator,
  ratioConstantMargin: c.ratioConstantMargin,
});

/** Shared empty arrays of the record (frozen: records are read-only data, and a shared array must never grow). */
const NO_REJECTIONS = Object.freeze([]) as unknown as Rejection[];
const NO_STRINGS = Object.freeze([]) as unknown as string[];
const NO_REQUIREMENTS = Object.freeze([]) as unknown as PinRequirement[];
const NO_MEMORY_TYPES = Object.freeze([]) as unknown as MemoryTypeCandidate[];
const NO_CANDIDATES = Object.freeze([]) as unknown as AllocatorCandidate[];
const NO_PREFERENCES = Object.freeze([]) as unknown as SizePreference[];
const NO_HOLDERS = Object.freeze([]) as unknown as FrameHolder[];

/**
 * The evaluation of each member of the pipe being resolved under one memory type, by position (module scratch,
 * reused: negotiation is synchronous, and per-member objects would be garbage per attempt). `evItem` is the item's
 * index in the model's item arrays, −1 when the pin has no framing.
 */
const evItem: number[] = [];
/** The index of the item used in its pin's framing (meaningful when evItem is not −1). */
const evIndex: number[] = [];
/** The memory type met the member's item. */
const evMet: boolean[] = [];
/** The item has REQUIREMENTF_PREFERENCES_ONLY. */
const evPrefOnly: boolean[] = [];

interface Attempt {
  ok: boolean;
  failure: Rejection | null;
  requirements: PinRequirement[];
  relaxed: Rejection[];
  size: SizeDecision;
  frames: FramesDecision;
  alignment: { fileAlignment: number; imposedBy: string | null };
  mustAllocate: { pin: string; preference: boolean } | null;
  candidates: AllocatorCandidate[];
  selected: AllocatorCandidate | null;
  factors: number;
  weight: number;
  memoryHardOk: boolean;
  preferencesMet: number;
}

/** Appends to a list created on first use (most lists of a record stay empty; a new list has exactly one entry). */
function append<T>(list: T[] | null, value: T): T[] {
  if (list === null) return [value];
  list.push(value);
  return list;
}

/** The index of the item a pin uses under memory type `mt`: −1 when the pin has no framing, NOT_MET when no item is met. */
function chooseItem(model: GraphModel, pin: number, mt: Guid): number {
  const start = model.pinItemStart[pin]!;
  if (start < 0) return -1;
  const count = model.pinItemCount[pin]!;
  // An exact memory-type match first, then any item the memory type satisfies.
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < count; i++) {
      const type = model.itemMemoryType[start + i]!;
      if (pass === 0 && type !== mt) continue;
      const flags = model.itemFlags[start + i]!;
      const needsSystem = (flags & SYSTEM_MEMORY) !== 0 && (flags & PREFERENCES_ONLY) === 0;
      if (memoryTypeSatisfies(mt, type, needsSystem)) return i;
    }
  }
  return NOT_MET;
}

/** chooseItem's answer when no item is met (item 0 is then used for everything but the memory type). */
const NOT_MET = -2;

/** Fills evItem / evIndex / evMet / evPrefOnly for the `n` members of the pipe at `start` under memory type `mt`. */
function evaluateMembers(model: GraphModel, start: number, n: number, mt: Guid): void {
  for (let k = 0; k < n; k++) {
    const pin = model.memberPin[start + k]!;
    const chosen = chooseItem(model, pin, mt);
    const index = chosen === NOT_MET ? 0 : chosen;
    const item = index < 0 ? -1 : model.pinItemStart[pin]! + index;
    const prefOnly = item >= 0 && (model.itemFlags[item]! & PREFERENCES_ONLY) !== 0;
    if (k < evItem.length) {
      evItem[k] = item;
      evIndex[k] = index;
      evMet[k] = chosen !== NOT_MET;
      evPrefOnly[k] = prefOnly;
    } else {
      evItem.push(item);
      evIndex.push(index);
      evMet.push(chosen !== NOT_MET);
      evPrefOnly.push(prefOnly);
    }
  }
}

/** The one-candidate list rankMemoryTypes answers for a pipe with a single memory type (module scratch). */
const SINGLE_TYPE: MemoryTypeCandidate[] = [
  {
    memoryType: GUID_NULL,
    outcome: 'untried',
    meetsHardRequirements: true,
    preferencesMet: 0,
    weight: 0,
    failure: null,
  },
];

/** The distinct memory types of the pipe being ranked (module scratch: `typeCount` entries are valid). */
const types: Guid[] = [];
let typeCount = 0;

function hasType(type: Guid): boolean {
  for (let i = 0; i < typeCount; i++) if (types[i] === type) return true;
  return false;
}

function addType(type: Guid): void {
  if (typeCount < types.length) types[typeCount] = type;
  else types.push(type);
  typeCount++;
}

function rankMemoryTypes(model: GraphModel, start: number, n: number, user: boolean): MemoryTypeCandidate[] {
  typeCount = 0;
  if (user) addType(MemoryType.user);
  else {
    for (let k = 0; k < n; k++) {
      const pin = model.memberPin[start + k]!;
      const first = model.pinItemStart[pin]!;
      if (first < 0) continue;
      for (let i = first; i < first + model.pinItemCount[pin]!; i++) {
        const type = model.itemMemoryType[i]!;
        // User memory never backs a kernel-mode pipe. At most MAX_MEMORY_TYPES distinct types are considered (the
        // first in pipe order), which keeps a pipe's resolution linear in its pins.
        if (type !== GUID_NULL && type !== MemoryType.user && typeCount < MAX_MEMORY_TYPES && !hasType(type)) {
          addType(type);
        }
      }
    }
    // KERNEL_NONPAGED is the fallback every wildcard item accepts.
    if (!hasType(MemoryType.kernelNonPaged)) addType(MemoryType.kernelNonPaged);
  }
  if (typeCount === 1) {
    // One candidate: nothing to rank; its scores are filled in from the attempt. The module's scratch list: most
    // pipes end up sharing the previous pipe's list, and sharedMemoryTypes copies it otherwise.
    const c = SINGLE_TYPE[0]!;
    c.memoryType = types[0]!;
    c.outcome = 'untried';
    c.meetsHardRequirements = true;
    c.preferencesMet = 0;
    c.weight = 0;
    c.failure = null;
    return SINGLE_TYPE;
  }
  const ranked = types.slice(0, typeCount).map((memoryType, order) => {
    let hardOk = true;
    let prefs = 0;
    let weight = 0;
    evaluateMembers(model, start, n, memoryType);
    for (let k = 0; k < n; k++) {
      const item = evItem[k]!;
      if (item < 0) continue;
      if (evMet[k]) {
        weight += model.itemWeight[item]!;
        if (evPrefOnly[k]) prefs++;
      } else if (!evPrefOnly[k]) hardOk = false;
    }
    return { memoryType, order, hardOk, prefs, weight };
  });
  ranked.sort((a, b) =>
    a.hardOk !== b.hardOk ? (a.hardOk ? -1 : 1) : b.prefs - a.prefs || b.weight - a.weight || a.order - b.order,
  );
  return ranked.map((r) => ({
    memoryType: r.memoryType,
    outcome: 'untried',
    meetsHardRequirements: r.hardOk,
    preferencesMet: r.prefs,
    weight: r.weight,
    failure: null,
  }));
}

/**
 * The size preferences of the attempt being resolved, collected in module scratch lists (`…Count` entries valid):
 * relaxed physical ranges and optimal ranges; joinPreferences copies them into the record's exact-size array.
 */
const prefPhysical: SizePreference[] = [];
const prefOptimal: SizePreference[] = [];
let prefPhysicalCount = 0;
let prefOptimalCount = 0;

/** Writes `value` at `count` in a scratch list and returns the new count. */
function put<T>(list: T[], count: number, value: T): number {
  if (count < list.length) list[count] = value;
  else list.push(value);
  return count + 1;
}

/** The size preferences in the order applied (relaxed physical ranges, the carried size, optimal ranges), exact-size. */
function joinPreferences(carried: SizePreference | null): SizePreference[] {
  const np = prefPhysicalCount;
  const no = prefOptimalCount;
  const n = np + no + (carried === null ? 0 : 1);
  if (n === 0) return NO_PREFERENCES;
  const out = new Array<SizePreference>(n);
  let k = 0;
  for (let i = 0; i < np; i++) out[k++] = prefPhysical[i]!;
  if (carried !== null) out[k++] = carried;
  for (let i = 0; i < no; i++) out[k++] = prefOptimal[i]!;
  return out;
}

/** The ref of the pin of the member in `slot`. */
function refAt(model: GraphModel, slot: number): string {
  return model.pinRef[model.memberPin[slot]!]!;
}

function placeOf(n: number, position: number): AllocatorPlaceName {
  if (position === 0) return 'firstPin';
  if (position === n - 1) return 'lastPin';
  return 'middlePin';
}

/**
 * What the allocator candidates of the attempt being resolved are checked against (module scratch: no closure and
 * no context per attempt). `count` candidates are built so far; `bases[i]` is the size range candidate i offers,
 * or null when it is rejected.
 */
const cx = {
  model: null as GraphModel | null,
  user: false,
  mt: GUID_NULL as Guid,
  mask: 0,
  alignBy: null as string | null,
  hardRange: FULL_RANGE as FramingRange,
  frameCount: 0,
  /** The slot of the member that must allocate (a hard MUST_ALLOCATE), or −1. */
  mustMember: -1,
  count: 0,
  bases: [] as (FramingRange | null)[],
};

/** Adds the default (or user-memory) allocator candidate at the member in slot `slot`. */
function addDefault(candidates: AllocatorCandidate[], slot: number): void {
  const model = cx.model!;
  const ref = model.pinRef[model.memberPin[slot]!]!;
  const kind = cx.user ? 'user' : 'default';
  let rejections: Rejection[] | null = null;
  if (!cx.user && !defaultAllocatorProvides(cx.mt, false)) {
    rejections = append(rejections, {
      rule: 'defaultAllocatorMemory',
      pin: ref,
      field: 'memoryType',
      required: cx.mt,
      offered: [MemoryType.system, MemoryType.kernelPaged, MemoryType.kernelNonPaged],
    });
  }
  if (cx.mask > MAX_FILE_ALIGNMENT) {
    rejections = append(rejections, {
      rule: 'defaultAllocatorAlignment',
      pin: cx.alignBy ?? ref,
      field: 'fileAlignment',
      required: cx.mask,
      offered: MAX_FILE_ALIGNMENT,
    });
  }
  candidates[cx.count] = {
    allocator: kind,
    kind,
    id: null,
    pin: ref,
    outcome: rejections !== null ? 'rejected' : 'eligible',
    rejections: rejections ?? NO_REJECTIONS,
  };
  cx.bases[cx.count++] = rejections !== null ? null : cx.hardRange;
}

/** Adds the vendor allocator candidate of the member in slot `m`, if its pin offers one. */
function addVendor(candidates: AllocatorCandidate[], m: number): void {
  const model = cx.model!;
  const a = model.pinAllocator[model.memberPin[m]!]!;
  if (!a || model.memberRole[m] === Role.copySource) return;
  const ref = model.pinRef[model.memberPin[m]!]!;
  let rejections: Rejection[] | null = null;
  let base: FramingRange | null = null;
  if (cx.user) {
    rejections = append(rejections, {
      rule: 'userModePipe',
      pin: ref,
      field: 'mode',
      required: 'user',
      offered: 'kernel',
    });
  }
  if (cx.mustMember >= 0 && m !== cx.mustMember) {
    const mustRef = model.pinRef[model.memberPin[cx.mustMember]!]!;
    rejections = append(rejections, {
      rule: 'mustAllocate',
      pin: mustRef,
      field: 'allocatorPin',
      required: mustRef,
      offered: ref,
    });
  }
  if (!a.memoryTypes.includes(cx.mt) && !a.memoryTypes.includes(GUID_NULL)) {
    rejections = append(rejections, {
      rule: 'vendorMemoryType',
      pin: ref,
      field: 'memoryType',
      required: cx.mt,
      offered: [...a.memoryTypes],
    });
  }
  const sized = intersectRanges(cx.hardRange, a.sizeRange);
  if (sized === null) {
    rejections = append(rejections, {
      rule: 'vendorFrameSize',
      pin: ref,
      field: 'frameSize',
      required: copyRange(cx.hardRange),
      offered: copyRange(a.sizeRange),
    });
  } else base = sized;
  if (a.fileAlignment < cx.mask) {
    rejections = append(rejections, {
      rule: 'vendorAlignment',
      pin: ref,
      field: 'fileAlignment',
      required: cx.mask,
      offered: a.fileAlignment,
    });
  }
  if (a.maxFrames < cx.frameCount) {
    rejections = append(rejections, {
      rule: 'vendorFrames',
      pin: ref,
      field: 'frames',
      required: cx.frameCount,
      offered: a.maxFrames,
    });
  }
  candidates[cx.count] = {
    allocator: `vendor:${a.id}`,
    kind: 'vendor',
    id: a.id,
    pin: ref,
    outcome: rejections !== null ? 'rejected' : 'eligible',
    rejections: rejections ?? NO_REJECTIONS,
  };
  cx.bases[cx.count++] = rejections !== null ? null : base;
}

/** The failure resolveFrames reports (module scratch). */
const framesOutcome: FramesOutcome = { failure: null };

/** A fresh attempt (the two module scratch attempts below start as this). */
function blankAttempt(): Attempt {
  return {
    ok: false,
    failure: null,
    requirements: NO_REQUIREMENTS,
    relaxed: NO_REJECTIONS,
    size: NO_SIZE,
    frames: NO_FRAMES,
    alignment: NO_ALIGNMENT,
    mustAllocate: null,
    candidates: NO_CANDIDATES,
    selected: null,
    factors: 0,
    weight: 0,
    memoryHardOk: true,
    preferencesMet: 0,
  };
}

/**
 * Negotiates one pipe under one memory type into `out` (one of two module scratch attempts: a pipe keeps its first
 * attempt and at most one later one; the record takes the values, not the attempt).
 */
function attemptPipe(
  model: GraphModel,
  pipe: number,
  mt: Guid,
  user: boolean,
  carried: CarriedSize | null,
  out: Attempt,
): Attempt {
  const start = model.pipeMemberStart[pipe]!;
  const n = model.pipeMemberCount[pipe]!;
  evaluateMembers(model, start, n, mt);
  const requirements = new Array<PinRequirement>(n);
  let relaxed: Rejection[] | null = null;
  let factors = 0;
  let weight = 0;
  let memoryHardOk = true;
  let preferencesMet = 0;
  let failure: Rejection | null = null;

  // --- per-pin requirements, memory type ---
  let hard: FramingRange | null = SIZE_FLOOR;
  prefPhysicalCount = 0;
  prefOptimalCount = 0;
  let integrityPin: string | null = null;
  for (let k = 0; k < n; k++) {
    const pin = model.memberPin[start + k]!;
    const role = model.memberRole[start + k]!;
    const compression = model.memberCompression[start + k]!;
    const ref = model.pinRef[pin]!;
    const item = evItem[k]!;
    const memoryTypeMet = evMet[k]!;
    const preferencesOnly = evPrefOnly[k]!;
    let sizeUse: PinRequirement['sizeUse'] = 'none';
    let sizeUseReason: string | null = null;
    let mappedPhysical: FramingRange | null = null;
    let mappedOptimal: FramingRange | null = null;
    const itemFlags = item < 0 ? 0 : model.itemFlags[item]!;
    if (item >= 0) {
      const itemType = model.itemMemoryType[item]!;
      if (itemType !== GUID_NULL) factors |= PipeFactor.memoryTypes;
      if (memoryTypeMet) {
        weight += model.itemWeight[item]!;
        if (preferencesOnly) preferencesMet++;
      } else if (preferencesOnly) {
        relaxed = append(relaxed, {
          rule: 'memoryType',
          pin: ref,
          field: 'memoryType',
          required: itemType,
          offered: mt,
        });
      } else {
        memoryHardOk = false;
        const needsSystem = (itemFlags & SYSTEM_MEMORY) !== 0;
        failure ??= {
          rule: needsSystem && !isSystemMemoryType(mt) ? 'systemMemory' : 'memoryType',
          pin: ref,
          field: 'memoryType',
          required: model.itemMemoryType.slice(
            model.pinItemStart[pin]!,
            model.pinItemStart[pin]! + model.pinItemCount[pin]!,
          ),
          offered: mt,
        };
      }
      if ((itemFlags & (MUST_ALLOCATE | FRAME_INTEGRITY | PREFERENCES_ONLY)) !== 0) factors |= PipeFactor.flags;
      // Frame integrity: an upstream pin asked that data stay intact; an in-place modifier later breaks it.
      if ((itemFlags & FRAME_INTEGRITY) !== 0 && !preferencesOnly && integrityPin === null) integrityPin = ref;
      const unknown = compression.ratioNumerator === 0;
      mappedPhysical = unknown ? null : mapRangeToAllocator(specified(model.itemPhysical[item]!), compression);
      mappedOptimal = unknown ? null : mapRangeToAllocator(specified(model.itemOptimal[item]!), compression);
      if (unknown) {
        sizeUse = 'preference';
        sizeUseReason = 'unknownCompression';
        factors |= PipeFactor.unknownCompression;
      } else if (preferencesOnly) {
        sizeUse = 'preference';
        sizeUseReason = 'preferencesOnly';
      } else if ((model.pinBits[pin]! & PinBit.input) !== 0 && !model.enforceInputPinRanges) {
        sizeUse = 'preference';
        sizeUseReason = 'inputPin';
      } else sizeUse = 'hard';
      if (sizeUse === 'hard') {
        if (mappedPhysical === null) {
          failure ??= {
            rule: 'physicalRange',
            pin: ref,
            field: 'physicalRange',
            required: copyRange(model.itemPhysical[item]!),
            offered: copyCompression(compression),
          };
        } else if (hard !== null) {
          if (!isFull(mappedPhysical)) factors |= PipeFactor.physicalRanges;
          const next = narrow(hard, mappedPhysical);
          if (next === null) {
            failure ??= {
              rule: 'physicalRange',
              pin: ref,
              field: 'physicalRange',
              required: copyRange(mappedPhysical),
              offered: copyRange(hard),
            };
          }
          hard = next;
        }
      } else if (mappedPhysical !== null && !isFull(mappedPhysical)) {
        prefPhysicalCount = put(prefPhysical, prefPhysicalCount, {
          pin: ref,
          source: 'physicalRange',
          range: mappedPhysical,
          outcome: 'honored',
        });
      }
      if (mappedOptimal !== null && !isFull(mappedOptimal)) {
        prefOptimalCount = put(prefOptimal, prefOptimalCount, {
          pin: ref,
          source: 'optimalRange',
          range: mappedOptimal,
          outcome: 'honored',
        });
      }
    }
    if (
      integrityPin !== null &&
      integrityPin !== ref &&
      (role === Role.inPlaceInput ||
        (role === Role.sink && (model.pinFlagsUnion[pin]! & 1) !== 0 && (model.pinBits[pin]! & PinBit.readOnly) === 0))
    ) {
      failure ??= {
        rule: 'frameIntegrity',
        pin: ref,
        field: 'flags',
        required: `frames left intact (FRAME_INTEGRITY of ${integrityPin})`,
        offered: 'modifies frames in place',
      };
    }
    const mustAllocate =
      item >= 0 && ((itemFlags & MUST_ALLOCATE) !== 0 || (model.itemMemoryFlags[item]! & MUST_ALLOCATE) !== 0);
    const allocator = model.pinAllocator[pin]!;
    const maxFrames = model.pinMaxFrames[pin]!;
    requirements[k] = {
      pin: ref,
      role: ROLE_NAMES[role]!,
      position: k,
      mode: (model.pinBits[pin]! & PinBit.user) !== 0 ? 'user' : 'kernel',
      itemIndex: item < 0 ? null : evIndex[k]!,
      memoryType: item < 0 ? null : model.itemMemoryType[item]!,
      busType: item < 0 ? null : model.itemBusType[item]!,
      flags: itemFlags,
      preferencesOnly,
      mustAllocate,
      memoryTypeMet,
      frames: item < 0 ? 0 : model.itemFrames[item]!,
      fileAlignment: item < 0 ? 0 : model.itemAlignment[item]!,
      physicalRange: item < 0 ? null : model.itemPhysical[item]!,
      physicalRangeAtAllocator: mappedPhysical,
      optimalRangeAtAllocator: mappedOptimal,
      sizeUse,
      sizeUseReason,
      compression: compression,
      holds: role === Role.copySource ? 0 : model.pinQueue[pin]! + model.pinTrail[pin]! + model.pinClones[pin]!,
      maxFrames: maxFrames === 0 ? null : maxFrames,
      vendorAllocator: allocator ? allocator.id : null,
    };
  }

  // --- carried size (INSIST_ON_FRAMESIZE_RATIO makes it exact; else a preference) ---
  let carriedPref: SizePreference | null = null;
  if (carried) {
    if (!isNeutralCompression(carried.compression)) factors |= PipeFactor.fixedCompression;
    if (carried.insist) {
      const exact = { minFrameSize: carried.size, maxFrameSize: carried.size, stepping: 1 };
      const next = hard ? intersectRanges(hard, exact) : null;
      if (hard !== null && next === null) {
        failure ??= {
          rule: 'compressionRatio',
          pin: carried.pin,
          field: 'frameSize',
          required: carried.size,
          offered: copyRange(hard),
        };
      }
      hard = next;
    } else {
      carriedPref = { pin: carried.pin, source: 'carriedSize', range: carriedRange(carried.size), outcome: 'honored' };
    }
  }
  const strategy = model.strategy;
  const plannedPrefs = joinPreferences(carriedPref);
  const pick =
    (strategy & AllocatorStrategy.minimizeFrameSize) === 0 && (strategy & AllocatorStrategy.maximizeSpeed) !== 0
      ? 'maximize'
      : 'minimize';
  if (prefOptimalCount > 0) factors |= PipeFactor.optimalRanges;

  // --- frames and the static frame budget ---
  const frames = resolveFrames(model, start, n, evItem, strategy, model.maxFrames, framesOutcome);
  if (framesOutcome.failure) failure ??= framesOutcome.failure;
  if ((frames.frames ?? frames.required) > 1 || frames.held > 0) factors |= PipeFactor.buffers;

  // --- alignment: the OR of the masks ---
  let mask = 0;
  let alignBy: string | null = null;
  for (let k = 0; k < n; k++) {
    const item = evItem[k]!;
    if (item >= 0 && (model.itemAlignment[item]! | mask) !== mask) {
      mask = (mask | model.itemAlignment[item]!) >>> 0;
      alignBy = model.pinRef[model.memberPin[start + k]!]!;
    }
  }
  if (mask > 0) factors |= PipeFactor.align;

  // --- MUST_ALLOCATE placement ---
  // Slots of the members with a hard / a preferred MUST_ALLOCATE (lists created on first use: most pipes have none).
  let mustHard: number[] | null = null;
  let mustPref: number[] | null = null;
  for (let i = 0; i < n; i++) {
    const r = requirements[i]!;
    if (!r.mustAllocate) continue;
    if (r.preferencesOnly) mustPref = append(mustPref, start + i);
    else mustHard = append(mustHard, start + i);
  }
  if (mustHard !== null && mustHard.length > 1) {
    failure ??= {
      rule: 'mustAllocate',
      pin: refAt(model, mustHard[1]!),
      field: 'mustAllocate',
      required: 'allocates every frame it sends',
      offered: `the allocator of ${refAt(model, mustHard[0]!)}`,
    };
  }
  const mustMember = mustHard?.[0] ?? mustPref?.[0] ?? -1;
  const mustAllocate = mustMember >= 0 ? { pin: refAt(model, mustMember), preference: mustHard === null } : null;
  if (mustPref !== null) {
    for (let i = 0; i < mustPref.length; i++) {
      const m = mustPref[i]!;
      if (m === mustMember) continue;
      relaxed = append(relaxed, {
        rule: 'mustAllocate',
        pin: refAt(model, m),
        field: 'mustAllocate',
        required: 'allocates every frame it sends',
        offered: `the allocator of ${refAt(model, mustMember)}`,
      });
    }
  }

  const sizeDecision: SizeDecision = {
    hardRange: hard,
    carried,
    preferences: NO_PREFERENCES,
    finalRange: null,
    pick,
    frameSize: null,
  };
  const common = out;
  common.ok = false;
  common.failure = null;
  common.candidates = NO_CANDIDATES;
  common.selected = null;
  common.requirements = requirements;
  common.relaxed = relaxed ?? NO_REJECTIONS;
  common.size = sizeDecision;
  common.frames = frames;
  common.alignment = { fileAlignment: mask, imposedBy: alignBy };
  common.mustAllocate = mustAllocate;
  common.factors = factors;
  common.weight = weight;
  common.memoryHardOk = memoryHardOk;
  common.preferencesMet = preferencesMet;
  if (failure !== null || hard === null || frames.frames === null) {
    common.failure = failure;
    return common;
  }
  const hardRange: FramingRange = hard;
  const frameCount: number = frames.frames;

  // --- allocator candidates, in priority order ---
  // With a MUST_ALLOCATE pin: its vendor allocator, then the default allocator at that pin, then (only when the
  // placement is a preference) the other pins' vendor allocators. Otherwise: vendor allocators in pipe order, then
  // the default allocator at the first pin. On a user-mode pipe every vendor allocator is rejected.
  cx.model = model;
  cx.user = user;
  cx.mt = mt;
  cx.mask = mask;
  cx.alignBy = alignBy;
  cx.hardRange = hardRange;
  cx.frameCount = frameCount;
  cx.mustMember = mustHard === null ? -1 : mustMember;
  cx.count = 0;
  let vendors = 0;
  for (let k = start; k < start + n; k++) {
    if (model.pinAllocator[model.memberPin[k]!] !== null && model.memberRole[k] !== Role.copySource) vendors++;
  }
  const candidates = new Array<AllocatorCandidate>(vendors + 1);
  const bases = cx.bases;
  if (mustMember >= 0) {
    addVendor(candidates, mustMember);
    addDefault(candidates, mustMember);
    for (let k = start; k < start + n; k++) if (k !== mustMember) addVendor(candidates, k);
  } else {
    for (let k = start; k < start + n; k++) addVendor(candidates, k);
    // Kernel pipe: the default allocator at the first pin. User-mode pipe: the user-memory allocator belongs to the
    // application end, so it sits at the first user-mode pin.
    let at = start;
    if (user) {
      for (let k = start; k < start + n; k++) {
        if ((model.pinBits[model.memberPin[k]!]! & PinBit.user) !== 0) {
          at = k;
          break;
        }
      }
    }
    addDefault(candidates, at);
  }
  let selectedIndex = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (candidates[i]!.outcome === 'eligible') {
      selectedIndex = i;
      break;
    }
  }
  if (selectedIndex < 0) {
    let best = candidates[0]!;
    for (const c of candidates) {
      const r = c.rejections[0];
      if (r && r.rule !== 'userModePipe' && r.rule !== 'mustAllocate') {
        best = c;
        break;
      }
    }
    const r =
      best.rejections.find((x) => x.rule !== 'userModePipe' && x.rule !== 'mustAllocate') ?? best.rejections[0]!;
    common.failure = r;
    common.candidates = candidates;
    return common;
  }
  const selected = candidates[selectedIndex]!;
  selected.outcome = 'selected';
  const choice = applyPreferences(bases[selectedIndex]!, plannedPrefs, pick);
  const chosenSize = choice.size;
  const chosenPrefs = choice.prefs;
  sizeDecision.preferences = chosenPrefs;
  sizeDecision.finalRange = choice.range;
  sizeDecision.frameSize = chosenSize;
  for (let k = 0; k < chosenPrefs.length; k++) {
    const p = chosenPrefs[k]!;
    if (p.outcome === 'relaxed' && p.source === 'physicalRange') {
      relaxed = append(relaxed, {
        rule: 'physicalRange',
        pin: p.pin,
        field: 'physicalRange',
        required: p.range,
        offered: chosenSize,
      });
    }
  }
  if (relaxed !== null) common.relaxed = relaxed;

  // --- verification: every hard constraint holds at every pin ---
  for (let i = 0; i < n; i++) {
    const r = requirements[i]!;
    if (r.sizeUse !== 'hard' || r.physicalRange === null) continue;
    const local = localSize(chosenSize, r.compression);
    const phys = specified(r.physicalRange);
    const inside = isNeutralCompression(r.compression)
      ? rangeContains(phys, local)
      : local >= phys.minFrameSize && local <= phys.maxFrameSize;
    if (!inside) {
      common.failure = {
        rule: 'verification',
        pin: r.pin,
        field: 'physicalRange',
        required: r.physicalRange,
        offered: local,
      };
      common.candidates = candidates;
      return common;
    }
  }
  common.ok = true;
  common.candidates = candidates;
  common.selected = selected;
  return common;
}

const factorNameCache = new Map<number, readonly string[]>();

/** The names of PipeFactor bits; the arrays are cached and frozen (records are read-only data). */
function factorNames(factors: number): string[] {
  let names = factorNameCache.get(factors);
  if (names === undefined) {
    names = Object.freeze(pipeFactorNames(factors));
    factorNameCache.set(factors, names);
  }
  return names as string[];
}

// Placeholders of a fresh decision; every decision replaces them with the result of its first attempt.
const NO_SIZE: SizeDecision = Object.freeze({
  hardRange: null,
  carried: null,
  preferences: NO_PREFERENCES,
  finalRange: null,
  pick: 'minimize',
  frameSize: null,
}) as SizeDecision;
const NO_ALIGNMENT = Object.freeze({ fileAlignment: 0, imposedBy: null });
/** The frame decision of a pipe not resolved (frozen): nobody asked, nothing held, no count. */
function noFramesDecision(limit: number): FramesDecision {
  return Object.freeze({
    required: 1,
    imposedBy: null,
    strategyExtra: 0,
    holders: NO_HOLDERS,
    held: 0,
    budgetRaise: 0,
    frames: null,
    limit,
    limitedBy: null,
  }) as FramesDecision;
}
/** The frames placeholder of the scratch attempts (every attempt replaces it). */
const NO_FRAMES = noFramesDecision(0);
/**
 * A pipe's first attempt and its later ones (module scratch, replaced by blank ones at the end of each negotiation so
 * that they keep no record or model alive).
 */
let firstAttempt = blankAttempt();
let laterAttempt = blankAttempt();

/** The ids of the pipes feeding `pipe` (exact-size; the shared empty array for none). */
function prevIds(model: GraphModel, pipe: number): string[] {
  const n = model.pipePrevCount[pipe]!;
  if (n === 0) return NO_STRINGS;
  const start = model.pipePrevStart[pipe]!;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = pipeId(model.edgePipe[start + i]!);
  return out;
}

/** The ids of the pipes `pipe` feeds (exact-size; the shared empty array for none). */
function nextIds(model: GraphModel, pipe: number): string[] {
  const n = model.pipeNextCount[pipe]!;
  if (n === 0) return NO_STRINGS;
  const out = new Array<string>(n);
  let i = 0;
  for (let e = model.pipeNextHead[pipe]!; e >= 0; e = model.edgeNext[e]!) out[i++] = pipeId(model.edgeOwner[e]!);
  return out;
}

function emptyDecision(model: GraphModel, pipe: number, mode: 'kernel' | 'user', frames: FramesDecision): PipeDecision {
  const start = model.pipeMemberStart[pipe]!;
  const n = model.pipeMemberCount[pipe]!;
  const pins = new Array<string>(n);
  for (let i = 0; i < n; i++) pins[i] = model.pinRef[model.memberPin[start + i]!]!;
  const branchOf = model.pipeBranchOf[pipe]!;
  return {
    id: pipeId(pipe),
    status: 'failed',
    mode,
    pins,
    branchOf: branchOf >= 0 ? pipeId(branchOf) : null,
    prevSegments: prevIds(model, pipe),
    nextSegments: nextIds(model, pipe),
    requester: { pin: pins[0]!, place: 'firstPin' },
    requirements: NO_REQUIREMENTS,
    memoryTypes: NO_MEMORY_TYPES,
    memoryType: null,
    size: NO_SIZE,
    frames,
    alignment: NO_ALIGNMENT,
    mustAllocate: null,
    relaxed: NO_REJECTIONS,
    candidates: NO_CANDIDATES,
    allocator: null,
    framing: null,
    properties: null,
    factors: 0,
    factorNames: NO_STRINGS,
    notes: NO_STRINGS,
    failure: null,
  };
}

/** Adds a note to a decision (its notes array is created on the first note). */
function addNote(decision: PipeDecision, note: string): void {
  if (decision.notes === NO_STRINGS) decision.notes = [note];
  else decision.notes.push(note);
}

/**
 * Record objects of one negotiation kept for sharing: a value equal to one already built (most pipes of a graph
 * resolve to the same framing, memory-type verdict, pipe ends and dimensions) is the same object, not a copy. The
 * record stays plain JSON (sharing is invisible to JSON) and is read-only data.
 */
interface Shared {
  memoryTypes: MemoryTypeCandidate[] | null;
  framing: AllocatorFraming | null;
  input: PipeTermination | null;
  output: PipeTermination | null;
  dimensions: PipeDimensions | null;
}

function sameTermination(
  t: PipeTermination | null,
  flags: number,
  outside: number,
  weight: number,
  physicalRange: FramingRange,
  optimalRange: FramingRange,
  compression: Compression,
): t is PipeTermination {
  return (
    t !== null &&
    t.flags === flags &&
    t.outsideFactors === outside &&
    t.weight === weight &&
    sameRange(t.physicalRange, physicalRange) &&
    sameRange(t.optimalRange, optimalRange) &&
    sameCompression(t.compression, compression)
  );
}

const sameRange = (a: FramingRange, b: FramingRange): boolean =>
  a === b || (a.minFrameSize === b.minFrameSize && a.maxFrameSize === b.maxFrameSize && a.stepping === b.stepping);

const sameCompression = (a: Compression, b: Compression): boolean =>
  a === b ||
  (a.ratioNumerator === b.ratioNumerator &&
    a.ratioDenominator === b.ratioDenominator &&
    a.ratioConstantMargin === b.ratioConstantMargin);

function termination(
  model: GraphModel,
  req: PinRequirement | undefined,
  pin: number,
  outside: number,
  shared: Shared,
): PipeTermination {
  const item = req && pin >= 0 && req.itemIndex !== null ? model.pinItemStart[pin]! + req.itemIndex : -1;
  const flags = item < 0 ? 0 : model.itemFlags[item]!;
  const weight = item < 0 ? 0 : model.itemWeight[item]!;
  const physicalRange = item < 0 ? FULL_RANGE : model.itemPhysical[item]!;
  const optimalRange = item < 0 ? FULL_RANGE : model.itemOptimal[item]!;
  const compression = req ? req.compression : NEUTRAL_COMPRESSION;
  const { input, output } = shared;
  if (sameTermination(input, flags, outside, weight, physicalRange, optimalRange, compression)) return input;
  if (sameTermination(output, flags, outside, weight, physicalRange, optimalRange, compression)) return output;
  return { flags, outsideFactors: outside, weight, physicalRange, optimalRange, compression };
}

function dimensionsOf(
  allocatorPin: Compression,
  maxExpansionPin: Compression,
  endPin: Compression,
  shared: Shared,
): PipeDimensions {
  const d = shared.dimensions;
  if (
    d !== null &&
    sameCompression(d.allocatorPin, allocatorPin) &&
    sameCompression(d.maxExpansionPin, maxExpansionPin) &&
    sameCompression(d.endPin, endPin)
  ) {
    return d;
  }
  shared.dimensions = { allocatorPin, maxExpansionPin, endPin };
  return shared.dimensions;
}

function framingOf(
  optionsFlags: number,
  poolType: number,
  frames: number,
  frameSize: number,
  fileAlignment: number,
  shared: Shared,
): AllocatorFraming {
  const f = shared.framing;
  if (
    f !== null &&
    f.optionsFlags === optionsFlags &&
    f.poolType === poolType &&
    f.frames === frames &&
    f.frameSize === frameSize &&
    f.fileAlignment === fileAlignment
  ) {
    return f;
  }
  shared.framing = { optionsFlags, poolType, frames, frameSize, fileAlignment, reserved: 0 };
  return shared.framing;
}

const copyCandidate = (c: MemoryTypeCandidate): MemoryTypeCandidate => ({
  memoryType: c.memoryType,
  outcome: c.outcome,
  meetsHardRequirements: c.meetsHardRequirements,
  preferencesMet: c.preferencesMet,
  weight: c.weight,
  failure: c.failure,
});

/**
 * The memory-type verdicts of a pipe, shared with the previous pipe's when equal (one candidate, no failure); the
 * scratch list of one candidate is never returned (it is copied when not shared).
 */
function sharedMemoryTypes(list: MemoryTypeCandidate[], shared: Shared): MemoryTypeCandidate[] {
  if (list !== SINGLE_TYPE) return list;
  const c = list[0]!;
  if (c.failure !== null) return [copyCandidate(c)];
  const prev = shared.memoryTypes?.[0];
  if (
    prev !== undefined &&
    prev.memoryType === c.memoryType &&
    prev.outcome === c.outcome &&
    prev.meetsHardRequirements === c.meetsHardRequirements &&
    prev.preferencesMet === c.preferencesMet &&
    prev.weight === c.weight
  ) {
    return shared.memoryTypes!;
  }
  shared.memoryTypes = [copyCandidate(c)];
  return shared.memoryTypes;
}

function expansionOf(c: Compression): number {
  return c.ratioNumerator === 0 ? 1 : c.ratioNumerator / c.ratioDenominator;
}

/** Computes the size carried into `pipe` from the pipes feeding it (null when nothing is carried). */
function carriedInto(
  model: GraphModel,
  pipe: number,
  decisions: readonly PipeDecision[],
  decision: PipeDecision,
): CarriedSize | null {
  const out = model.memberPin[model.pipeMemberStart[pipe]!]!;
  const branchOf = model.pipeBranchOf[pipe]!;
  if (branchOf >= 0) {
    const parent = decisions[branchOf];
    const size = parent?.size.frameSize ?? null;
    if (size === null) {
      addNote(decision, `no size carried: ${pipeId(branchOf)} is not resolved`);
      return null;
    }
    return {
      pin: model.pinRef[out]!,
      fromPipe: pipeId(branchOf),
      compression: NEUTRAL_COMPRESSION,
      size,
      insist: false,
    };
  }
  let best: CarriedSize | null = null;
  const filter = model.pinFilter[out]!;
  const first = model.filterPinStart[filter]!;
  const end = first + model.filterPinCount[filter]!;
  const outFlags = model.pinFlagsUnion[out]!;
  for (let input = first; input < end; input++) {
    if ((model.pinBits[input]! & PinBit.input) === 0) continue;
    const atPipe = model.pinMemberPipe[input]!;
    if (atPipe < 0) continue;
    const atCompression = model.memberCompression[model.pipeMemberStart[atPipe]! + model.pinMemberPos[input]!]!;
    const inFlags = model.pinFlagsUnion[input]!;
    if (((inFlags | outFlags) & INDEPENDENT) !== 0) {
      addNote(decision, `no size carried from ${pipeId(atPipe)}: INDEPENDENT_RANGES`);
      continue;
    }
    const fed = decisions[atPipe]?.size.frameSize ?? null;
    if (fed === null) {
      addNote(decision, `no size carried from ${pipeId(atPipe)}: it is not resolved`);
      continue;
    }
    const ratio = transformRatio(model, input, out);
    if (ratio.ratioNumerator === 0 || atCompression.ratioNumerator === 0) {
      addNote(decision, `no size carried from ${pipeId(atPipe)}: unknown compression`);
      continue;
    }
    const size = compressSize(localSize(fed, atCompression), ratio, 'up');
    const insistFlags = (outFlags | inFlags) & INSIST;
    const items = model.pinItemStart[out]!;
    let prefOnly = items >= 0;
    for (let i = items; i >= 0 && i < items + model.pinItemCount[out]!; i++) {
      if ((model.itemFlags[i]! & PREFERENCES_ONLY) === 0) prefOnly = false;
    }
    const carried: CarriedSize = {
      pin: model.pinRef[out]!,
      fromPipe: pipeId(atPipe),
      compression: ratio,
      size,
      insist: insistFlags !== 0 && !prefOnly,
    };
    if (best === null || size > best.size) best = carried;
  }
  return best;
}

/** Drops the module scratch's references (it keeps nothing of a negotiation alive: the model, the description). */
function clearScratch(): void {
  prefPhysical.length = 0;
  prefOptimal.length = 0;
  cx.bases.length = 0;
  cx.model = null;
  cx.mustMember = -1;
  cx.hardRange = FULL_RANGE;
  cx.alignBy = null;
  SINGLE_TYPE[0]!.failure = null;
  firstAttempt = blankAttempt();
  laterAttempt = blankAttempt();
  clearSizeChoice();
}

/**
 * Negotiates allocators for every pipe of a described graph (spec §7, docs/negotiation.md).
 *
 * @param description - the graph (validated: bad input throws TypeError / RangeError naming its path)
 * @returns the decision record (plain JSON)
 * @throws NegotiationError carrying the full record when a pipe cannot be resolved; its message names the pin, the
 *   field, the required and the offered values
 *
 * @example
 * ```ts
 * const record = negotiate({ filters, connections });
 * record.pipes[0].framing; // → { optionsFlags, poolType, frames, frameSize, fileAlignment, reserved }
 * console.log(formatDecisionRecord(record));
 * ```
 */
export function negotiate(description: NegotiationDescription): NegotiationRecord {
  const model = buildGraphModel(description);
  try {
    buildPipes(model);
    return resolvePipes(model);
  } finally {
    GraphModel.release(model);
    clearScratch();
  }
}

/** Resolves every pipe of the model: the record, or a NegotiationError carrying it. */
function resolvePipes(model: GraphModel): NegotiationRecord {
  const pipeCount = model.pipeCount;
  const decisions = new Array<PipeDecision>(pipeCount);
  const failures: NegotiationFailure[] = [];
  const shared: Shared = { memoryTypes: null, framing: null, input: null, output: null, dimensions: null };
  const noFrames = noFramesDecision(model.maxFrames);
  for (let pipe = 0; pipe < pipeCount; pipe++) {
    const pipeBits = model.pipeBits[pipe]!;
    const start = model.pipeMemberStart[pipe]!;
    const n = model.pipeMemberCount[pipe]!;
    const userUpstream = (pipeBits & PipeBit.userUpstream) !== 0;
    const userDownstream = (pipeBits & PipeBit.userDownstream) !== 0;
    const user = userUpstream || userDownstream;
    const decision = emptyDecision(model, pipe, user ? 'user' : 'kernel', noFrames);
    decisions[pipe] = decision;
    const carried = carriedInto(model, pipe, decisions, decision);
    const memoryTypes = rankMemoryTypes(model, start, n, user);
    decision.memoryTypes = memoryTypes;
    let chosen: Attempt | null = null;
    let first: Attempt | null = null;
    for (let ci = 0; ci < memoryTypes.length; ci++) {
      const candidate = memoryTypes[ci]!;
      const attempt = attemptPipe(
        model,
        pipe,
        candidate.memoryType,
        user,
        carried,
        first === null ? firstAttempt : laterAttempt,
      );
      first ??= attempt;
      if (memoryTypes.length === 1) {
        candidate.meetsHardRequirements = attempt.memoryHardOk;
        candidate.preferencesMet = attempt.preferencesMet;
        candidate.weight = attempt.weight;
      }
      if (attempt.ok) {
        candidate.outcome = 'chosen';
        chosen = attempt;
        decision.memoryType = candidate.memoryType;
        break;
      }
      candidate.outcome = 'rejected';
      candidate.failure = attempt.failure;
    }
    decision.memoryTypes = sharedMemoryTypes(memoryTypes, shared);
    const used = chosen ?? first!;
    decision.requirements = used.requirements;
    decision.relaxed = used.relaxed;
    decision.size = used.size;
    decision.frames = used.frames;
    decision.alignment = used.alignment;
    decision.mustAllocate = used.mustAllocate;
    decision.candidates = used.candidates;
    let factors = used.factors;
    if (userUpstream) factors |= PipeFactor.userModeUpstream;
    if (userDownstream) factors |= PipeFactor.userModeDownstream | PipeFactor.logicalEnd;
    for (let k = start; k < start + n; k++) {
      const role = model.memberRole[k]!;
      if (role === Role.end || role === Role.sink) {
        factors |= PipeFactor.physicalEnd;
        break;
      }
    }
    if ((pipeBits & PipeBit.unknownCompression) !== 0) factors |= PipeFactor.unknownCompression;
    for (let k = start; k < start + n; k++) {
      if (!isNeutralCompression(model.memberCompression[k]!)) {
        factors |= PipeFactor.fixedCompression;
        break;
      }
    }
    decision.factors = factors;
    decision.factorNames = factorNames(factors);
    if (!chosen) {
      const r = used.failure!;
      const failure: NegotiationFailure = {
        pipe: pipeId(pipe),
        rule: r.rule,
        pin: r.pin,
        field: r.field,
        required: r.required,
        offered: r.offered,
        holders: r.rule === 'frameBudget' ? used.frames.holders : null,
      };
      decision.failure = failure;
      failures.push(failure);
      continue;
    }
    const selected = chosen.selected!;
    let allocPos = -1;
    for (let k = 0; k < n; k++) {
      if (model.pinRef[model.memberPin[start + k]!] === selected.pin) {
        allocPos = k;
        break;
      }
    }
    const place = placeOf(n, allocPos);
    const mt = decision.memoryType!;
    decision.status = 'resolved';
    decision.allocator = {
      kind: selected.kind,
      id: selected.id,
      pin: selected.pin,
      place,
      mode: user ? 'user' : 'kernel',
    };
    const framing = framingOf(
      isSystemMemoryType(mt) ? OptionFlags.systemMemory : 0,
      poolTypeFor(mt),
      chosen.frames.frames!,
      chosen.size.frameSize!,
      chosen.alignment.fileAlignment,
      shared,
    );
    decision.framing = framing;
    let pipeFlags = AllocatorFlags.allocatorExists;
    if ((pipeBits & PipeBit.modifies) !== 0) pipeFlags |= AllocatorFlags.noFrameIntegrity;
    if ((pipeBits & PipeBit.multipleOutput) !== 0) pipeFlags |= AllocatorFlags.multipleOutput;
    if (carried === null) pipeFlags |= AllocatorFlags.independentRanges;
    const reqs = chosen.requirements;
    let endIndex = 1;
    for (let k = 0; k < reqs.length; k++) {
      const role = reqs[k]!.role;
      if (role === 'end' || role === 'sink' || role === 'userModeEnd') {
        endIndex = Math.max(1, k);
        break;
      }
    }
    let maxExpansion = NEUTRAL_COMPRESSION as Compression;
    for (let k = 0; k < reqs.length; k++) {
      const c = reqs[k]!.compression;
      if (expansionOf(c) > expansionOf(maxExpansion)) maxExpansion = c;
    }
    let busType: Guid = GUID_NULL;
    for (let k = 0; k < reqs.length; k++) {
      const r = reqs[k]!;
      if (r.busType !== null && r.busType !== GUID_NULL) {
        busType = r.busType;
        break;
      }
    }
    const input = termination(
      model,
      reqs[0],
      n > 0 ? model.memberPin[start]! : -1,
      userUpstream ? PipeFactor.userModeUpstream : 0,
      shared,
    );
    const output = termination(
      model,
      reqs[endIndex],
      endIndex < n ? model.memberPin[start + endIndex]! : -1,
      userDownstream ? PipeFactor.userModeDownstream : 0,
      shared,
    );
    shared.input = input;
    shared.output = output;
    const properties: AllocatorPropertiesEx = {
      buffers: framing.frames,
      bufferSize: framing.frameSize,
      align: framing.fileAlignment + 1,
      prefix: 0,
      memoryType: mt,
      busType,
      state: (pipeBits & PipeBit.unknownCompression) !== 0 ? PipeState.compressionUnknown : PipeState.finalized,
      input,
      output,
      strategy: model.strategy,
      flags: pipeFlags,
      weight: chosen.weight,
      logicalMemoryType: logicalMemoryTypeFor(mt),
      allocatorPlace: PipeAllocatorPlace[place],
      dimensions: dimensionsOf(
        reqs[allocPos]?.compression ?? NEUTRAL_COMPRESSION,
        maxExpansion,
        reqs[endIndex]?.compression ?? NEUTRAL_COMPRESSION,
        shared,
      ),
      physicalRange: chosen.size.hardRange!,
      prevSegment: model.pipePrevCount[pipe]! > 0 ? pipeId(model.edgePipe[model.pipePrevStart[pipe]!]!) : null,
      countNextSegments: model.pipeNextCount[pipe]!,
      // The same ids as the decision's nextSegments: the same (read-only) array.
      nextSegments: decision.nextSegments,
      insideFactors: factors,
      numberPins: n,
    };
    decision.properties = properties;
  }
  const record: NegotiationRecord = {
    strategy: model.strategy,
    strategyNames: allocatorStrategyNames(model.strategy),
    options: { enforceInputPinRanges: model.enforceInputPinRanges, maxFrames: model.maxFrames },
    pipes: decisions,
    failures,
  };
  if (failures.length > 0) {
    const f = failures[0]!;
    const status = f.rule === 'frameBudget' || f.rule === 'frames' ? Status.insufficientResources : Status.noMatch;
    throw new NegotiationError(formatFailure(f), record, f, status);
  }
  return record;
}
