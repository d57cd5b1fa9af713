import { argumentError } from '../../errors.js';
import { FRAMING_ITEM_FLAGS_MASK } from '../../framing/constants.js';
import { type Guid, isGuid, normalizeGuid } from '../../framing/guid.js';
import { isAlignmentMask } from '../../framing/range-math.js';
import type {
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
  FramingRangeWeighted,
} from '../../framing/types.js';

/**
 * The input of {@link negotiate}: a plain, JSON-able description of a filter graph's pins and connections — what a
 * graph manager can produce from live pins. Nothing in it is a function or a live object.
 * @module
 */

/** A whole graph to negotiate: its filters, the output→input connections, the strategy and options. */
export interface NegotiationDescription {
  /** The filters (ids unique). */
  filters: FilterDescription[];
  /** Output pin → input pin connections, as `"filterId.pinId"` references. */
  connections: ConnectionDescription[];
  /** AllocatorStrategy_* bits (default MinimizeFrameSize | MinimizeNumberOfFrames). */
  strategy?: number;
  /** Policy switches. */
  options?: NegotiationOptions;
}

/** Policy switches of a negotiation. */
export interface NegotiationOptions {
  /**
   * Treat the PhysicalRange of *input* pins as a hard limit. Default `false`: AVStream documents that an input pin's
   * PhysicalRange is not used to size buffers (its Frames count is), so input ranges are preferences.
   */
  enforceInputPinRanges?: boolean;
  /** The most frames a pipe may have (a physical limit for the budget check). Default 65 535. */
  maxFrames?: number;
}

/** A filter (or a user-mode endpoint) and its pins. */
export interface FilterDescription {
  /** Unique id of the filter. */
  id: string;
  /** Every pin of this filter is a user-mode end (an application endpoint behind the proxy). Default false. */
  userMode?: boolean;
  /** The filter's pins (ids unique within the filter; no `.` in a pin id). */
  pins: PinDescription[];
}

/** One pin: direction, framing, mode, in-place and splitter roles, vendor allocator capability, frame holding. */
export interface PinDescription {
  /** Pin id, unique within its filter, without `.`. */
  id: string;
  /** KSPIN_DATAFLOW: `'in'` (KSPIN_DATAFLOW_IN, a sink pin) or `'out'` (KSPIN_DATAFLOW_OUT). */
  dataFlow: 'in' | 'out';
  /** The instance's KSALLOCATOR_FRAMING_EX (after KsEdit), or null when the pin has no framing. */
  allocatorFraming: AllocatorFramingEx | null;
  /** This pin is a user-mode end. Default: the filter's `userMode`. */
  userMode?: boolean;
  /**
   * The id of the pin on the same filter that is this pin's in-place counterpart (KSPROCESSPIN.InPlaceCounterpart):
   * frames entering the input leave through the output unchanged in place. An input whose framing has
   * INPLACE_MODIFIER and whose filter has exactly one output pin gets that output as its counterpart.
   */
  inPlaceCounterpart?: string | null;
  /** An in-place input that only reads (an analyser tap): it does not modify frames. Default false. */
  readOnly?: boolean;
  /** KSPIN_FLAG_SPLITTER on an output pin: it may feed several inputs (extra branches get copies). */
  splitter?: boolean;
  /** An input where frames stop even if it is in place (an in-place modifying renderer). Default: no outputs. */
  sink?: boolean;
  /** The capability declared by the pin dispatch's `allocator` (KSALLOCATOR_DISPATCH), or null for none. */
  allocator?: VendorAllocatorDescription | null;
  /** How many frames this pin may hold at once (for the static frame budget). Default: none. */
  frameHolding?: FrameHoldingDescription;
}

/** What a vendor allocator (a pin's KSALLOCATOR_DISPATCH) declares it can provide. */
export interface VendorAllocatorDescription {
  /** An id for records (unique in the graph). */
  id: string;
  /** Memory types it can allocate (GUID_NULL = any). Non-empty. */
  memoryTypes: Guid[];
  /** Frame sizes it can provide. */
  sizeRange: FramingRange;
  /** The largest FileAlignment mask it honours (2^k − 1). */
  fileAlignment: number;
  /** The most frames it can provide (≥ 1). */
  maxFrames: number;
}

