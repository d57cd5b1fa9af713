import { argumentError } from '../../errors.js';
import { FRAMING_ITEM_FLAGS_MASK, GUID_NULL, RequirementFlags } from '../../framing/constants.js';
import {
  COMPRESSION_FIELDS,
  FRAMING_EX_FIELDS,
  FRAMING_ITEM_FIELDS,
  FRAMING_RANGE_FIELDS,
  FRAMING_RANGE_WEIGHTED_FIELDS,
} from '../../framing/field-names.js';
import { type Guid, isGuid, normalizeGuid } from '../../framing/guid.js';
import { isAlignmentMask, isNeutralCompression, NEUTRAL_COMPRESSION } from '../../framing/range-math.js';
import type {
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
  FramingRangeWeighted,
} from '../../framing/types.js';
import { IdTable } from './id-table.js';
import type { PipePinRole } from './pipes.js';

/**
 * Validation of a `NegotiationDescription` and its linking into the internal graph model (pins with their
 * filter, counterpart and peers). Bad input throws TypeError / RangeError naming the path of the offending value,
 * e.g. `description.filters[2].pins[0].allocatorFraming.items[0].fileAlignment`. The happy path builds no path
 * strings: the path is kept as a stack of segments and only rendered for an error.
 * @module
 */

/** @internal A validated vendor allocator. */
export interface VendorAllocator {
  readonly id: string;
  readonly memoryTypes: readonly Guid[];
  readonly sizeRange: FramingRange;
  readonly fileAlignment: number;
  readonly maxFrames: number;
}

/** Pin bits (`GraphModel.pinBits`). @internal */
export const PinBit = Object.freeze({ input: 1, user: 2, readOnly: 4, splitter: 8, sink: 16 });

/** Member roles (`GraphModel.memberRole`): indices into {@link ROLE_NAMES}. @internal */
export const Role = Object.freeze({
  source: 0,
  copySource: 1,
  inPlaceInput: 2,
  inPlaceOutput: 3,
  readOnlyInput: 4,
  end: 5,
  sink: 6,
  userModeEnd: 7,
});

/** The record's name of each role code. @internal */
export const ROLE_NAMES: readonly PipePinRole[] = Object.freeze([
  'source',
  'copySource',
  'inPlaceInput',
  'inPlaceOutput',
  'readOnlyInput',
  'end',
  'sink',
  'userModeEnd',
]);

/** Pipe bits (`GraphModel.pipeBits`). @internal */
export const PipeBit = Object.freeze({
  userUpstream: 1,
  userDownstream: 2,
  modifies: 4,
  multipleOutput: 8,
  unknownCompression: 16,
});

