import { argumentError } from '../../errors.js';
import { FRAMING_ITEM_FLAGS_MASK, RequirementFlags } from '../../framing/constants.js';
import {
  COMPRESSION_FIELDS,
  FRAMING_EX_FIELDS,
  FRAMING_ITEM_FIELDS,
  FRAMING_RANGE_FIELDS,
  FRAMING_RANGE_WEIGHTED_FIELDS,
} from '../../framing/field-names.js';
import { type Guid, isGuid, normalizeGuid } from '../../framing/guid.js';
import { isAlignmentMask } from '../../framing/range-math.js';
import type {
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
  FramingRangeWeighted,
} from '../../framing/types.js';
import { IdTable } from './id-table.js';

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

/** @internal A validated pin, linked to its filter, counterpart and peers. */
export interface PinNode {
  /** The pin id (unique within its filter). */
  readonly id: string;
  /**
   * `"filterId.pinId"`: the string of the first connection naming the pin (no new string), or built once the
   * connections are linked for a pin no connection names ('' until then).
   */
  ref: string;
  readonly filter: FilterNode;
  readonly dataFlow: 'in' | 'out';
  readonly framing: AllocatorFramingEx | null;
  readonly userMode: boolean;
  readonly readOnly: boolean;
  readonly splitter: boolean;
  readonly sinkFlag: boolean;
  readonly allocator: VendorAllocator | null;
  readonly queueDepth: number;
  readonly trailingWindow: number;
  readonly clonesKept: number;
  readonly maxFrames: number | null;
  /** OR of the Flags of every framing item (pin-level bits such as INSIST_ON_FRAMESIZE_RATIO). */
  readonly flagsUnion: number;
  /** The in-place counterpart on the same filter, or null. */
  counterpart: PinNode | null;
  /** Output: the inputs it feeds (connection order); input: the one output feeding it. */
  peers: PinNode[];
  /** The declared counterpart id (resolved after all pins exist). */
  readonly _counterpartId: string | null;
  /** Inputs: the pipe member this input became (set by pipe building). */
  _member: { readonly pipeIndex: number; readonly position: number } | null;
}

/** @internal A validated filter. */
export interface FilterNode {
  readonly id: string;
  readonly index: number;
  readonly pins: PinNode[];
  readonly inputs: PinNode[];
  readonly outputs: PinNode[];
  /** Pins by id, built only for filters with many pins. */
  _pinsById: Map<string, PinNode> | null;
}