/** The frames a pin may keep at once: its queue, the trailing-edge window and clones it keeps (e.g. DMA in flight). */
export interface FrameHoldingDescription {
  /** Frames queued at the pin before it processes them. */
  queueDepth?: number;
  /** Frames kept between the trailing and the leading edge (DISTINCT_TRAILING_EDGE). */
  trailingWindow?: number;
  /** Frames referenced by clones the pin keeps (e.g. hardware in flight). */
  clonesKept?: number;
  /** The most frames this pin's framing allows in its pipe (a physical limit, e.g. a DMA ring size). */
  maxFrames?: number;
}

/** An output → input connection. */
export interface ConnectionDescription {
  /** The output pin, `"filterId.pinId"`. */
  from: string;
  /** The input pin, `"filterId.pinId"`. */
  to: string;
}

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
  /** `"filterId.pinId"`. */
  readonly ref: string;
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
  readonly peers: PinNode[];
  /** The declared counterpart id (resolved after all pins exist). */
  readonly _counterpartId: string | null;
}

/** @internal A validated filter. */
export interface FilterNode {
  readonly id: string;
  readonly index: number;
  readonly pins: PinNode[];
  readonly inputs: PinNode[];
  readonly outputs: PinNode[];
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

const DESCRIPTION_KEYS = new Set(['filters', 'connections', 'strategy', 'options']);
const OPTIONS_KEYS = new Set(['enforceInputPinRanges', 'maxFrames']);
const FILTER_KEYS = new Set(['id', 'userMode', 'pins']);
const PIN_KEYS = new Set([
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
const ALLOCATOR_KEYS = new Set(['id', 'memoryTypes', 'sizeRange', 'fileAlignment', 'maxFrames']);
const HOLDING_KEYS = new Set(['queueDepth', 'trailingWindow', 'clonesKept', 'maxFrames']);
const CONNECTION_KEYS = new Set(['from', 'to']);
const FRAMING_KEYS = new Set(['pinFlags', 'outputCompression', 'pinWeight', 'items']);
const COMPRESSION_KEYS = new Set(['ratioNumerator', 'ratioDenominator', 'ratioConstantMargin']);
const ITEM_KEYS = new Set([
  'memoryType',
  'busType',
  'memoryFlags',
  'busFlags',
  'flags',
  'frames',
  'fileAlignment',
  'memoryTypeWeight',
  'physicalRange',
  'framingRange',
]);
const RANGE_KEYS = new Set(['minFrameSize', 'maxFrameSize', 'stepping']);
const WEIGHTED_KEYS = new Set(['range', 'inPlaceWeight', 'notInPlaceWeight']);

function record(value: unknown, path: string, keys: ReadonlySet<string>): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw argumentError('type', path, value, 'an object');
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!keys.has(key)) throw argumentError('type', `${path}.${key}`, key, `one of the keys ${[...keys].join(', ')}`);
  }
  // `__proto__` as an own key (JSON.parse makes one) is not reached by for…in on a plain object: check it.
  if (Object.hasOwn(value, '__proto__')) throw argumentError('type', `${path}.__proto__`, '__proto__', 'no such key');
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string, max = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(value)) throw argumentError('type', path, value, 'an array');
  if (value.length > max) throw argumentError('range', `${path}.length`, value.length, `at most ${max}`);
  return value;
}

function u32(value: unknown, path: string, min = 0, max = U32_MAX): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argumentError('type', path, value, 'an integer');
  if (value < min || value > max) throw argumentError('range', path, value, `an integer in ${min}..${max}`);
  return value;
}

function optU32(value: unknown, path: string, fallback: number, min = 0, max = U32_MAX): number {
  return value === undefined ? fallback : u32(value, path, min, max);
}

function bool(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw argumentError('type', path, value, 'a boolean');
  return value;
}

function id(value: unknown, path: string, allowDot: boolean): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw argumentError('type', path, value, 'a non-empty string of at most 256 characters');
  }
  if (!allowDot && value.includes('.')) throw argumentError('type', path, value, 'an id without "."');
  return value;
}

function guid(value: unknown, path: string): Guid {
  if (!isGuid(value)) throw argumentError('type', path, value, 'a GUID string');
  return normalizeGuid(value, path);
}