const grow32 = (a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> => {
  if (a.length >= need) return a;
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
};
const grow8 = (a: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> => {
  if (a.length >= need) return a;
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
};
const growU32 = (a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> => {
  if (a.length >= need) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
};

/**
 * Appends `entry` to the list of `owner`: lists of entries chained by `next`, with a head, a tail and a count per
 * owner (−1: none). @internal
 */
export function appendEntry(
  head: Int32Array,
  tail: Int32Array,
  count: Int32Array,
  next: Int32Array,
  owner: number,
  entry: number,
): void {
  next[entry] = -1;
  const last = tail[owner]!;
  if (last < 0) head[owner] = entry;
  else next[last] = entry;
  tail[owner] = entry;
  count[owner]!++;
}

/** Pads `list` with `value` to at least `n` entries (a kept array then takes stores at any index below `n`). */
function pad<T>(list: T[], n: number, value: T): void {
  while (list.length < n) list.push(value);
}

/** The placeholder ratio of cleared compression slots (the neutral ratio, never part of a record through them). */
const NO_COMPRESSION: Compression = NEUTRAL_COMPRESSION;
/** The placeholder range of cleared range slots. */
const NO_RANGE: FramingRange = Object.freeze({ minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 });

/** The largest model whose arrays are kept for the next negotiation (pins, members, filters, connections). */
const MAX_KEPT = 1 << 16;

/**
 * @internal The validated graph and its pipes as a struct of arrays: filters, pins, connections, pipes and pipe
 * members are indices, their fields typed arrays (numbers, flags, links) and a few plain arrays (strings, framings,
 * ratios). A negotiation of 10 000 filters would otherwise allocate ≈ 12 MB of model objects on the JS heap, all live
 * until it returns, which the young generation copies when it collects (docs/performance.md, "Negotiation"). One model
 * is kept between negotiations ({@link GraphModel.acquire} / {@link GraphModel.release}: its arrays grow on demand
 * and are reused); a negotiation started while it is in use (from a getter of a description being validated) gets a
 * model of its own.
 *
 * Pins of a filter are contiguous (`filterPinStart`, in description order); the peers of a pin are a list of
 * connections (`pinPeerHead` → `connNext`, in connection order); the members of a pipe are contiguous slots
 * (`pipeMemberStart`, in pipe order) after {@link GraphModel.sortMembers}.
 */
export class GraphModel {
  strategy = 0;
  enforceInputPinRanges = false;
  maxFrames = 0;

  filterCount = 0;
  readonly filterId: string[] = [];
  filterPinStart = new Int32Array(16);
  filterPinCount = new Int32Array(16);
  filterInputCount = new Int32Array(16);
  /** Pins by id of the filters with many pins (filter index → map), built on demand. */
  pinMaps: Map<number, Map<string, number>> | null = null;
  /** The filter of the last reference resolved, or −1 (descriptions usually list connections in filter order). */
  lastFilter = -1;

  pinCount = 0;
  /** The pin id (unique within its filter). */
  readonly pinId: string[] = [];
  /**
   * `"filterId.pinId"`: the string of the first connection naming the pin (no new string), or built once the
   * connections are linked for a pin no connection names ('' until then).
   */
  readonly pinRef: string[] = [];
  readonly pinAllocator: (VendorAllocator | null)[] = [];
  /** The declared counterpart id (resolved after all pins of the filter exist). */
  readonly pinCounterpartId: (string | null)[] = [];
  pinFilter = new Int32Array(16);
  /** PIN_* bits. */
  pinBits = new Uint8Array(16);
  pinQueue = new Int32Array(16);
  pinTrail = new Int32Array(16);
  pinClones = new Int32Array(16);
  /** The pin's declared frame limit, 0 for none (a declared limit is at least 1). */
  pinMaxFrames = new Uint32Array(16);
  /** OR of the Flags of every framing item (pin-level bits such as INSIST_ON_FRAMESIZE_RATIO), unsigned. */
  pinFlagsUnion = new Uint32Array(16);
  /** The in-place counterpart on the same filter, or −1. */
  pinCounterpart = new Int32Array(16);
  pinPeerCount = new Int32Array(16);
  /** The first and last connection of the pin's peer list (−1: none). */
  pinPeerHead = new Int32Array(16);
  pinPeerTail = new Int32Array(16);
  /** Inputs: the pipe and the position of the member this input became (set by pipe building; −1: none). */
  pinMemberPipe = new Int32Array(16);
  pinMemberPos = new Int32Array(16);

  /**
   * The framing items of the pins, copied at validation (negotiation reads these dense arrays instead of going back
   * to the description's objects): pin p's items are `item…[pinItemStart[p] … + pinItemCount[p]]` (start −1: no
   * framing). Ranges are the validated objects (the record shares them).
   */
  pinItemStart = new Int32Array(16);
  pinItemCount = new Int32Array(16);
  /** The framing's OutputCompression when it is not neutral, else null (no framing, or a neutral ratio). */
  readonly pinRatio: (Compression | null)[] = [];
  itemCount = 0;
  /** The items written so far (a description that fails validation may leave some beyond itemCount). */
  itemHigh = 0;
  readonly itemMemoryType: Guid[] = [];
  readonly itemBusType: Guid[] = [];
  readonly itemPhysical: FramingRange[] = [];
  readonly itemOptimal: FramingRange[] = [];
  itemFlags = new Uint32Array(16);
  itemMemoryFlags = new Uint32Array(16);
  itemFrames = new Uint32Array(16);
  itemAlignment = new Uint32Array(16);
  itemWeight = new Uint32Array(16);

  /** Per connection, twice (once in the output's peer list, once in the input's): the peer and the next entry. */
  connPeer = new Int32Array(16);
  connNext = new Int32Array(16);
  connCount = 0;

  pipeCount = 0;
  /** The pipe this branch pipe copies from, or −1. */
  pipeBranchOf = new Int32Array(16);
  /** The pipe's feeding pipes: `edgePipe[pipePrevStart … + pipePrevCount]`. */
  pipePrevStart = new Int32Array(16);
  pipePrevCount = new Int32Array(16);
  /** The pipes a pipe feeds: a list of edges (`pipeNextHead` → `edgeNext`; the fed pipe is `edgeOwner`). */
  pipeNextHead = new Int32Array(16);
  pipeNextTail = new Int32Array(16);
  pipeNextCount = new Int32Array(16);
  /** PIPE_* bits. */
  pipeBits = new Uint8Array(16);
  /** Scratch mark used while deduplicating. */
  pipeStamp = new Int32Array(16);
  pipeMemberStart = new Int32Array(16);
  pipeMemberCount = new Int32Array(16);

  /** Edge e: pipe `edgeOwner[e]` is fed by pipe `edgePipe[e]`. */
  edgePipe = new Int32Array(16);
  edgeOwner = new Int32Array(16);
  edgeNext = new Int32Array(16);
  edgeCount = 0;

  /** Members in creation order (pipe, position, pin, role, cumulative compression from the allocator pin). */
  memberCount = 0;
  newMemberPipe = new Int32Array(16);
  newMemberPos = new Int32Array(16);
  newMemberPin = new Int32Array(16);
  newMemberRole = new Uint8Array(16);
  readonly newMemberCompression: Compression[] = [];
  /** Members in pipe order (slot = pipeMemberStart[pipe] + position). */
  memberPin = new Int32Array(16);
  memberRole = new Uint8Array(16);
  readonly memberCompression: Compression[] = [];

  /** Scratch of pipe building: filter indegrees, the topological order, the work stack. */
  scratchA = new Int32Array(16);
  scratchB = new Int32Array(16);
  workPipe = new Int32Array(16);
  workPin = new Int32Array(16);
  readonly workRatio: Compression[] = [];

  private _inUse = false;
  private static _kept: GraphModel | null = null;

  /** A model for one negotiation (the kept one when free). */
  static acquire(): GraphModel {
    let model = GraphModel._kept;
    if (model === null || model._inUse) model = new GraphModel();
    else GraphModel._kept = null;
    model._inUse = true;
    model.filterCount = 0;
    model.pinCount = 0;
    model.itemCount = 0;
    model.itemHigh = 0;
    model.connCount = 0;
    model.pipeCount = 0;
    model.edgeCount = 0;
    model.memberCount = 0;
    model.pinMaps = null;
    model.lastFilter = -1;
    return model;
  }

  /** Gives the model back (it keeps none of this negotiation's strings or objects). */
  static release(model: GraphModel): void {
    model.filterId.fill('', 0, model.filterCount);
    model.pinId.fill('', 0, model.pinCount);
    model.pinRef.fill('', 0, model.pinCount);
    model.pinAllocator.fill(null, 0, model.pinCount);
    model.pinCounterpartId.fill(null, 0, model.pinCount);
    model.pinRatio.fill(null, 0, model.pinCount);
    model.itemMemoryType.fill(GUID_NULL, 0, model.itemHigh);
    model.itemBusType.fill(GUID_NULL, 0, model.itemHigh);
    model.itemPhysical.fill(NO_RANGE, 0, model.itemHigh);
    model.itemOptimal.fill(NO_RANGE, 0, model.itemHigh);
    model.newMemberCompression.fill(NO_COMPRESSION, 0, model.memberCount);
    model.memberCompression.fill(NO_COMPRESSION, 0, model.memberCount);
    model.workRatio.fill(NO_COMPRESSION, 0, model.pinCount);
    model.pinMaps = null;
    model._inUse = false;
    if (model.pinFilter.length > MAX_KEPT || model.memberPin.length > MAX_KEPT) return;
    if (model.filterPinStart.length > MAX_KEPT || model.connPeer.length > 2 * MAX_KEPT) return;
    if (model.itemFlags.length > 2 * MAX_KEPT) return;
    GraphModel._kept = model;
  }

  ensureFilters(n: number): void {
    if (this.filterPinStart.length >= n && this.filterId.length >= n) return;
    this.filterPinStart = grow32(this.filterPinStart, n);
    this.filterPinCount = grow32(this.filterPinCount, n);
    this.filterInputCount = grow32(this.filterInputCount, n);
    this.scratchA = grow32(this.scratchA, n);
    this.scratchB = grow32(this.scratchB, n);
    pad(this.filterId, this.filterPinStart.length, '');
  }

  ensurePins(n: number): void {
    if (this.pinFilter.length >= n && this.pinId.length >= n) return;
    this.pinFilter = grow32(this.pinFilter, n);
    this.pinBits = grow8(this.pinBits, n);
    this.pinQueue = grow32(this.pinQueue, n);
    this.pinTrail = grow32(this.pinTrail, n);
    this.pinClones = grow32(this.pinClones, n);
    this.pinMaxFrames = growU32(this.pinMaxFrames, n);
    this.pinFlagsUnion = growU32(this.pinFlagsUnion, n);
    this.pinCounterpart = grow32(this.pinCounterpart, n);
    this.pinPeerCount = grow32(this.pinPeerCount, n);
    this.pinPeerHead = grow32(this.pinPeerHead, n);
    this.pinPeerTail = grow32(this.pinPeerTail, n);
    this.pinMemberPipe = grow32(this.pinMemberPipe, n);
    this.pinMemberPos = grow32(this.pinMemberPos, n);
    this.pinItemStart = grow32(this.pinItemStart, n);
    this.pinItemCount = grow32(this.pinItemCount, n);
    this.workPipe = grow32(this.workPipe, n);
    this.workPin = grow32(this.workPin, n);
    const capacity = this.pinFilter.length;
    pad(this.pinId, capacity, '');
    pad(this.pinRef, capacity, '');
    pad(this.pinAllocator, capacity, null);
    pad(this.pinCounterpartId, capacity, null);
    pad(this.pinRatio, capacity, null);
    pad(this.workRatio, capacity, NO_COMPRESSION);
  }

  ensureItems(n: number): void {
    if (this.itemFlags.length >= n && this.itemMemoryType.length >= n) return;
    this.itemFlags = growU32(this.itemFlags, n);
    this.itemMemoryFlags = growU32(this.itemMemoryFlags, n);
    this.itemFrames = growU32(this.itemFrames, n);
    this.itemAlignment = growU32(this.itemAlignment, n);
    this.itemWeight = growU32(this.itemWeight, n);
    const capacity = this.itemFlags.length;
    pad(this.itemMemoryType, capacity, GUID_NULL);
    pad(this.itemBusType, capacity, GUID_NULL);
    pad(this.itemPhysical, capacity, NO_RANGE);
    pad(this.itemOptimal, capacity, NO_RANGE);
  }

  ensureConnections(n: number): void {
    if (this.connPeer.length >= 2 * n) return;
    this.connPeer = grow32(this.connPeer, 2 * n);
    this.connNext = grow32(this.connNext, 2 * n);
  }

  ensurePipes(n: number): void {
    if (this.pipeBranchOf.length >= n) return;
    this.pipeBranchOf = grow32(this.pipeBranchOf, n);
    this.pipePrevStart = grow32(this.pipePrevStart, n);
    this.pipePrevCount = grow32(this.pipePrevCount, n);
    this.pipeNextHead = grow32(this.pipeNextHead, n);
    this.pipeNextTail = grow32(this.pipeNextTail, n);
    this.pipeNextCount = grow32(this.pipeNextCount, n);
    this.pipeBits = grow8(this.pipeBits, n);
    this.pipeStamp = grow32(this.pipeStamp, n);
    this.pipeMemberStart = grow32(this.pipeMemberStart, n);
    this.pipeMemberCount = grow32(this.pipeMemberCount, n);
  }

  ensureEdges(n: number): void {
    if (this.edgePipe.length >= n) return;
    this.edgePipe = grow32(this.edgePipe, n);
    this.edgeOwner = grow32(this.edgeOwner, n);
    this.edgeNext = grow32(this.edgeNext, n);
  }

  ensureMembers(n: number): void {
    if (this.memberPin.length >= n && this.memberCompression.length >= n) return;
    this.newMemberPipe = grow32(this.newMemberPipe, n);
    this.newMemberPos = grow32(this.newMemberPos, n);
    this.newMemberPin = grow32(this.newMemberPin, n);
    this.newMemberRole = grow8(this.newMemberRole, n);
    this.memberPin = grow32(this.memberPin, n);
    this.memberRole = grow8(this.memberRole, n);
    pad(this.newMemberCompression, this.memberPin.length, NO_COMPRESSION);
    pad(this.memberCompression, this.memberPin.length, NO_COMPRESSION);
  }

  /** Fills the pipe-order member arrays from the members in creation order (pipeMemberCount holds the counts). */
  sortMembers(): void {
    let at = 0;
    for (let p = 0; p < this.pipeCount; p++) {
      this.pipeMemberStart[p] = at;
      at += this.pipeMemberCount[p]!;
    }
    const comp = this.memberCompression;
    for (let m = 0; m < this.memberCount; m++) {
      const slot = this.pipeMemberStart[this.newMemberPipe[m]!]! + this.newMemberPos[m]!;
      this.memberPin[slot] = this.newMemberPin[m]!;
      this.memberRole[slot] = this.newMemberRole[m]!;
      comp[slot] = this.newMemberCompression[m]!;
    }
  }
}

const U32_MAX = 0xffffffff;
const MAX_ITEMS = 64;
const MAX_HOLD = 0xffff;
const DEFAULT_MAX_FRAMES = 0xffff;

/**
 * The allowed keys of one kind of object, and the keys of the last object of that kind accepted, in their order
 * (`seq`): objects built by the same code enumerate their keys in the same order, so a key equal (the same
 * internalized string) to the one at its position in `seq` is known to be allowed without a set lookup.
 */
interface KeySet {
  readonly set: ReadonlySet<string>;
  readonly seq: string[];
}

const keySet = (keys: Iterable<string>): KeySet => ({ set: new Set(keys), seq: [] });

const DESCRIPTION_KEYS = keySet(['filters', 'connections', 'strategy', 'options']);
const OPTIONS_KEYS = keySet(['enforceInputPinRanges', 'maxFrames']);
const FILTER_KEYS = keySet(['id', 'userMode', 'pins']);
const PIN_KEYS = keySet([
  'id',
  'dataFlow',
  'allocatorFraming',
  'userMode',
  'inPlaceCounterpart',
  'readOnly',
  'splitter',
  'sink',
  'allocator',
  'frameHolding',
]);
const ALLOCATOR_KEYS = keySet(['id', 'memoryTypes', 'sizeRange', 'fileAlignment', 'maxFrames']);
const HOLDING_KEYS = keySet(['queueDepth', 'trailingWindow', 'clonesKept', 'maxFrames']);
const CONNECTION_KEYS = keySet(['from', 'to']);
const FRAMING_KEYS = keySet(FRAMING_EX_FIELDS);
const COMPRESSION_KEYS = keySet(COMPRESSION_FIELDS);
const ITEM_KEYS = keySet(FRAMING_ITEM_FIELDS);
const RANGE_KEYS = keySet(FRAMING_RANGE_FIELDS);
const WEIGHTED_KEYS = keySet(FRAMING_RANGE_WEIGHTED_FIELDS);

/** The path of the value being validated: property names and array indices. */
const pathStack: (string | number)[] = [];

function pathOf(key?: string | number): string {
  let out = '';
  const render = (seg: string | number) => {
    out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  };
  for (const seg of pathStack) render(seg);
  if (key !== undefined) render(key);
  return out;
}

function fail(kind: 'type' | 'range', key: string | number | undefined, value: unknown, allowed: string): never {
  throw argumentError(kind, pathOf(key), value, allowed);
}

function record(value: unknown, key: string | number | undefined, keys: KeySet): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('type', key, value, 'an object');
  // for…in without a per-key hasOwn (3× faster); an unknown key is checked for ownership only on the error path,
  // so enumerable inherited properties are ignored. An own `__proto__` key (JSON.parse makes one) is enumerated and
  // refused like any unknown key. A key equal to the one at its position in the last accepted object of this kind
  // needs no set lookup (`seq` only ever holds allowed keys).
  const seq = keys.seq;
  let at = 0;
  for (const k in value) {
    if (k !== seq[at]) {
      if (keys.set.has(k)) {
        if (at <= seq.length) seq[at] = k;
      } else if (Object.hasOwn(value, k)) {
        if (key !== undefined) pathStack.push(key);
        fail('type', k, k, `one of the keys ${[...keys.set].join(', ')}`);
      }
    }
    at++;
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, key: string, max = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(value)) fail('type', key, value, 'an array');
  if (value.length > max) fail('range', key, value.length, `at most ${max} entries`);
  return value;
}

function u32(value: unknown, key: string, min = 0, max = U32_MAX): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) fail('type', key, value, 'an integer');
  return fail('range', key, value, `an integer in ${min}..${max}`);
}

