import { createDefaultAllocator } from '../allocator/default-allocator.js';
import type { AllocatorCapabilities, FrameAllocator } from '../allocator/types.js';
import { createUserMemoryAllocator } from '../allocator/user-memory-allocator.js';
import { MAX_ALLOCATOR_FRAMES } from '../allocator/validate.js';
import { createVendorAllocator } from '../allocator/vendor-allocator.js';
import { argumentError, StateError, StreamError } from '../errors.js';
import { Filter } from '../filter/filter.js';
import type { FilterDescriptor } from '../filter/filter-descriptor.js';
import { FilterFactory } from '../filter/filter-factory.js';
import { GUID_NULL, MAX_FILE_ALIGNMENT, RequirementFlags } from '../framing/constants.js';
import { type KsDataFormat, validateDataFormat } from '../pin/data-format.js';
import { connectPins, disconnectPins, linkInPlace, Pin, type PinStateObserver } from '../pin/pin.js';
import { DataFlow } from '../pin/pin-descriptor.js';
import { PinFlags } from '../pin/pin-flags.js';
import { defaultWorkScheduler, type WorkScheduler } from '../processing/scheduler.js';
import { clearDelegateBranches } from '../processing/splitter-branches.js';
import { clearPipeSource, setPipeSource } from '../processing/wiring.js';
import { KsState, type KsStateValue, ksStateName } from '../state.js';
import { Status, type StatusCode, statusName } from '../status.js';
import { checkScheduler } from '../stream/scheduler.js';
import { SinkEndpoint, type SinkEndpointOptions } from './endpoints/sink-endpoint.js';
import { SourceEndpoint, type SourceEndpointOptions } from './endpoints/source-endpoint.js';
import type {
  AddFilterOptions,
  ConnectOptions,
  EndpointLike,
  GraphConnection,
  GraphOptions,
  GraphPipe,
  PinRef,
} from './graph-types.js';
import { intersectionCandidates } from './intersect.js';
import type {
  ConnectionDescription,
  FilterDescription,
  NegotiationDescription,
  PinDescription,
  VendorAllocatorDescription,
} from './negotiation/description.js';
import { negotiate } from './negotiation/negotiate.js';
import type { NegotiationRecord, PipeDecision } from './negotiation/record.js';
import { livePipePins, type SplitterRoles, wireSplitters } from './splitter-pipes.js';

/** @internal one filter of the graph. */
interface GraphNode {
  readonly id: string;
  readonly filter: Filter;
  /** The endpoint behind a user-mode end, or null for a kernel filter. */
  readonly endpoint: SourceEndpoint | SinkEndpoint | null;
  /** The graph created the filter instance (and closes it on remove). */
  readonly owned: boolean;
}

/** @internal a connection and the pins the graph created for it. */
interface ConnectionEntry extends GraphConnection {
  readonly createdOutput: boolean;
  readonly createdInput: boolean;
}

/** @internal the live description: ids ↔ pins. */
interface LiveDescription {
  readonly description: NegotiationDescription;
  readonly pins: Map<string, Pin>;
  /** Each SPLITTER output pin type (its description key `filter.outT`) → its instances, in creation order. */
  readonly splitters: Map<string, Pin[]>;
}

/** True when a pin's instance framing has REQUIREMENTF_INPLACE_MODIFIER in an item (the pin can modify in place). */
function modifiesInPlace(pin: Pin): boolean {
  const items = pin.allocatorFraming?.items;
  if (!items) return false;
  for (const item of items) if ((item.flags & RequirementFlags.inplaceModifier) !== 0) return true;
  return false;
}

/** Undeclared vendor capabilities: the vendor serves any framing (documented in docs/graph.md). */
const ANY_CAPABILITIES: AllocatorCapabilities = Object.freeze({
  memoryTypes: Object.freeze([GUID_NULL]),
  sizeRange: Object.freeze({ minFrameSize: 1, maxFrameSize: 0xffffffff, stepping: 1 }),
  fileAlignment: MAX_FILE_ALIGNMENT,
  maxFrames: MAX_ALLOCATOR_FRAMES,
});