function range(value: unknown, path: string): FramingRange {
  const r = record(value, path, RANGE_KEYS);
  const minFrameSize = u32(r.minFrameSize, `${path}.minFrameSize`);
  const maxFrameSize = u32(r.maxFrameSize, `${path}.maxFrameSize`);
  const stepping = u32(r.stepping, `${path}.stepping`);
  if (minFrameSize > maxFrameSize) {
    throw argumentError('range', `${path}.maxFrameSize`, maxFrameSize, `at least minFrameSize (${minFrameSize})`);
  }
  return { minFrameSize, maxFrameSize, stepping };
}

function compression(value: unknown, path: string): Compression {
  const c = record(value, path, COMPRESSION_KEYS);
  return {
    ratioNumerator: u32(c.ratioNumerator, `${path}.ratioNumerator`),
    ratioDenominator: u32(c.ratioDenominator, `${path}.ratioDenominator`, 1),
    ratioConstantMargin: u32(c.ratioConstantMargin, `${path}.ratioConstantMargin`),
  };
}

function item(value: unknown, path: string): FramingItem {
  const i = record(value, path, ITEM_KEYS);
  const flags = u32(i.flags, `${path}.flags`);
  if ((flags & ~FRAMING_ITEM_FLAGS_MASK) !== 0) {
    throw argumentError('range', `${path}.flags`, flags, 'KSALLOCATOR_REQUIREMENTF_* | KSALLOCATOR_FLAG_* bits');
  }
  const fileAlignment = u32(i.fileAlignment, `${path}.fileAlignment`);
  if (!isAlignmentMask(fileAlignment)) {
    throw argumentError('range', `${path}.fileAlignment`, fileAlignment, 'an alignment mask 2^k − 1');
  }
  const fr = record(i.framingRange, `${path}.framingRange`, WEIGHTED_KEYS);
  const framingRange: FramingRangeWeighted = {
    range: range(fr.range, `${path}.framingRange.range`),
    inPlaceWeight: u32(fr.inPlaceWeight, `${path}.framingRange.inPlaceWeight`),
    notInPlaceWeight: u32(fr.notInPlaceWeight, `${path}.framingRange.notInPlaceWeight`),
  };
  return {
    memoryType: guid(i.memoryType, `${path}.memoryType`),
    busType: guid(i.busType, `${path}.busType`),
    memoryFlags: u32(i.memoryFlags, `${path}.memoryFlags`),
    busFlags: u32(i.busFlags, `${path}.busFlags`),
    flags,
    frames: u32(i.frames, `${path}.frames`),
    fileAlignment,
    memoryTypeWeight: u32(i.memoryTypeWeight, `${path}.memoryTypeWeight`),
    physicalRange: range(i.physicalRange, `${path}.physicalRange`),
    framingRange,
  };
}

function framingEx(value: unknown, path: string): AllocatorFramingEx | null {
  if (value === null) return null;
  const f = record(value, path, FRAMING_KEYS);
  const items = array(f.items, `${path}.items`, MAX_ITEMS);
  if (items.length === 0) throw argumentError('range', `${path}.items.length`, 0, `1..${MAX_ITEMS} items`);
  return {
    pinFlags: u32(f.pinFlags, `${path}.pinFlags`),
    outputCompression: compression(f.outputCompression, `${path}.outputCompression`),
    pinWeight: u32(f.pinWeight, `${path}.pinWeight`),
    items: items.map((it, k) => item(it, `${path}.items[${k}]`)),
  };
}

function vendorAllocator(value: unknown, path: string): VendorAllocator | null {
  if (value === undefined || value === null) return null;
  const a = record(value, path, ALLOCATOR_KEYS);
  const memoryTypes = array(a.memoryTypes, `${path}.memoryTypes`, MAX_ITEMS).map((g, k) =>
    guid(g, `${path}.memoryTypes[${k}]`),
  );
  if (memoryTypes.length === 0) throw argumentError('range', `${path}.memoryTypes.length`, 0, 'at least 1');
  const fileAlignment = u32(a.fileAlignment, `${path}.fileAlignment`);
  if (!isAlignmentMask(fileAlignment)) {
    throw argumentError('range', `${path}.fileAlignment`, fileAlignment, 'an alignment mask 2^k − 1');
  }
  return {
    id: id(a.id, `${path}.id`, true),
    memoryTypes,
    sizeRange: range(a.sizeRange, `${path}.sizeRange`),
    fileAlignment,
    maxFrames: u32(a.maxFrames, `${path}.maxFrames`, 1),
  };
}