/** A flag word: an unsigned 32-bit integer, or its signed int32 form (JS `|` yields negatives when bit 31 is set). */
function flagWord(value: unknown, key: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value < 0 && value >= -0x80000000) return value >>> 0;
  return u32(value, key);
}

function optU32(value: unknown, key: string, fallback: number, min = 0, max = U32_MAX): number {
  return value === undefined ? fallback : u32(value, key, min, max);
}

function bool(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail('type', key, value, 'a boolean');
  return value;
}

function id(value: unknown, key: string, allowDot: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    fail('type', key, value, 'a non-empty string of at most 256 characters');
  }
  if (!allowDot && value.includes('.')) fail('type', key, value, 'an id without "."');
  // ids are printed in one-line messages and in the record's text: no whitespace or control characters
  if (breaksLine(value)) fail('type', key, value, 'an id without whitespace or control characters');
  return value;
}

const BREAKS_LINE = /[\s\p{Cc}]/u;

/** Whitespace or a control character (a char-code scan; the regex only for the rare code units ≥ 0x1680). */
function breaksLine(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || (c >= 0x7f && c <= 0xa0)) return true;
    if (c >= 0x1680) return BREAKS_LINE.test(value);
  }
  return false;
}

const guidCache = new Map<string, Guid>();