const ID_PATTERN = /^[A-Za-z0-9_\-:#@+]+$/;

const noop = (): void => undefined;

/** The default yield scheduler: a macrotask, so other work gets the event loop between a requester's bursts. */
const macrotaskScheduler: WorkScheduler = (task) => {
  setTimeout(task, 0);
};

/**
 * The graph manager (KsProxy's role, spec §7): it holds filters and user-mode endpoints, connects output pins to input
 * pins with data-format intersection, drives every pin through state changes, and at STOP→ACQUIRE negotiates one
 * allocator per pipe, creates and initializes it, and wires the requester at the pipe's source; at →STOP, once every
 * frame is back, it deletes the allocators and tears the pipes down.
 *
 * State order (docs/graph.md): going **up** (STOP→ACQUIRE→PAUSE→RUN) downstream filters step first, so a consumer is
 * ready before its producer starts; going **down** upstream filters step first, so producers stop before consumers
 * and frames in flight drain into pins that still accept them. Every transition is one step at a time across the
 * whole graph (RUN→STOP = RUN→PAUSE, PAUSE→ACQUIRE, ACQUIRE→STOP).
 *
 * @example
 * ```ts
 * const graph = new Graph();
 * const invert = graph.addFilter(invertDescriptor, { id: 'invert' });
 * const source = graph.addSource({ id: 'app' });
 * const sink = graph.addSink({ id: 'out' });
 * graph.connect(source, { filter: invert, pin: 0 });
 * graph.connect({ filter: invert, pin: 1 }, sink);
 * console.log(formatDecisionRecord(graph.negotiate()));
 * graph.run();
 * ```
 */
export class Graph {
  /** The options the graph was made with. */
  readonly options: GraphOptions;
  private readonly _nodes: GraphNode[] = [];
  private readonly _byFilter = new Map<Filter, GraphNode>();
  private readonly _connections: ConnectionEntry[] = [];
  private readonly _observed = new Map<Pin, () => void>();
  private readonly _observer: PinStateObserver;
  private _state: KsStateValue = KsState.stop;
  private _pipes: GraphPipe[] | null = null;
  private _record: NegotiationRecord | null = null;
  private _idle: Promise<void> = Promise.resolve();
  private _transitioning = false;
  private _failure: unknown = null;
  private _error: StreamError | null = null;
  private _removeRunSignal: () => void = noop;
  private _stopOnError = false;
  private _nextId = 0;
  /** The splitter delegates whose branches share their frames while the pipes exist. */
  private _splitterDelegates: Pin[] = [];
  /** @internal the work scheduler of the filters the graph creates: errors thrown by their tasks reach the graph. */
  readonly _scheduler: WorkScheduler;
  private readonly _yieldScheduler: WorkScheduler;

  constructor(options: GraphOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a GraphOptions object or undefined');
    }
    checkGraphOptions(options);
    this.options = options;
    const base = options.scheduler ?? defaultWorkScheduler;
    const yieldBase = options.yieldScheduler ?? macrotaskScheduler;
    // One closure per scheduled task (a burst or an async attempt), never per frame.
    this._scheduler = (task) => base(() => this._guard(task));
    this._yieldScheduler = (task) => yieldBase(() => this._guard(task));
    this._observer = {
      willPinState: (pin, from, to) => this._willPinState(pin, from, to),
      onPinState: (pin, from, to) => this._onPinState(pin, from, to),
    };
  }

  // ------------------------------------------------------------------ filters

  /**
   * Adds a filter: from a {@link FilterFactory} or a {@link FilterDescriptor} (the graph creates the instance), or an
   * existing {@link Filter} instance. Only in STOP.
   * @returns the filter instance
   * @throws TypeError for a bad source or a duplicate id; StateError outside STOP or when Create fails
   */
  addFilter(source: FilterFactory | FilterDescriptor | Filter, options: AddFilterOptions = {}): Filter {
    this.assertStopped('addFilter');
    let filter: Filter;
    let owned = true;
    if (source instanceof Filter) {
      filter = source;
      owned = false;
      if (this._byFilter.has(filter)) throw argumentError('type', 'source', 'a filter of this graph', 'a new filter');
    } else if (source instanceof FilterFactory) {
      filter = source.createFilter(options.context ?? null);
    } else if (source !== null && typeof source === 'object' && Array.isArray(source.pinDescriptors)) {
      filter = new FilterFactory(source, {
        scheduler: this._scheduler,
        ...(this.options.timers ? { timers: this.options.timers } : {}),
      }).createFilter(options.context ?? null);
    } else {
      throw argumentError('type', 'source', source, 'a FilterFactory, a FilterDescriptor or a Filter');
    }
    this.addNode(filter, options.id, null, owned);
    return filter;
  }

  /**
   * Adds a user-mode source endpoint (the application writes frames into the graph). Connect it with
   * `graph.connect(source, { filter, pin })`.
   */
  addSource(options: SourceEndpointOptions = {}): SourceEndpoint {
    this.assertStopped('addSource');
    const endpoint = new SourceEndpoint(this, options);
    this.addNode(endpoint._endpointFilter, options.id ?? this.freshId('source'), endpoint, true);
    return endpoint;
  }

  /**
   * Adds a user-mode sink endpoint (the application reads frames leaving the graph). Connect it with
   * `graph.connect({ filter, pin }, sink)`.
   */
  addSink(options: SinkEndpointOptions = {}): SinkEndpoint {
    this.assertStopped('addSink');
    const endpoint = new SinkEndpoint(this, options);
    this.addNode(endpoint._endpointFilter, options.id ?? this.freshId('sink'), endpoint, true);
    return endpoint;
  }

  private freshId(prefix: string): string {
    let id: string;
    do id = `${prefix}${this._nextId++}`;
    while (this._nodes.some((n) => n.id === id));
    return id;
  }

  private addNode(
    filter: Filter,
    id: string | undefined,
    endpoint: SourceEndpoint | SinkEndpoint | null,
    owned: boolean,
  ): void {
    const nodeId = id ?? this.freshId('f');
    if (typeof nodeId !== 'string' || !ID_PATTERN.test(nodeId)) {
      if (owned && endpoint === null) filter.close();
      throw argumentError('type', 'options.id', nodeId, 'an id of letters, digits, _ - : # @ + (no ".")');
    }
    if (this._nodes.some((n) => n.id === nodeId)) {
      if (owned && endpoint === null) filter.close();
      throw argumentError('type', 'options.id', nodeId, 'an id not used yet in this graph');
    }
    const node: GraphNode = { id: nodeId, filter, endpoint, owned };
    this._nodes.push(node);
    this._byFilter.set(filter, node);
    for (let t = 0; t < filter.pinTypeCount; t++) for (const pin of filter.pins(t)) this.observe(pin);
  }

  /**
   * Removes a filter or endpoint: disconnects its connections and closes the instance if the graph created it.
   * Only in STOP.
   */
  removeFilter(filter: Filter | EndpointLike): void {
    this.assertStopped('removeFilter');
    const f = filter instanceof Filter ? filter : filter._endpointFilter;
    const node = this._byFilter.get(f);
    if (!node) throw argumentError('type', 'filter', 'not in this graph', 'a filter of this graph');
    for (const c of [...this._connections]) {
      if (c.output.filter === f || c.input.filter === f) this.disconnect(c);
    }
    for (let t = 0; t < f.pinTypeCount; t++) for (const pin of f.pins(t)) this.unobserve(pin);
    this._nodes.splice(this._nodes.indexOf(node), 1);
    this._byFilter.delete(f);
    node.endpoint?._onRemoved();
    if (node.owned) f.close();
  }

  /** The filters and endpoint filters of the graph, in insertion order. */
  get filters(): readonly Filter[] {
    return this._nodes.map((n) => n.filter);
  }

  /** The id of a filter (or endpoint) of this graph, as used in decision records. */
  idOf(filter: Filter | EndpointLike): string {
    const f = filter instanceof Filter ? filter : filter._endpointFilter;
    const node = this._byFilter.get(f);
    if (!node) throw argumentError('type', 'filter', 'not in this graph', 'a filter of this graph');
    return node.id;
  }

  /** The filter with this id, or null. */
  filterById(id: string): Filter | null {
    return this._nodes.find((n) => n.id === id)?.filter ?? null;
  }

  // ------------------------------------------------------------------ connections

  /**
   * Connects an output pin to an input pin. For a pin type (`{ filter, pin }`) the graph creates the instance: the
   * candidate formats come from data intersection (each output range in order × each GUID-compatible input range;
   * the input's intersect handler, else the output's, else the default intersection, docs/graph.md); each candidate
   * is set on both pins (their SetDataFormat walk, `noMatch` → the next range) and the first both accept becomes
   * each pin's connection format. An existing pin instance keeps its format (the other side must accept it). Then
   * the Connect dispatch runs (connectPins). A pin connected to an endpoint gets `connectionIsExternal`. Only in STOP.
   * @throws TypeError for wrong directions / pins already connected / pins of another graph; StateError `noMatch`
   *   when no format fits (nothing is left created)
   */
  connect(from: PinRef, to: PinRef, options: ConnectOptions = {}): GraphConnection {
    this.assertStopped('connect');
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'an object { format? } or undefined');
    }
    if (options.format !== undefined) validateDataFormat(options.format, 'options.format');
    const out = this.resolveRef(from, 'from', DataFlow.out);
    const inp = this.resolveRef(to, 'to', DataFlow.in);
    if (this.feeds(inp.filter, out.filter)) {
      throw argumentError(
        'type',
        'to',
        this.describePinType(inp),
        `a pin of a filter that does not feed ${this.describePinType(out)} (the connection would close a cycle)`,
      );
    }
    const created: Pin[] = [];
    const closeCreated = (): void => {
      for (const p of created) {
        this.unobserve(p);
        p.close();
      }
    };
    let output: Pin | null = out.pin;
    let input: Pin | null = inp.pin;
    let format: KsDataFormat | null = null;
    let lastStatus: StatusCode = Status.noMatch;
    let lastError: unknown = null;
    // Existing instances whose format this connection changed (KSPROPERTY_CONNECTION_DATAFORMAT), to restore.
    const changed: Array<{ pin: Pin; format: KsDataFormat }> = [];
    const restoreFormats = (): void => {
      for (let k = changed.length - 1; k >= 0; k--) {
        try {
          changed[k]!.pin.setDataFormat(changed[k]!.format);
        } catch {
          // best effort: the pin keeps the format it took
        }
      }
      changed.length = 0;
    };
    const tryFormat = (candidate: KsDataFormat): boolean => {
      try {
        // An existing instance with another format must accept this one (its SetDataFormat walk with its old format;
        // FIXED_FORMAT ⇒ invalidDeviceRequest): both ends of a connection carry the connection's format.
        for (const existing of [out.pin, inp.pin]) {
          if (existing === null || existing.connectionFormat === candidate) continue;
          const old = existing.connectionFormat!;
          existing.setDataFormat(candidate);
          changed.push({ pin: existing, format: old });
        }
        if (output === null) {
          output = out.filter.createPin(out.pinId, candidate);
          created.push(output);
        }
        if (input === null) {
          input = inp.filter.createPin(inp.pinId, candidate);
          created.push(input);
        }
        return true;
      } catch (error) {
        restoreFormats();
        if (error instanceof StateError && error.status === Status.noMatch) {
          closeCreated();
          created.length = 0;
          output = out.pin;
          input = inp.pin;
          lastError = error;
          return false;
        }
        closeCreated();
        throw error;
      }
    };
    if (options.format !== undefined) {
      if (tryFormat(options.format)) format = options.format;
    } else if (out.pin !== null || inp.pin !== null) {
      const fixed = (out.pin ?? inp.pin)!.connectionFormat;
      if (fixed === null) throw argumentError('type', 'pin.connectionFormat', null, 'a pin with a format');
      if (tryFormat(fixed)) format = fixed;
    } else {
      const outDescriptor = out.filter.descriptor.pinDescriptors[out.pinId]!;
      const inDescriptor = inp.filter.descriptor.pinDescriptors[inp.pinId]!;
      let handlerError: StatusCode | null = null;
      for (const c of intersectionCandidates(outDescriptor, inDescriptor, out.filter, inp.filter, (s) => {
        lastStatus = s;
        if (s !== Status.noMatch) handlerError = s;
      })) {
        if (tryFormat(c.format)) {
          format = c.format;
          break;
        }
      }
      if (handlerError !== null) {
        closeCreated();
        throw new StateError(
          `connect ${this.describePinType(out)} → ${this.describePinType(inp)}: the intersect handler returned ${statusName(handlerError)}; expected a format or noMatch`,
          handlerError,
        );
      }
    }
    if (format === null || output === null || input === null) {
      closeCreated();
      const why = lastError instanceof Error ? ` (${lastError.message})` : ` (last status ${statusName(lastStatus)})`;
      throw new StateError(
        `connect ${this.describePinType(out)} → ${this.describePinType(inp)}: pins without a common data format are not allowed; expected a format both pins accept${why}`,
        Status.noMatch,
      );
    }
    const o: Pin = output;
    const i: Pin = input;
    try {
      connectPins(o, i);
    } catch (error) {
      closeCreated();
      restoreFormats();
      throw error;
    }
    for (const p of created) this.observe(p);
    const outNode = this._byFilter.get(o.filter)!;
    const inNode = this._byFilter.get(i.filter)!;
    const userMode = outNode.endpoint !== null || inNode.endpoint !== null;
    if (inNode.endpoint !== null) o.connectionIsExternal = true;
    if (outNode.endpoint !== null) i.connectionIsExternal = true;
    const entry: ConnectionEntry = {
      output: o,
      input: i,
      format,
      userMode,
      createdOutput: created.includes(o),
      createdInput: created.includes(i),
    };
    this._connections.push(entry);
    outNode.endpoint?._attach(o);
    inNode.endpoint?._attach(i);
    return entry;
  }

  /**
   * Disconnects a connection (or the connection of an output or input pin): the sink side's Disconnect dispatch
   * runs, and pin instances the graph created for it are closed. Only in STOP.
   */
  disconnect(connection: GraphConnection | Pin): void {
    this.assertStopped('disconnect');
    const entry = this._connections.find((c) =>
      connection instanceof Pin ? c.output === connection || c.input === connection : c === connection,
    );
    if (!entry) throw argumentError('type', 'connection', 'not connected', 'a connection of this graph');
    this._connections.splice(this._connections.indexOf(entry), 1);
    disconnectPins(entry.output);
    entry.output.connectionIsExternal = false;
    entry.input.connectionIsExternal = false;
    this._byFilter.get(entry.output.filter)?.endpoint?._detach(entry.output);
    this._byFilter.get(entry.input.filter)?.endpoint?._detach(entry.input);
    if (entry.createdOutput) {
      this.unobserve(entry.output);
      entry.output.close();
    }
    if (entry.createdInput) {
      this.unobserve(entry.input);
      entry.input.close();
    }
  }

  /** The connections, in the order they were made. */
  get connections(): readonly GraphConnection[] {
    return this._connections;
  }

  private resolveRef(ref: PinRef, name: string, flow: number): { filter: Filter; pinId: number; pin: Pin | null } {
    let filter: Filter;
    let pinId: number;
    let pin: Pin | null = null;
    if (ref instanceof Pin) {
      pin = ref;
      filter = ref.filter;
      pinId = ref.id;
      if (ref.peer !== null) throw argumentError('type', name, 'a connected pin', 'a pin that is not connected');
    } else if (ref !== null && typeof ref === 'object' && '_endpointFilter' in ref) {
      filter = ref._endpointFilter;
      pinId = 0;
    } else if (ref !== null && typeof ref === 'object' && ref.filter instanceof Filter) {
      filter = ref.filter;
      pinId = ref.pin;
    } else {
      throw argumentError('type', name, ref, 'a Pin, an endpoint or { filter, pin }');
    }
    if (!this._byFilter.has(filter))
      throw argumentError('type', `${name}.filter`, 'not in this graph', 'a filter added to this graph');
    const pd = Number.isInteger(pinId) ? filter.descriptor.pinDescriptors[pinId] : undefined;
    if (!pd) throw argumentError('range', `${name}.pin`, pinId, `a pin id 0–${filter.pinTypeCount - 1}`);
    if (pd.dataFlow !== flow) {
      throw argumentError(
        'type',
        `${name}.pin`,
        pinId,
        flow === DataFlow.out ? 'an output pin (DataFlow.out)' : 'an input pin (DataFlow.in)',
      );
    }
    return { filter, pinId, pin };
  }

  /** True when frames from `from` can reach `to` through the connections (or they are the same filter). */
  private feeds(from: Filter, to: Filter): boolean {
    const seen = new Set<Filter>([from]);
    const stack: Filter[] = [from];
    for (let f = stack.pop(); f !== undefined; f = stack.pop()) {
      if (f === to) return true;
      for (const c of this._connections) {
        if (c.output.filter === f && !seen.has(c.input.filter)) {
          seen.add(c.input.filter);
          stack.push(c.input.filter);
        }
      }
    }
    return false;
  }

  private describePinType(r: { filter: Filter; pinId: number }): string {
    return `${this._byFilter.get(r.filter)?.id ?? '?'}.${r.pinId}`;
  }

  // ------------------------------------------------------------------ negotiation

  /**
   * The decision record for the current graph (spec §7): builds the engine's description from the live pins and
   * negotiates. No side effect: no allocator is created, no vendor callback runs.
   * @throws NegotiationError carrying the record when a pipe cannot be resolved
   */
  negotiate(): NegotiationRecord {
    return negotiate(this.describe());
  }

  /**
   * The plain negotiation description of the live graph: every pin instance with its instance framing (after
   * KsEdit), user-mode ends (endpoints), in-place counterparts (linked pins), SPLITTER output pin types (described
   * once, with every instance's connection in instance order: read-only consumers share the splitter's pipe, a
   * modifier gets a `branchOf` pipe fed by copies — docs/graph.md "Splitters"), vendor allocator capabilities
   * (`dispatch.allocatorCapabilities`, or unconstrained when undeclared) and declared frame holding.
   */
  describe(): NegotiationDescription {
    return this.liveDescription().description;
  }

  /** The record of the pipes that exist now (from the last STOP→ACQUIRE), or null in STOP. */
  get record(): NegotiationRecord | null {
    return this._pipes === null ? null : this._record;
  }

  private liveDescription(): LiveDescription {
    const pins = new Map<string, Pin>();
    const keyOf = new Map<Pin, string>();
    const splitters = new Map<string, Pin[]>();
    const filters: FilterDescription[] = [];
    for (const node of this._nodes) {
      const f = node.filter;
      const list: PinDescription[] = [];
      const byKey = new Map<string, PinDescription>();
      for (let t = 0; t < f.pinTypeCount; t++) {
        const instances = f.pins(t);
        const splitter =
          ((f.descriptor.pinDescriptors[t]!.flags ?? 0) & PinFlags.splitter) !== 0 &&
          f.descriptor.pinDescriptors[t]!.dataFlow === DataFlow.out;
        instances.forEach((pin, k) => {
          const base = `${pin.dataFlow === DataFlow.in ? 'in' : 'out'}${t}`;
          const key = k === 0 ? base : `${base}_${k}`;
          pins.set(`${node.id}.${key}`, pin);
          if (splitter) {
            // One description pin for the whole SPLITTER pin type: every instance's connection is a connection of
            // it (docs/graph.md "Splitters"); the pipes say which instance shares and which copies.
            keyOf.set(pin, base);
            if (k === 0) splitters.set(`${node.id}.${base}`, [...instances]);
            else return;
          } else {
            keyOf.set(pin, key);
          }
          const d: PinDescription = {
            id: key,
            dataFlow: pin.dataFlow === DataFlow.in ? 'in' : 'out',
            allocatorFraming: (pin.allocatorFraming as PinDescription['allocatorFraming']) ?? null,
          };
          if (splitter) d.splitter = true;
          const dispatch = pin.dispatch;
          if (node.endpoint === null && dispatch?.allocator) {
            const caps = dispatch.allocatorCapabilities ?? ANY_CAPABILITIES;
            const vendor: VendorAllocatorDescription = {
              id: `${node.id}.${key}`,
              memoryTypes: [...caps.memoryTypes],
              sizeRange: { ...caps.sizeRange },
              fileAlignment: caps.fileAlignment,
              maxFrames: caps.maxFrames,
            };
            d.allocator = vendor;
          }
          const hold = node.endpoint?._frameHolding ?? pin.descriptor.frameHolding ?? null;
          if (hold) {
            const h: NonNullable<PinDescription['frameHolding']> = {};
            if (hold.queueDepth !== undefined) h.queueDepth = hold.queueDepth;
            if (hold.trailingWindow !== undefined) h.trailingWindow = hold.trailingWindow;
            if (hold.clonesKept !== undefined) h.clonesKept = hold.clonesKept;
            if (hold.maxFrames !== undefined) h.maxFrames = hold.maxFrames;
            d.frameHolding = h;
          }
          list.push(d);
          byKey.set(key, d);
        });
      }
      // In-place counterparts the filter linked itself (linkInPlace); otherwise the engine infers them. [I] A pair
      // neither of whose pins says INPLACE_MODIFIER ("can modify frames in place") only passes frames through: a
      // read-only tap (it keeps FRAME_INTEGRITY; a splitter branch into it shares the splitter's pipe).
      for (let t = 0; t < f.pinTypeCount; t++) {
        for (const pin of f.pins(t)) {
          if (pin.dataFlow !== DataFlow.in || pin.inPlaceCounterpart === null) continue;
          const d = byKey.get(keyOf.get(pin)!);
          const other = keyOf.get(pin.inPlaceCounterpart);
          if (!d || other === undefined) continue;
          d.inPlaceCounterpart = other;
          if (!modifiesInPlace(pin) && !modifiesInPlace(pin.inPlaceCounterpart)) d.readOnly = true;
        }
      }
      const fd: FilterDescription = { id: node.id, pins: list };
      if (node.endpoint !== null) fd.userMode = true;
      filters.push(fd);
    }
    // A splitter pin type's connections are listed together in instance order (the engine keeps the first
    // consumer in the splitter's pipe when no branch only reads).
    const connections: ConnectionDescription[] = [];
    const listed = new Set<string>();
    const describe = (c: GraphConnection): void => {
      connections.push({
        from: `${this._byFilter.get(c.output.filter)!.id}.${keyOf.get(c.output)!}`,
        to: `${this._byFilter.get(c.input.filter)!.id}.${keyOf.get(c.input)!}`,
      });
    };
    for (const c of this._connections) {
      // a pin closed on its own (not through disconnect) ended its connection: nothing flows there any more
      if (!c.output.isOpen || !c.input.isOpen) continue;
      const from = `${this._byFilter.get(c.output.filter)!.id}.${keyOf.get(c.output)!}`;
      const group = splitters.get(from);
      if (group === undefined) {
        describe(c);
      } else if (!listed.has(from)) {
        listed.add(from);
        for (const instance of group) {
          const entry = this._connections.find((e) => e.output === instance);
          if (entry?.input.isOpen) describe(entry);
        }
      }
    }
    const description: NegotiationDescription = { filters, connections };
    if (this.options.strategy !== undefined) description.strategy = this.options.strategy;
    if (this.options.negotiation !== undefined) description.options = { ...this.options.negotiation };
    return { description, pins, splitters };
  }

  // ------------------------------------------------------------------ states

  /** The graph's state: the state every pin was last driven to. */
  get state(): KsStateValue {
    return this._state;
  }

  /**
   * Drives every pin of the graph to `state`, one step at a time (see the class comment for the order). At
   * STOP→ACQUIRE the pipes are created first (negotiation, budget, allocators, requesters, in-place links); a failure
   * there throws (NegotiationError, AllocatorError, StateError) and the graph stays in STOP with nothing created. A
   * pin refusing a step: the pins that already took it step back and the graph stays at the previous state.
   * At →STOP the pipes are torn down (allocators deleted once every frame is back: see {@link whenIdle}).
   */
  setState(state: KsStateValue): void {
    if (state !== 0 && state !== 1 && state !== 2 && state !== 3) {
      throw argumentError('range', 'state', state, 'a KsState value 0–3');
    }
    while (this._state !== state) {
      const from = this._state;
      const to = (from + (state > from ? 1 : -1)) as KsStateValue;
      this.step(from, to);
    }
    // the error state was entered during a step (e.g. the source endpoint's Process drained a waiting write into a
    // throwing filter as the graph rose): stop once the walk is done
    if (this._stopOnError) {
      this._stopOnError = false;
      if (this._state !== KsState.stop) this.setState(KsState.stop);
    }
  }

  /**
   * setState(RUN). With `signal`, aborting it stops the graph (`stop()`), e.g. to end an endless source; an already
   * aborted signal throws its reason and the graph does not start.
   */
  run(options: { readonly signal?: AbortSignal } = {}): void {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'an object { signal? } or undefined');
    }
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw argumentError('type', 'options.signal', signal, 'an AbortSignal');
    }
    if (signal?.aborted) throw signal.reason;
    this.setState(KsState.run);
    if (signal !== undefined) {
      this._removeRunSignal();
      const onAbort = (): void => {
        this._removeRunSignal = noop;
        if (this._state !== KsState.stop || this._pipes !== null) this.stop();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this._removeRunSignal = () => {
        this._removeRunSignal = noop;
        signal.removeEventListener('abort', onAbort);
      };
    }
  }

  /** setState(PAUSE). */
  pause(): void {
    this.setState(KsState.pause);
  }

  /** setState(STOP). */
  stop(): void {
    this.setState(KsState.stop);
  }

  /**
   * Resolves when every allocator of the pipes torn down so far is deleted (all frames back). After `stop()` with
   * no frame held by the application this is already the case.
   */
  whenIdle(): Promise<void> {
    return this._idle;
  }

  /** The pipes that exist now (empty in STOP). */
  get pipes(): readonly GraphPipe[] {
    return this._pipes ?? [];
  }

  /**
   * The live pipe a pin belongs to (its allocator answers KSPROPERTY_STREAMALLOCATOR_STATUS), or null in STOP or
   * for a pin in no pipe. A non-in-place transform's input is in the pipe it ends; its output in the pipe it starts.
   */
  pipeOf(pin: Pin): GraphPipe | null {
    for (const p of this._pipes ?? []) if (p.pins.includes(pin)) return p;
    return null;
  }

  /** The failure an endpoint reported (a source aborted), or null. Cleared at the next STOP→ACQUIRE. */
  get failure(): unknown {
    return this._failure;
  }

  private orderedNodes(upstreamFirst: boolean): GraphNode[] {
    const nodes = this._nodes;
    const indegree = new Map<Filter, number>();
    for (const n of nodes) indegree.set(n.filter, 0);
    for (const c of this._connections) indegree.set(c.input.filter, indegree.get(c.input.filter)! + 1);
    const order: GraphNode[] = nodes.filter((n) => indegree.get(n.filter) === 0);
    for (let head = 0; head < order.length; head++) {
      const f = order[head]!.filter;
      for (const c of this._connections) {
        if (c.output.filter !== f) continue;
        const d = indegree.get(c.input.filter)! - 1;
        indegree.set(c.input.filter, d);
        if (d === 0) order.push(this._byFilter.get(c.input.filter)!);
      }
    }
    for (const n of nodes) if (!order.includes(n)) order.push(n); // a cycle: keep insertion order
    return upstreamFirst ? order : order.reverse();
  }

  private allPins(nodes: readonly GraphNode[]): Pin[] {
    const pins: Pin[] = [];
    for (const n of nodes) for (let t = 0; t < n.filter.pinTypeCount; t++) pins.push(...n.filter.pins(t));
    return pins;
  }

  private step(from: KsStateValue, to: KsStateValue): void {
    const pins = this.allPins(this.orderedNodes(to < from));
    for (const pin of pins) this.observe(pin); // instances the application created itself
    this._transitioning = true;
    try {
      if (from === KsState.stop) {
        this._failure = null;
        this._error = null;
        for (const n of this._nodes) n.endpoint?._onRestart();
        this.createPipes();
      }
      const done: Pin[] = [];
      try {
        for (const pin of pins) {
          if (pin.deviceState === to && pin.clientState === to) continue;
          try {
            pin.setState(to);
          } catch (error) {
            // Refused (the pin stayed where it was): roll the step back below. Accepted, but a follow-up threw (the
            // processing the step triggered — a filter's Process as frames moved): the graph's error state; the
            // walk goes on and setState stops the graph afterwards.
            if (pin.pipeState !== to) throw error;
            this._processingFailed(error);
          }
          done.push(pin);
        }
      } catch (error) {
        for (let k = done.length - 1; k >= 0; k--) {
          try {
            done[k]!.setState(from);
          } catch {
            // best effort: the pin keeps the state it reached
          }
        }
        if (from === KsState.stop) this.teardown();
        throw error;
      }
      if (to === KsState.stop) {
        this.teardown();
        this._removeRunSignal();
      }
      this._state = to;
    } finally {
      this._transitioning = false;
    }
  }

  // ------------------------------------------------------------------ pipes

  private createPipes(): void {
    if (this._pipes !== null) return;
    const live = this.liveDescription();
    const record = negotiate(live.description); // throws NegotiationError with the record
    const created: GraphPipe[] = [];
    const allocators: FrameAllocator[] = [];
    const roles: SplitterRoles[] = [];
    try {
      for (const decision of record.pipes) {
        created.push(this.createPipe(decision, live, allocators, roles));
      }
      this._splitterDelegates = wireSplitters(roles, created, this.options.verifySharedFrames === true);
    } catch (error) {
      for (const p of created) clearPipeSource(p.sourcePin);
      for (const r of roles) clearDelegateBranches(r.delegate);
      for (const a of allocators) a.delete();
      throw error;
    }
    this._record = record;
    this._pipes = created;
  }

  private createPipe(
    decision: PipeDecision,
    live: LiveDescription,
    allocators: FrameAllocator[],
    roles: SplitterRoles[],
  ): GraphPipe {
    const resolved = livePipePins(decision, live.pins, live.splitters, roles);
    const pipePins = resolved.pins;
    const pinOf = resolved.pinOf;
    const sel = decision.allocator!;
    const framing = decision.framing!;
    const allocatorPin = pinOf(sel.pin);
    const sourcePin = pinOf(decision.requester.pin);
    let allocator: FrameAllocator;
    if (sel.kind === 'vendor') {
      const dispatch = allocatorPin.dispatch?.allocator;
      if (!dispatch) throw new StateError(`${sel.pin}: the selected vendor allocator has no dispatch`, Status.notFound);
      allocator = createVendorAllocator(dispatch);
    } else if (sel.kind === 'user') {
      allocator = createUserMemoryAllocator({ ...(this.options.userAllocator ?? {}) });
    } else {
      allocator = createDefaultAllocator({ ...(this.options.defaultAllocator ?? {}) });
    }
    allocators.push(allocator);
    allocator.initialize(allocatorPin, framing); // throws AllocatorError (initializeFailed) with the status
    for (let k = 0; k + 1 < decision.requirements.length; k++) {
      const r = decision.requirements[k]!;
      if (r.role !== 'inPlaceInput' && r.role !== 'readOnlyInput') continue;
      const input = pinOf(r.pin);
      const output = pinOf(decision.requirements[k + 1]!.pin);
      if (input.inPlaceCounterpart !== output) linkInPlace(input, output);
    }
    if (sourcePin.queue === null) {
      throw new StateError(
        `${decision.requester.pin}: the pipe source has no queue (DO_NOT_USE_STANDARD_TRANSPORT); expected a standard-transport pin`,
        Status.notSupported,
      );
    }
    const requester = setPipeSource(sourcePin, allocator, {
      yieldScheduler: this._yieldScheduler,
      ...(this.options.framesPerTurn !== undefined ? { framesPerTurn: this.options.framesPerTurn } : {}),
    });
    return {
      id: decision.id,
      decision,
      allocator,
      allocatorPin,
      sourcePin,
      requester,
      pins: pipePins,
      delegateBranches: resolved.delegateBranches,
      fanOut: null,
    };
  }

  private teardown(): void {
    const pipes = this._pipes;
    if (pipes === null) return;
    this._pipes = null;
    for (const d of this._splitterDelegates) clearDelegateBranches(d);
    this._splitterDelegates = [];
    for (const n of this._nodes) n.endpoint?._onTeardown();
    const waits: Promise<void>[] = [this._idle];
    for (const p of pipes) {
      clearPipeSource(p.sourcePin);
      waits.push(p.allocator.deleteWhenIdle());
    }
    this._idle = Promise.all(waits).then(() => undefined);
  }

  private observe(pin: Pin): void {
    if (this._observed.has(pin)) return;
    this._observed.set(pin, pin.addStateObserver(this._observer));
  }

  private unobserve(pin: Pin): void {
    this._observed.get(pin)?.();
    this._observed.delete(pin);
  }

  /** A pin of the graph leaving STOP on its own (a property request) creates the graph's pipes first. */
  private _willPinState(_pin: Pin, from: KsStateValue, to: KsStateValue): StatusCode | undefined {
    if (!this._transitioning && from === KsState.stop && to !== KsState.stop && this._pipes === null) {
      this.createPipes();
    }
    return undefined;
  }

  /** The last pin of the graph reaching STOP on its own tears the pipes down. */
  private _onPinState(_pin: Pin, _from: KsStateValue, to: KsStateValue): void {
    if (this._transitioning || to !== KsState.stop || this._pipes === null) return;
    for (const p of this._observed.keys()) if (p.deviceState !== KsState.stop) return;
    this.teardown();
  }

  /**
   * The graph's error state: the StreamError (status `unsuccessful`, `cause` = what was thrown) recorded when a
   * filter's process routine threw while frames moved, else null. Cleared at the next STOP→ACQUIRE. See
   * docs/graph.md "Processing errors".
   */
  get error(): StreamError | null {
    return this._error;
  }

  /** @internal runs `task` (a scheduled continuation or an endpoint call); a throw enters the error state. */
  _guard(task: () => void): void {
    try {
      task();
    } catch (error) {
      this._processingFailed(error);
    }
  }

  /**
   * @internal A process routine threw while frames moved (caught at an endpoint call or a scheduled task of the
   * graph): the graph records the error, fails every endpoint (pending and later reads/writes reject with it) and
   * stops (the flush at STOP brings every frame back). Returns the graph's error.
   */
  _processingFailed(cause: unknown): StreamError {
    if (this._error !== null) return this._error;
    const text = cause instanceof Error ? cause.message : String(cause);
    const error = new StreamError(
      `graph: a process routine threw while frames moved (${text}); the graph stopped`,
      Status.unsuccessful,
      { cause },
    );
    this._error = error;
    if (this._failure === null) this._failure = error;
    for (const n of this._nodes) {
      if (n.endpoint instanceof SinkEndpoint) n.endpoint._fail(error, true);
      else if (n.endpoint instanceof SourceEndpoint) n.endpoint._fail(error);
    }
    if (this._transitioning) {
      this._stopOnError = true;
    } else {
      try {
        this.stop();
      } catch {
        // a pin refusing STOP keeps its state; the error state stands
      }
    }
    try {
      this.options.onError?.(error);
    } catch {
      // the application's callback cannot undo the error state
    }
    return error;
  }

  /** @internal an endpoint failed (a source aborted): sinks error with it. */
  _endpointFailed(reason: unknown): void {
    if (this._failure === null) this._failure = reason;
    for (const n of this._nodes) if (n.endpoint instanceof SinkEndpoint) n.endpoint._fail(reason);
  }

  /**
   * Stops the graph (frames come back, allocators are deleted once idle: see {@link whenIdle}), then removes every
   * filter and endpoint, closing the instances the graph created. The graph is empty afterwards and can be reused.
   */
  close(): void {
    this.stop();
    for (const node of [...this._nodes].reverse()) this.removeFilter(node.endpoint ?? node.filter);
  }

  /** `using graph = new Graph()`: {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  private assertStopped(what: string): void {
    if (this._state !== KsState.stop || this._pipes !== null) {
      throw new StateError(
        `graph: ${what} in ${ksStateName(this._state)} is not allowed; expected STOP`,
        Status.invalidDeviceState,
      );
    }
  }
}

/** The options checked when the graph is built (the allocator and negotiation options are checked where they are used). */
function checkGraphOptions(options: GraphOptions): void {
  for (const key of ['scheduler', 'yieldScheduler', 'onError'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'function')
      throw argumentError('type', `options.${key}`, v, 'a function or undefined');
  }
  checkScheduler('options.timers', options.timers);
  const perTurn = options.framesPerTurn;
  if (perTurn !== undefined && !(typeof perTurn === 'number' && perTurn >= 1)) {
    throw argumentError('range', 'options.framesPerTurn', perTurn, 'a number ≥ 1 or Infinity');
  }
  const verify = options.verifySharedFrames;
  if (verify !== undefined && typeof verify !== 'boolean') {
    throw argumentError('type', 'options.verifySharedFrames', verify, 'a boolean or undefined');
  }
}