/**
 * Validates a {@link NegotiationDescription} and links it into the internal graph model.
 * @throws TypeError / RangeError naming the offending path (e.g. `description.filters[2].pins[0].dataFlow`)
 * @internal
 */
export function buildGraphModel(description: unknown): GraphModel {
  const d = record(description, 'description', DESCRIPTION_KEYS);
  const strategy = optU32(d.strategy, 'description.strategy', -1, 0, 0xf);
  let enforceInputPinRanges = false;
  let maxFrames = DEFAULT_MAX_FRAMES;
  if (d.options !== undefined) {
    const o = record(d.options, 'description.options', OPTIONS_KEYS);
    enforceInputPinRanges = bool(o.enforceInputPinRanges, 'description.options.enforceInputPinRanges', false);
    maxFrames = optU32(o.maxFrames, 'description.options.maxFrames', DEFAULT_MAX_FRAMES, 1);
  }
  const filterValues = array(d.filters, 'description.filters');
  const filters: FilterNode[] = [];
  const filterIds = new Set<string>();
  const pinsByRef = new Map<string, PinNode>();
  const allocatorIds = new Set<string>();
  for (let fi = 0; fi < filterValues.length; fi++) {
    const fpath = `description.filters[${fi}]`;
    const f = record(filterValues[fi], fpath, FILTER_KEYS);
    const filterId = id(f.id, `${fpath}.id`, true);
    if (filterIds.has(filterId)) throw argumentError('type', `${fpath}.id`, filterId, 'a filter id not used before');
    filterIds.add(filterId);
    const filterUser = bool(f.userMode, `${fpath}.userMode`, false);
    const filter: FilterNode = { id: filterId, index: fi, pins: [], inputs: [], outputs: [] };
    const pinValues = array(f.pins, `${fpath}.pins`);
    for (let pi = 0; pi < pinValues.length; pi++) {
      const ppath = `${fpath}.pins[${pi}]`;
      const p = record(pinValues[pi], ppath, PIN_KEYS);
      const pinId = id(p.id, `${ppath}.id`, false);
      const ref = `${filterId}.${pinId}`;
      if (pinsByRef.has(ref))
        throw argumentError('type', `${ppath}.id`, pinId, 'a pin id not used before in the filter');
      if (p.dataFlow !== 'in' && p.dataFlow !== 'out') {
        throw argumentError('type', `${ppath}.dataFlow`, p.dataFlow, '"in" or "out"');
      }
      const dataFlow = p.dataFlow;
      const framing = framingEx(p.allocatorFraming, `${ppath}.allocatorFraming`);
      const userMode = bool(p.userMode, `${ppath}.userMode`, filterUser);
      const allocator = vendorAllocator(p.allocator, `${ppath}.allocator`);
      if (allocator !== null) {
        if (userMode) {
          throw argumentError(
            'type',
            `${ppath}.allocator`,
            allocator.id,
            'null on a user-mode pin (no kernel dispatch)',
          );
        }
        if (allocatorIds.has(allocator.id)) {
          throw argumentError('type', `${ppath}.allocator.id`, allocator.id, 'an allocator id not used before');
        }
        allocatorIds.add(allocator.id);
      }
      let queueDepth = 0;
      let trailingWindow = 0;
      let clonesKept = 0;
      let pinMaxFrames: number | null = null;
      if (p.frameHolding !== undefined) {
        const hpath = `${ppath}.frameHolding`;
        const h = record(p.frameHolding, hpath, HOLDING_KEYS);
        queueDepth = optU32(h.queueDepth, `${hpath}.queueDepth`, 0, 0, MAX_HOLD);
        trailingWindow = optU32(h.trailingWindow, `${hpath}.trailingWindow`, 0, 0, MAX_HOLD);
        clonesKept = optU32(h.clonesKept, `${hpath}.clonesKept`, 0, 0, MAX_HOLD);
        if (h.maxFrames !== undefined) pinMaxFrames = u32(h.maxFrames, `${hpath}.maxFrames`, 1);
      }
      let counterpartId: string | null = null;
      if (p.inPlaceCounterpart !== undefined && p.inPlaceCounterpart !== null) {
        counterpartId = id(p.inPlaceCounterpart, `${ppath}.inPlaceCounterpart`, false);
      }
      const splitter = bool(p.splitter, `${ppath}.splitter`, false);
      if (splitter && dataFlow !== 'out') throw argumentError('type', `${ppath}.splitter`, true, 'false on an input');
      const sinkFlag = bool(p.sink, `${ppath}.sink`, false);
      if (sinkFlag && dataFlow !== 'in') throw argumentError('type', `${ppath}.sink`, true, 'false on an output');
      let flagsUnion = 0;
      if (framing) for (const it of framing.items) flagsUnion |= it.flags;
      const node: PinNode = {
        ref,
        filter,
        dataFlow,
        framing,
        userMode,
        readOnly: bool(p.readOnly, `${ppath}.readOnly`, false),
        splitter,
        sinkFlag,
        allocator,
        queueDepth,
        trailingWindow,
        clonesKept,
        maxFrames: pinMaxFrames,
        flagsUnion: flagsUnion >>> 0,
        counterpart: null,
        peers: [],
        _counterpartId: counterpartId,
      };
      pinsByRef.set(ref, node);
      filter.pins.push(node);
      (dataFlow === 'in' ? filter.inputs : filter.outputs).push(node);
    }
    filters.push(filter);
  }
  for (const filter of filters) linkCounterparts(filter, pinsByRef);

  const connectionValues = array(d.connections, 'description.connections');
  for (let ci = 0; ci < connectionValues.length; ci++) {
    const cpath = `description.connections[${ci}]`;
    const c = record(connectionValues[ci], cpath, CONNECTION_KEYS);
    const from = pinRef(c.from, `${cpath}.from`, pinsByRef);
    const to = pinRef(c.to, `${cpath}.to`, pinsByRef);
    if (from.dataFlow !== 'out') throw argumentError('type', `${cpath}.from`, from.ref, 'an output pin');
    if (to.dataFlow !== 'in') throw argumentError('type', `${cpath}.to`, to.ref, 'an input pin');
    if (to.peers.length > 0) throw argumentError('type', `${cpath}.to`, to.ref, 'an input pin not connected before');
    if (from.peers.length > 0 && !from.splitter) {
      throw argumentError('type', `${cpath}.from`, from.ref, 'an unconnected output or a splitter output');
    }
    if (from.filter === to.filter) throw argumentError('type', `${cpath}.to`, to.ref, 'a pin of another filter');
    from.peers.push(to);
    to.peers.push(from);
  }
  return {
    filters,
    strategy: strategy < 0 ? 0x3 : strategy,
    enforceInputPinRanges,
    maxFrames,
  };
}