function guid(value: unknown, key: string | number): Guid {
  if (typeof value === 'string') {
    const cached = guidCache.get(value);
    if (cached !== undefined) return cached;
  }
  if (!isGuid(value)) fail('type', key, value, 'a GUID string');
  const normalized = normalizeGuid(value);
  if (guidCache.size < 1024) guidCache.set(value, normalized);
  return normalized;
}

/**
 * True for a plain object (prototype Object.prototype). Validated plain objects are kept as they are — the model and
 * the decision record share them with the description instead of copying (negotiation is synchronous, and records
 * and descriptions are data to treat as immutable); anything else is copied so that records stay plain JSON.
 */
function isPlain(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * The last range (one per kind of range: optimal, physical, allocator size) and compression objects validated by this
 * negotiation (reset by buildGraphModel): descriptions share them between pins (one don't-care range, one neutral
 * ratio), and the same object need not be checked twice within one synchronous call.
 */
/** The caches' empty value: an object no description holds (`null` would let a `null` range or ratio through). */
const UNSET: unknown = Object.freeze({});
const lastRanges: unknown[] = [UNSET, UNSET, UNSET];
let lastCompression: unknown = UNSET;
const OPTIMAL_SLOT = 0;
const PHYSICAL_SLOT = 1;
const SIZE_SLOT = 2;

function range(value: unknown, key: string, slot: number): FramingRange {
  if (value === lastRanges[slot]) return value as FramingRange;
  const r = record(value, key, RANGE_KEYS);
  pathStack.push(key);
  const minFrameSize = u32(r.minFrameSize, 'minFrameSize');
  const maxFrameSize = u32(r.maxFrameSize, 'maxFrameSize');
  const stepping = u32(r.stepping, 'stepping');
  if (minFrameSize > maxFrameSize)
    fail('range', 'maxFrameSize', maxFrameSize, `at least minFrameSize (${minFrameSize})`);
  pathStack.pop();
  if (!isPlain(r)) return { minFrameSize, maxFrameSize, stepping };
  lastRanges[slot] = r;
  return r as unknown as FramingRange;
}

function compression(value: unknown, key: string): Compression {
  if (value === lastCompression) return value as Compression;
  const c = record(value, key, COMPRESSION_KEYS);
  pathStack.push(key);
  const ratioNumerator = u32(c.ratioNumerator, 'ratioNumerator');
  const ratioDenominator = u32(c.ratioDenominator, 'ratioDenominator', 1);
  const ratioConstantMargin = u32(c.ratioConstantMargin, 'ratioConstantMargin');
  pathStack.pop();
  if (!isPlain(c)) return { ratioNumerator, ratioDenominator, ratioConstantMargin };
  lastCompression = c;
  return c as unknown as Compression;
}

/** Validates the framing item `value` (index `index` of its framing) and copies its validated fields to item `at`. */
function item(value: unknown, index: number, model: GraphModel, at: number): FramingItem {
  const i = record(value, index, ITEM_KEYS);
  pathStack.push(index);
  const flags = flagWord(i.flags, 'flags');
  if ((flags & ~FRAMING_ITEM_FLAGS_MASK) !== 0) {
    fail('range', 'flags', flags, 'KSALLOCATOR_REQUIREMENTF_* | KSALLOCATOR_FLAG_* bits');
  }
  const fileAlignment = u32(i.fileAlignment, 'fileAlignment');
  if (!isAlignmentMask(fileAlignment)) fail('range', 'fileAlignment', fileAlignment, 'an alignment mask 2^k − 1');
  const fr = record(i.framingRange, 'framingRange', WEIGHTED_KEYS);
  pathStack.push('framingRange');
  const optimal = range(fr.range, 'range', OPTIMAL_SLOT);
  const inPlaceWeight = u32(fr.inPlaceWeight, 'inPlaceWeight');
  const notInPlaceWeight = u32(fr.notInPlaceWeight, 'notInPlaceWeight');
  pathStack.pop();
  const memoryType = guid(i.memoryType, 'memoryType');
  const busType = guid(i.busType, 'busType');
  const memoryFlags = flagWord(i.memoryFlags, 'memoryFlags');
  const busFlags = u32(i.busFlags, 'busFlags');
  const frames = u32(i.frames, 'frames');
  const memoryTypeWeight = u32(i.memoryTypeWeight, 'memoryTypeWeight');
  const physicalRange = range(i.physicalRange, 'physicalRange', PHYSICAL_SLOT);
  pathStack.pop();
  model.itemMemoryType[at] = memoryType;
  model.itemBusType[at] = busType;
  model.itemPhysical[at] = physicalRange;
  model.itemOptimal[at] = optimal;
  model.itemFlags[at] = flags;
  model.itemMemoryFlags[at] = memoryFlags;
  model.itemFrames[at] = frames;
  model.itemAlignment[at] = fileAlignment;
  model.itemWeight[at] = memoryTypeWeight;
  if (at >= model.itemHigh) model.itemHigh = at + 1;
  const framingRange: FramingRangeWeighted =
    isPlain(fr) && optimal === fr.range
      ? (fr as unknown as FramingRangeWeighted)
      : { range: optimal, inPlaceWeight, notInPlaceWeight };
  const same =
    isPlain(i) &&
    flags === i.flags &&
    memoryFlags === i.memoryFlags &&
    memoryType === i.memoryType &&
    busType === i.busType &&
    physicalRange === i.physicalRange &&
    framingRange === i.framingRange;
  if (same) return i as unknown as FramingItem;
  return {
    memoryType,
    busType,
    memoryFlags,
    busFlags,
    flags,
    frames,
    fileAlignment,
    memoryTypeWeight,
    physicalRange,
    framingRange,
  };
}

/**
 * Validates a framing; its items are copied to the model's item arrays from `model.itemCount` on (the caller commits
 * them by advancing `itemCount`).
 */
function framingEx(value: unknown, key: string, model: GraphModel): AllocatorFramingEx | null {
  if (value === null) return null;
  const f = record(value, key, FRAMING_KEYS);
  pathStack.push(key);
  const itemValues = array(f.items, 'items', MAX_ITEMS);
  if (itemValues.length === 0) fail('range', 'items', itemValues, `1..${MAX_ITEMS} items`);
  const pinFlags = flagWord(f.pinFlags, 'pinFlags');
  const outputCompression = compression(f.outputCompression, 'outputCompression');
  const pinWeight = u32(f.pinWeight, 'pinWeight');
  model.ensureItems(model.itemCount + itemValues.length);
  pathStack.push('items');
  // A validated item is the described object itself when it is plain; a new items array only when one is not.
  let items: FramingItem[] | null = null;
  for (let k = 0; k < itemValues.length; k++) {
    const it = item(itemValues[k], k, model, model.itemCount + k);
    if (items === null && it !== itemValues[k]) items = itemValues.slice(0, k) as FramingItem[];
    if (items !== null) items.push(it);
  }
  pathStack.pop();
  pathStack.pop();
  if (items === null && isPlain(f) && pinFlags === f.pinFlags && outputCompression === f.outputCompression) {
    return f as unknown as AllocatorFramingEx;
  }
  return { pinFlags, outputCompression, pinWeight, items: items ?? (itemValues.slice() as FramingItem[]) };
}

function vendorAllocator(value: unknown, key: string): VendorAllocator | null {
  if (value === undefined || value === null) return null;
  const a = record(value, key, ALLOCATOR_KEYS);
  pathStack.push(key);
  const typeValues = array(a.memoryTypes, 'memoryTypes', MAX_ITEMS);
  if (typeValues.length === 0) fail('range', 'memoryTypes', typeValues, 'at least 1 memory type');
  pathStack.push('memoryTypes');
  const memoryTypes = typeValues.map((g, k) => guid(g, k));
  pathStack.pop();
  const fileAlignment = u32(a.fileAlignment, 'fileAlignment');
  if (!isAlignmentMask(fileAlignment)) fail('range', 'fileAlignment', fileAlignment, 'an alignment mask 2^k − 1');
  const out: VendorAllocator = {
    id: id(a.id, 'id', true),
    memoryTypes,
    sizeRange: range(a.sizeRange, 'sizeRange', SIZE_SLOT),
    fileAlignment,
    maxFrames: u32(a.maxFrames, 'maxFrames', 1),
  };
  pathStack.pop();
  return out;
}

/** The frame holding of the pin being validated (module scratch: validation is synchronous, no temporary object). */
const hold = { queueDepth: 0, trailingWindow: 0, clonesKept: 0, maxFrames: null as number | null };

function holding(value: unknown, key: string): void {
  hold.queueDepth = 0;
  hold.trailingWindow = 0;
  hold.clonesKept = 0;
  hold.maxFrames = null;
  if (value === undefined) return;
  const h = record(value, key, HOLDING_KEYS);
  pathStack.push(key);
  hold.queueDepth = optU32(h.queueDepth, 'queueDepth', 0, 0, MAX_HOLD);
  hold.trailingWindow = optU32(h.trailingWindow, 'trailingWindow', 0, 0, MAX_HOLD);
  hold.clonesKept = optU32(h.clonesKept, 'clonesKept', 0, 0, MAX_HOLD);
  hold.maxFrames = h.maxFrames === undefined ? null : u32(h.maxFrames, 'maxFrames', 1);
  pathStack.pop();
}

/** Validates the pin `value` (index `index` of its filter) into pin `at` of the model. */
function pin(model: GraphModel, at: number, value: unknown, index: number, filter: number, filterUser: boolean): void {
  const p = record(value, index, PIN_KEYS);
  pathStack.push(index);
  const pinId = id(p.id, 'id', false);
  if (p.dataFlow !== 'in' && p.dataFlow !== 'out') fail('type', 'dataFlow', p.dataFlow, '"in" or "out"');
  const dataFlow = p.dataFlow;
  const framing = framingEx(p.allocatorFraming, 'allocatorFraming', model);
  const userMode = bool(p.userMode, 'userMode', filterUser);
  const allocator = vendorAllocator(p.allocator, 'allocator');
  if (allocator !== null && userMode) {
    fail('type', 'allocator', allocator.id, 'null on a user-mode pin (a user-mode end has no kernel dispatch)');
  }
  holding(p.frameHolding, 'frameHolding');
  let counterpartId: string | null = null;
  if (p.inPlaceCounterpart !== undefined && p.inPlaceCounterpart !== null) {
    counterpartId = id(p.inPlaceCounterpart, 'inPlaceCounterpart', false);
  }
  const splitter = bool(p.splitter, 'splitter', false);
  if (splitter && dataFlow !== 'out') fail('type', 'splitter', true, 'false on an input pin');
  const sinkFlag = bool(p.sink, 'sink', false);
  if (sinkFlag && dataFlow !== 'in') fail('type', 'sink', true, 'false on an output pin');
  const readOnly = bool(p.readOnly, 'readOnly', false);
  let flagsUnion = 0;
  if (framing === null) {
    model.pinItemStart[at] = -1;
    model.pinItemCount[at] = 0;
    model.pinRatio[at] = null;
  } else {
    // The items were copied to the item arrays by framingEx (validated values, not read again).
    const items = framing.items.length;
    const first = model.itemCount;
    for (let i = first; i < first + items; i++) flagsUnion |= model.itemFlags[i]!;
    model.itemCount = first + items;
    model.pinItemStart[at] = first;
    model.pinItemCount[at] = items;
    const ratio = framing.outputCompression;
    model.pinRatio[at] = isNeutralCompression(ratio) ? null : ratio;
  }
  model.pinId[at] = pinId;
  model.pinRef[at] = '';
  model.pinAllocator[at] = allocator;
  model.pinCounterpartId[at] = counterpartId;
  model.pinFilter[at] = filter;
  model.pinBits[at] =
    (dataFlow === 'in' ? PinBit.input : 0) |
    (userMode ? PinBit.user : 0) |
    (readOnly ? PinBit.readOnly : 0) |
    (splitter ? PinBit.splitter : 0) |
    (sinkFlag ? PinBit.sink : 0);
  model.pinQueue[at] = hold.queueDepth;
  model.pinTrail[at] = hold.trailingWindow;
  model.pinClones[at] = hold.clonesKept;
  model.pinMaxFrames[at] = hold.maxFrames ?? 0;
  model.pinFlagsUnion[at] = flagsUnion >>> 0;
  model.pinCounterpart[at] = -1;
  model.pinPeerCount[at] = 0;
  model.pinPeerHead[at] = -1;
  model.pinPeerTail[at] = -1;
  model.pinMemberPipe[at] = -1;
  model.pinMemberPos[at] = -1;
  pathStack.pop();
}

/**
 * Validates a `NegotiationDescription` and links it into a graph model (acquired here; the caller releases it with
 * {@link GraphModel.release} when the negotiation is over; when this throws, it is released here).
 * @throws TypeError / RangeError naming the offending path (e.g. `description.filters[2].pins[0].dataFlow`)
 * @internal
 */
export function buildGraphModel(description: unknown): GraphModel {
  // a validation started from inside another (a getter of the outer description) must leave the outer path as it was
  const outerPath = validating++ > 0 ? pathStack.slice() : null;
  try {
    return buildModel(description);
  } finally {
    validating--;
    if (outerPath !== null) {
      pathStack.length = 0;
      for (const seg of outerPath) pathStack.push(seg);
    }
  }
}

/** Validations in progress (more than one only when a getter of a description negotiates another one). */
let validating = 0;

function buildModel(description: unknown): GraphModel {
  pathStack.length = 0;
  lastRanges.fill(UNSET);
  lastCompression = UNSET;
  const d = record(description, 'description', DESCRIPTION_KEYS);
  pathStack.push('description');
  const strategy = optU32(d.strategy, 'strategy', 0x3, 0, 0xf);
  let enforceInputPinRanges = false;
  let maxFrames = DEFAULT_MAX_FRAMES;
  if (d.options !== undefined) {
    const o = record(d.options, 'options', OPTIONS_KEYS);
    pathStack.push('options');
    enforceInputPinRanges = bool(o.enforceInputPinRanges, 'enforceInputPinRanges', false);
    maxFrames = optU32(o.maxFrames, 'maxFrames', DEFAULT_MAX_FRAMES, 1);
    pathStack.pop();
  }
  const filterValues = array(d.filters, 'filters');
  const connectionValues = array(d.connections, 'connections');
  const model = GraphModel.acquire();
  model.strategy = strategy;
  model.enforceInputPinRanges = enforceInputPinRanges;
  model.maxFrames = maxFrames;
  const filtersById = IdTable.acquire(filterValues.length);
  try {
    linkFilters(model, filterValues, connectionValues, filtersById);
  } catch (error) {
    GraphModel.release(model);
    throw error;
  } finally {
    IdTable.release(filtersById);
  }
  return model;
}

/** Validates the filters and connections (the path stack holds `description`) and links them. */
function linkFilters(
  model: GraphModel,
  filterValues: unknown[],
  connectionValues: unknown[],
  filtersById: IdTable,
): void {
  const allocatorIds = new Set<string>();
  model.ensureFilters(filterValues.length);
  pathStack.push('filters');
  for (let fi = 0; fi < filterValues.length; fi++) {
    const f = record(filterValues[fi], fi, FILTER_KEYS);
    pathStack.push(fi);
    const filterId = id(f.id, 'id', true);
    if (!filtersById.add(filterId)) fail('type', 'id', filterId, 'a filter id not used before');
    const filterUser = bool(f.userMode, 'userMode', false);
    const pinValues = array(f.pins, 'pins');
    const start = model.pinCount;
    model.ensurePins(start + pinValues.length);
    model.filterId[fi] = filterId;
    model.filterPinStart[fi] = start;
    model.filterPinCount[fi] = 0;
    model.filterCount = fi + 1;
    let inputCount = 0;
    pathStack.push('pins');
    for (let pi = 0; pi < pinValues.length; pi++) {
      const at = start + pi;
      pin(model, at, pinValues[pi], pi, fi, filterUser);
      model.pinCount = at + 1;
      const pinId = model.pinId[at]!;
      if (pinById(model, fi, pinId, pi) >= 0) fail('type', pi, pinId, 'a pin id not used before in the filter');
      const allocator = model.pinAllocator[at]!;
      if (allocator !== null) {
        if (allocatorIds.has(allocator.id)) {
          pathStack.push(pi, 'allocator');
          fail('type', 'id', allocator.id, 'an allocator id not used before');
        }
        allocatorIds.add(allocator.id);
      }
      model.pinMaps?.get(fi)?.set(pinId, at);
      model.filterPinCount[fi] = pi + 1;
      if ((model.pinBits[at]! & PinBit.input) !== 0) inputCount++;
    }
    model.filterInputCount[fi] = inputCount;
    pathStack.pop();
    linkCounterparts(model, fi);
    pathStack.pop();
  }
  pathStack.pop();

  pathStack.push('connections');
  model.ensureConnections(connectionValues.length);
  const bits = model.pinBits;
  for (let ci = 0; ci < connectionValues.length; ci++) {
    const c = record(connectionValues[ci], ci, CONNECTION_KEYS);
    pathStack.push(ci);
    const from = pinRef(model, c.from, 'from', filtersById);
    const to = pinRef(model, c.to, 'to', filtersById);
    if ((bits[from]! & PinBit.input) !== 0) fail('type', 'from', model.pinRef[from], 'an output pin');
    if ((bits[to]! & PinBit.input) === 0) fail('type', 'to', model.pinRef[to], 'an input pin');
    if (model.pinPeerCount[to]! > 0) fail('type', 'to', model.pinRef[to], 'an input pin not connected before');
    if (model.pinPeerCount[from]! > 0 && (bits[from]! & PinBit.splitter) === 0) {
      fail('type', 'from', model.pinRef[from], 'an unconnected output, or a splitter output (KSPIN_FLAG_SPLITTER)');
    }
    if (model.pinFilter[from] === model.pinFilter[to]) fail('type', 'to', model.pinRef[to], 'a pin of another filter');
    addPeer(model, from, to);
    addPeer(model, to, from);
    model.connCount = ci + 1;
    pathStack.pop();
  }
  // The refs of the pins no connection names.
  for (let p = 0; p < model.pinCount; p++) {
    if (model.pinRef[p] === '') model.pinRef[p] = `${model.filterId[model.pinFilter[p]!]!}.${model.pinId[p]!}`;
  }
  pathStack.length = 0;
  lastRanges.fill(UNSET);
  lastCompression = UNSET;
}

/** Appends `peer` to the peer list of `pin` (an entry of the connection arrays). */
function addPeer(model: GraphModel, pin: number, peer: number): void {
  // Entry 2c is the output's, 2c + 1 the input's (each connection adds one of each).
  const entry = (model.pinBits[pin]! & PinBit.input) !== 0 ? 2 * model.connCount + 1 : 2 * model.connCount;
  model.connPeer[entry] = peer;
  appendEntry(model.pinPeerHead, model.pinPeerTail, model.pinPeerCount, model.connNext, pin, entry);
}

const PIN_MAP_THRESHOLD = 16;

/**
 * The pin of filter `fi` with this id among its first `count` pins (all by default; while the filter is being
 * built, the pins validated so far), or −1: a linear scan for few pins; a map, built once, for many.
 */
function pinById(model: GraphModel, fi: number, pinId: string, count = model.filterPinCount[fi]!): number {
  const start = model.filterPinStart[fi]!;
  const ids = model.pinId;
  if (count <= PIN_MAP_THRESHOLD) {
    for (let i = 0; i < count; i++) if (ids[start + i] === pinId) return start + i;
    return -1;
  }
  model.pinMaps ??= new Map();
  let map = model.pinMaps.get(fi);
  if (map === undefined) {
    map = new Map();
    for (let i = 0; i < count; i++) map.set(ids[start + i]!, start + i);
    model.pinMaps.set(fi, map);
  }
  return map.get(pinId) ?? -1;
}

/** The pin of filter `fi` whose id is `ref` after `dot`, or −1 (compared in place for few pins: no substring). */
function pinByTail(model: GraphModel, fi: number, ref: string, dot: number): number {
  const count = model.filterPinCount[fi]!;
  if (count > PIN_MAP_THRESHOLD) return pinById(model, fi, ref.slice(dot + 1));
  const start = model.filterPinStart[fi]!;
  const length = ref.length - dot - 1;
  for (let i = 0; i < count; i++) {
    const pinId = model.pinId[start + i]!;
    if (pinId.length === length && ref.endsWith(pinId)) return start + i;
  }
  return -1;
}

/**
 * The filter named by `ref` before `dot`, or −1: found without a substring when it is the filter of the last
 * reference resolved or the one after it (descriptions usually list connections in filter order), else by hashing
 * the prefix in place.
 */
function filterOf(model: GraphModel, ref: string, dot: number, byId: IdTable): number {
  const last = model.lastFilter;
  if (last >= 0) {
    const lastId = model.filterId[last]!;
    if (lastId.length === dot && ref.startsWith(lastId)) return last;
    if (last + 1 < model.filterCount) {
      const nextId = model.filterId[last + 1]!;
      if (nextId.length === dot && ref.startsWith(nextId)) {
        model.lastFilter = last + 1;
        return last + 1;
      }
    }
  }
  const at = byId.indexOfPrefix(ref, dot);
  if (at >= 0) model.lastFilter = at;
  return at;
}

function pinRef(model: GraphModel, value: unknown, key: string, byId: IdTable): number {
  if (typeof value === 'string') {
    const dot = value.lastIndexOf('.');
    if (dot > 0) {
      const filter = filterOf(model, value, dot, byId);
      const node = filter >= 0 ? pinByTail(model, filter, value, dot) : -1;
      if (node >= 0) {
        // A reference names exactly `${filter.id}.${pin.id}` (pin ids have no "."): the pin's ref is this string.
        if (model.pinRef[node] === '') model.pinRef[node] = value;
        return node;
      }
    }
  }
  return fail('type', key, value, 'a "filterId.pinId" reference to a described pin');
}

const INPLACE_MODIFIER = RequirementFlags.inplaceModifier;

function linkCounterparts(model: GraphModel, fi: number): void {
  const start = model.filterPinStart[fi]!;
  const count = model.filterPinCount[fi]!;
  const cp = model.pinCounterpart;
  const bits = model.pinBits;
  pathStack.push('pins');
  for (let pi = 0; pi < count; pi++) {
    const pin = start + pi;
    const cid = model.pinCounterpartId[pin]!;
    if (cid === null) continue;
    pathStack.push(pi);
    const other = pinById(model, fi, cid);
    if (other < 0 || (bits[other]! & PinBit.input) === (bits[pin]! & PinBit.input)) {
      fail(
        'type',
        'inPlaceCounterpart',
        cid,
        `the id of a pin of the opposite direction on filter "${model.filterId[fi]!}"`,
      );
    }
    if ((cp[other]! >= 0 && cp[other] !== pin) || (cp[pin]! >= 0 && cp[pin] !== other)) {
      fail('type', 'inPlaceCounterpart', cid, 'a pin paired with no other pin (counterparts are one-to-one)');
    }
    cp[pin] = other;
    cp[other] = pin;
    pathStack.pop();
  }
  pathStack.pop();
  // INPLACE_MODIFIER on an input of a filter with exactly one output (or on the output of a one-input, one-output
  // filter) makes that output the input's in-place counterpart.
  const inputs = model.filterInputCount[fi]!;
  if (count - inputs !== 1) return;
  let out = start;
  while ((bits[out]! & PinBit.input) !== 0) out++;
  if (cp[out]! >= 0) return;
  for (let pin = start; pin < start + count; pin++) {
    if ((bits[pin]! & PinBit.input) === 0) continue;
    if (cp[pin]! >= 0 || (bits[pin]! & PinBit.sink) !== 0) continue;
    const flagged = (model.pinFlagsUnion[pin]! & INPLACE_MODIFIER) !== 0;
    const outFlagged = inputs === 1 && (model.pinFlagsUnion[out]! & INPLACE_MODIFIER) !== 0;
    if (flagged || outFlagged) {
      cp[pin] = out;
      cp[out] = pin;
      return;
    }
  }
}