/** @internal A validated graph. */
export interface GraphModel {
  readonly filters: FilterNode[];
  readonly strategy: number;
  readonly enforceInputPinRanges: boolean;
  readonly maxFrames: number;
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

function item(value: unknown, index: number): FramingItem {
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

function framingEx(value: unknown, key: string): AllocatorFramingEx | null {
  if (value === null) return null;
  const f = record(value, key, FRAMING_KEYS);
  pathStack.push(key);
  const itemValues = array(f.items, 'items', MAX_ITEMS);
  if (itemValues.length === 0) fail('range', 'items', itemValues, `1..${MAX_ITEMS} items`);
  const pinFlags = flagWord(f.pinFlags, 'pinFlags');
  const outputCompression = compression(f.outputCompression, 'outputCompression');
  const pinWeight = u32(f.pinWeight, 'pinWeight');
  pathStack.push('items');
  // A validated item is the described object itself when it is plain; a new items array only when one is not.
  let items: FramingItem[] | null = null;
  for (let k = 0; k < itemValues.length; k++) {
    const it = item(itemValues[k], k);
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

/** The initial peers of every pin (shared, frozen: connecting a pin replaces it). */
const NO_PEERS = Object.freeze([]) as unknown as PinNode[];

function pin(value: unknown, index: number, filter: FilterNode, filterUser: boolean): PinNode {
  const p = record(value, index, PIN_KEYS);
  pathStack.push(index);
  const pinId = id(p.id, 'id', false);
  if (p.dataFlow !== 'in' && p.dataFlow !== 'out') fail('type', 'dataFlow', p.dataFlow, '"in" or "out"');
  const dataFlow = p.dataFlow;
  const framing = framingEx(p.allocatorFraming, 'allocatorFraming');
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
  let flagsUnion = 0;
  if (framing) for (let k = 0; k < framing.items.length; k++) flagsUnion |= framing.items[k]!.flags;
  const node: PinNode = {
    id: pinId,
    ref: '',
    filter,
    dataFlow,
    framing,
    userMode,
    readOnly: bool(p.readOnly, 'readOnly', false),
    splitter,
    sinkFlag,
    allocator,
    queueDepth: hold.queueDepth,
    trailingWindow: hold.trailingWindow,
    clonesKept: hold.clonesKept,
    maxFrames: hold.maxFrames,
    flagsUnion: flagsUnion >>> 0,
    counterpart: null,
    peers: NO_PEERS,
    _counterpartId: counterpartId,
    _member: null,
  };
  pathStack.pop();
  return node;
}

/**
 * Validates a `NegotiationDescription` and links it into the internal graph model.
 * @throws TypeError / RangeError naming the offending path (e.g. `description.filters[2].pins[0].dataFlow`)
 * @internal
 */
export function buildGraphModel(description: unknown): GraphModel {
  pathStack.length = 0;
  lastRanges.fill(UNSET);
  lastCompression = UNSET;
  lastFilter = null;
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
  const filtersById = IdTable.acquire(filterValues.length);
  let filters: FilterNode[];
  try {
    filters = linkFilters(filterValues, connectionValues, filtersById);
  } finally {
    IdTable.release(filtersById);
  }
  return { filters, strategy, enforceInputPinRanges, maxFrames };
}

/** Validates the filters and connections (the path stack holds `description`) and links them. */
function linkFilters(filterValues: unknown[], connectionValues: unknown[], filtersById: IdTable): FilterNode[] {
  // Exact size: every filter is validated or the call throws.
  const filters = new Array<FilterNode>(filterValues.length);
  const allocatorIds = new Set<string>();
  pathStack.push('filters');
  for (let fi = 0; fi < filterValues.length; fi++) {
    const f = record(filterValues[fi], fi, FILTER_KEYS);
    pathStack.push(fi);
    const filterId = id(f.id, 'id', true);
    if (!filtersById.add(filterId)) fail('type', 'id', filterId, 'a filter id not used before');
    const filterUser = bool(f.userMode, 'userMode', false);
    const pinValues = array(f.pins, 'pins');
    // Exact-size pin arrays: count the inputs first (a pin that is not an object or has a bad dataFlow fails below).
    let inputCount = 0;
    for (let pi = 0; pi < pinValues.length; pi++) {
      const v = pinValues[pi];
      if (typeof v === 'object' && v !== null && (v as { dataFlow?: unknown }).dataFlow === 'in') inputCount++;
    }
    const filter: FilterNode = {
      id: filterId,
      index: fi,
      pins: new Array<PinNode>(pinValues.length),
      inputs: new Array<PinNode>(inputCount),
      outputs: new Array<PinNode>(pinValues.length - inputCount),
      _pinsById: null,
    };
    let inputAt = 0;
    let outputAt = 0;
    pathStack.push('pins');
    for (let pi = 0; pi < pinValues.length; pi++) {
      const node = pin(pinValues[pi], pi, filter, filterUser);
      const pinId = node.id;
      if (pinById(filter, pinId, pi)) fail('type', pi, pinId, 'a pin id not used before in the filter');
      if (node.allocator !== null) {
        if (allocatorIds.has(node.allocator.id)) {
          pathStack.push(pi, 'allocator');
          fail('type', 'id', node.allocator.id, 'an allocator id not used before');
        }
        allocatorIds.add(node.allocator.id);
      }
      filter._pinsById?.set(pinId, node);
      filter.pins[pi] = node;
      if (node.dataFlow === 'in') filter.inputs[inputAt++] = node;
      else filter.outputs[outputAt++] = node;
    }
    pathStack.pop();
    linkCounterparts(filter);
    pathStack.pop();
    filters[fi] = filter;
  }
  pathStack.pop();

  pathStack.push('connections');
  for (let ci = 0; ci < connectionValues.length; ci++) {
    const c = record(connectionValues[ci], ci, CONNECTION_KEYS);
    pathStack.push(ci);
    const from = pinRef(c.from, 'from', filtersById, filters);
    const to = pinRef(c.to, 'to', filtersById, filters);
    if (from.dataFlow !== 'out') fail('type', 'from', from.ref, 'an output pin');
    if (to.dataFlow !== 'in') fail('type', 'to', to.ref, 'an input pin');
    if (to.peers.length > 0) fail('type', 'to', to.ref, 'an input pin not connected before');
    if (from.peers.length > 0 && !from.splitter) {
      fail('type', 'from', from.ref, 'an unconnected output, or a splitter output (KSPIN_FLAG_SPLITTER)');
    }
    if (from.filter === to.filter) fail('type', 'to', to.ref, 'a pin of another filter');
    // Exact-size arrays: most pins have one peer.
    if (from.peers.length === 0) from.peers = [to];
    else from.peers.push(to);
    to.peers = [from];
    pathStack.pop();
  }
  // The refs of the pins no connection names.
  for (let fi = 0; fi < filters.length; fi++) {
    const pins = filters[fi]!.pins;
    for (let pi = 0; pi < pins.length; pi++)
      if (pins[pi]!.ref === '') pins[pi]!.ref = `${filters[fi]!.id}.${pins[pi]!.id}`;
  }
  pathStack.length = 0;
  lastRanges.fill(UNSET);
  lastCompression = UNSET;
  lastFilter = null;
  return filters;
}

const PIN_MAP_THRESHOLD = 16;

/**
 * The pin of `filter` with this id among its first `count` pins (all by default; while the filter is being built,
 * the pins validated so far): a linear scan for few pins; a map, built once, for many.
 */
function pinById(filter: FilterNode, pinId: string, count = filter.pins.length): PinNode | null {
  const pins = filter.pins;
  if (count <= PIN_MAP_THRESHOLD) {
    for (let i = 0; i < count; i++) if (pins[i]!.id === pinId) return pins[i]!;
    return null;
  }
  if (filter._pinsById === null) {
    filter._pinsById = new Map();
    for (let i = 0; i < count; i++) filter._pinsById.set(pins[i]!.id, pins[i]!);
  }
  return filter._pinsById.get(pinId) ?? null;
}

/** The pin of `filter` whose id is `ref` after `dot` (compared in place for few pins: no substring). */
function pinByTail(filter: FilterNode, ref: string, dot: number): PinNode | null {
  const pins = filter.pins;
  if (pins.length > PIN_MAP_THRESHOLD) return pinById(filter, ref.slice(dot + 1));
  const length = ref.length - dot - 1;
  for (let i = 0; i < pins.length; i++) {
    const pinId = pins[i]!.id;
    if (pinId.length === length && ref.endsWith(pinId)) return pins[i]!;
  }
  return null;
}

/**
 * The filter of the last reference resolved (reset by buildGraphModel). Descriptions usually list connections in
 * filter order, so a reference most often names that filter or the one after it: both are compared in place before
 * the filter id is cut out of the reference and looked up.
 */
let lastFilter: FilterNode | null = null;

/** The filter named by `ref` before `dot`, found without a substring when it is `lastFilter` or the next one. */
function filterOf(ref: string, dot: number, byId: IdTable, filters: readonly FilterNode[]): FilterNode | null {
  const last = lastFilter;
  // (A filter of another negotiation — one run from a getter of this description — is not a hint.)
  if (last !== null && filters[last.index] === last) {
    if (last.id.length === dot && ref.startsWith(last.id)) return last;
    const next = filters[last.index + 1];
    if (next !== undefined && next.id.length === dot && ref.startsWith(next.id)) {
      lastFilter = next;
      return next;
    }
  }
  const at = byId.indexOfPrefix(ref, dot);
  const found = at < 0 ? null : filters[at]!;
  if (found !== null) lastFilter = found;
  return found;
}

function pinRef(value: unknown, key: string, byId: IdTable, filters: readonly FilterNode[]): PinNode {
  if (typeof value === 'string') {
    const dot = value.lastIndexOf('.');
    if (dot > 0) {
      const filter = filterOf(value, dot, byId, filters);
      const node = filter ? pinByTail(filter, value, dot) : null;
      if (node) {
        // A reference names exactly `${filter.id}.${pin.id}` (pin ids have no "."): the pin's ref is this string.
        if (node.ref === '') node.ref = value;
        return node;
      }
    }
  }
  return fail('type', key, value, 'a "filterId.pinId" reference to a described pin');
}

const INPLACE_MODIFIER = RequirementFlags.inplaceModifier;

function linkCounterparts(filter: FilterNode): void {
  pathStack.push('pins');
  for (let pi = 0; pi < filter.pins.length; pi++) {
    const pin = filter.pins[pi]!;
    const cid = pin._counterpartId;
    if (cid === null) continue;
    pathStack.push(pi);
    const other = pinById(filter, cid);
    if (!other || other.dataFlow === pin.dataFlow) {
      fail('type', 'inPlaceCounterpart', cid, `the id of a pin of the opposite direction on filter "${filter.id}"`);
    }
    if (
      (other.counterpart !== null && other.counterpart !== pin) ||
      (pin.counterpart !== null && pin.counterpart !== other)
    ) {
      fail('type', 'inPlaceCounterpart', cid, 'a pin paired with no other pin (counterparts are one-to-one)');
    }
    pin.counterpart = other;
    other.counterpart = pin;
    pathStack.pop();
  }
  pathStack.pop();
  // INPLACE_MODIFIER on an input of a filter with exactly one output (or on the output of a one-input, one-output
  // filter) makes that output the input's in-place counterpart.
  if (filter.outputs.length !== 1) return;
  const out = filter.outputs[0]!;
  if (out.counterpart !== null) return;
  for (const input of filter.inputs) {
    if (input.counterpart !== null || input.sinkFlag) continue;
    const flagged = (input.flagsUnion & INPLACE_MODIFIER) !== 0;
    const outFlagged = filter.inputs.length === 1 && (out.flagsUnion & INPLACE_MODIFIER) !== 0;
    if (flagged || outFlagged) {
      input.counterpart = out;
      out.counterpart = input;
      return;
    }
  }
}