function pinRef(value: unknown, path: string, pins: Map<string, PinNode>): PinNode {
  if (typeof value !== 'string') throw argumentError('type', path, value, 'a "filterId.pinId" string');
  const pin = pins.get(value);
  if (!pin) throw argumentError('type', path, value, 'a "filterId.pinId" of a described pin');
  return pin;
}

const INPLACE_MODIFIER = 0x1;

function linkCounterparts(filter: FilterNode, pins: Map<string, PinNode>): void {
  for (const pin of filter.pins) {
    const cid = pin._counterpartId;
    if (cid === null) continue;
    const path = `description.filters[${filter.index}].pins[${filter.pins.indexOf(pin)}].inPlaceCounterpart`;
    const other = pins.get(`${filter.id}.${cid}`);
    if (!other || other.dataFlow === pin.dataFlow) {
      throw argumentError('type', path, cid, `the id of a pin of the opposite direction on filter "${filter.id}"`);
    }
    if (other.counterpart !== null && other.counterpart !== pin) {
      throw argumentError('type', path, cid, 'a pin that is not already the counterpart of another pin');
    }
    if (pin.counterpart !== null && pin.counterpart !== other) {
      throw argumentError('type', path, cid, 'the pin that names this pin as its counterpart');
    }
    pin.counterpart = other;
    other.counterpart = pin;
  }
  // INPLACE_MODIFIER on an input with exactly one output (or on the output of a one-input, one-output filter):
  // that output is its counterpart.
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
