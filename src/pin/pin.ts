import { argumentError, StateError, StreamError } from '../errors.js';
import type { Filter } from '../filter/filter.js';
import { FilterFlags } from '../filter/filter-descriptor.js';
import type { AllocatorFramingEx } from '../framing/types.js';
import { KsReset, type KsResetValue, KsState, type KsStateValue, ksStateName } from '../state.js';
import { ntSuccess, Status, type StatusCode, statusName } from '../status.js';
import type { Frame } from '../stream/frame.js';
import { type AvailableByteCount, Queue, type QueueHost } from '../stream/queue.js';
import type { StreamHeader } from '../stream/stream-header.js';
import type { StreamPointer, StreamPointerStateValue } from '../stream/stream-pointer.js';
import { CircuitFrame, type FrameReturnSink } from './circuit-frame.js';
import { dataRangeMatchesFormat, type KsDataFormat, validateDataFormat } from './data-format.js';
import { Gate } from './gate.js';
import {
  Communication,
  type CommunicationValue,
  DataFlow,
  type DataFlowValue,
  type DispatchResult,
  type PinDescriptorEx,
  type PinDispatch,
  usesStandardTransport,
} from './pin-descriptor.js';
import { PinFlags } from './pin-flags.js';
import type { SplitterFanOut } from './splitter-fan-out.js';

/** Options of {@link Pin.attemptProcessing} and {@link Filter.attemptProcessing}. */
export interface AttemptProcessingOptions {
  /**
   * true: always run later on the scheduler (a work item), never inline. false (default): run inline now (a JS
   * caller is always at an IRQL where synchronous processing is allowed).
   */
  readonly async?: boolean;
}

/**
 * PFNKSPINFRAMERETURN: an injected frame came back. `status` is the status it completed with (`success`,
 * `cancelled` when flushed by a transition to STOP or a reset, or what a stream pointer set).
 */
export type FrameReturnCallback = (
  pin: Pin,
  data: Uint8Array,
  header: StreamHeader,
  context: unknown,
  status: StatusCode,
) => void;

/** Header fields given to {@link Pin.submitFrame} (the rest start at their defaults). */
export interface FrameHeaderInit {
  /** DataUsed (default: the data length for an input pin, 0 for an output pin). */
  readonly dataUsed?: number;
  /** OptionsFlags: KSSTREAM_HEADER_OPTIONSF_* bits. */
  readonly optionsFlags?: number;
  /** TypeSpecificFlags */
  readonly typeSpecificFlags?: number;
  /** Duration (100 ns units). */
  readonly duration?: number;
  /** PresentationTime. */
  readonly presentationTime?: {
    /** Time (100 ns units, scaled by numerator / denominator). */
    readonly time: number;
    /** Numerator of the time scale. */
    readonly numerator: number;
    /** Denominator of the time scale. */
    readonly denominator: number;
  };
}

/** Observes a pin's successful state steps (the requester and the graph manager use it). @internal */
export interface PinStateObserver {
  /**
   * Called before each step `from` → `to`, ahead of the pin's SetDeviceState (e.g. the graph manager creates the
   * pipe's allocator at STOP→ACQUIRE here). A non-success status fails the step exactly like a failing
   * SetDeviceState (the dispatch is then not called).
   */
  willPinState?(pin: Pin, from: KsStateValue, to: KsStateValue): StatusCode | undefined;
  /** Called after each successful step `from` → `to`. */
  onPinState?(pin: Pin, from: KsStateValue, to: KsStateValue): void;
}

/** No error recorded (see {@link guarded}). */
const NO_ERROR: unique symbol = Symbol('no error');

/**
 * Runs `fn` and returns `first`, or what `fn` threw when `first` is still {@link NO_ERROR}: a driver callback that
 * throws after a state step was accepted must not leave the step half done, so the rest runs and the first error is
 * rethrown at the end.
 */
function guarded(first: unknown, fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    if (first === NO_ERROR) return error;
  }
  return first;
}

/** Arrival handling ({@link Pin._onArrival}): the filter's (filter-centric), never, into an empty queue, every. */
/** (read per processing run: a module constant, folded by the compiler) */
const SUCCESS = Status.success;
const ARRIVAL_FILTER = 0;
const ARRIVAL_NEVER = 1;
const ARRIVAL_WHEN_EMPTY = 2;
const ARRIVAL_EVERY = 3;

function stepStatus(result: DispatchResult): StatusCode {
  return result === undefined ? Status.success : (result as StatusCode);
}

/**
 * The run list (docs/processing.md "Deferred arrival triggers"): while a pin-centric Process routine runs anywhere on
 * the stack (`runDepth > 0`), an arrival trigger of another pin (into its empty queue, the completion of a frame
 * upstream) does not start that pin's processing inside the running routine: the pin is put (once) on this list,
 * which the outermost processing run drains in trigger order after it returns. Each pin then processes its burst of
 * frames in its own loop instead of a nested call per frame. A preallocated ring of pins; grows only with the number
 * of pins waiting at once.
 */
let runRing: (RunListEntry | null)[] = new Array<RunListEntry | null>(16).fill(null);
let runMask = 15;
let runHead = 0;
let runTail = 0;
/**
 * Moves on whenever a pin's `peer` or `inPlaceCounterpart` changes (connect, disconnect, linkInPlace, or a direct
 * assignment): the routes pins cached for their completed frames (`Pin._route`) are then recomputed on next use.
 * Nothing else a route depends on can change (a pin's direction, its filter's kind and its Process routine are fixed).
 */
let routeEpoch = 0;
/** Pin-centric processing runs on the stack (nested). */
let runDepth = 0;
/** The run list is being drained (by the outermost run). */
let runDraining = false;

/** @internal An entry of the run list: a pin's deferred trigger, or a requester's deferred refill. */
export interface RunListEntry {
  /** The list reached the entry: do the deferred work now. */
  _runDeferred(): void;
  /** The list was abandoned (a routine threw): turn the deferred work into a work item. */
  _abandonDeferred(): void;
}

/** Called at every route change (pin/circuit-section.ts: attached circuit sections detach). */
let routeChangeHook: (() => void) | null = null;

/** @internal the route epoch now (routes cached by pins are valid while it stays) */
export function currentRouteEpoch(): number {
  return routeEpoch;
}

/** @internal sets what runs at every route change (once, by pin/circuit-section.ts) */
export function setRouteChangeHook(hook: () => void): void {
  routeChangeHook = hook;
}

/** A pin's `peer` or `inPlaceCounterpart` changed: cached routes are stale, and circuit sections end. */
function routeChanged(): void {
  routeEpoch++;
  routeChangeHook?.();
}

/** @internal true while a pin-centric Process routine runs or the run list drains (work may be deferred to it). */
export function processingRuns(): boolean {
  return runDepth > 0 || runDraining === true;
}

/** @internal puts an entry on the run list (the caller keeps it from being listed twice). */
export function deferRun(entry: RunListEntry): void {
  if (runTail - runHead > runMask) growRunList();
  runRing[runTail++ & runMask] = entry;
}

/** The run list doubled (entries kept in order): out of line, so that `deferRun` stays small where it is inlined. */
function growRunList(): void {
  const size = (runMask + 1) * 2;
  const ring = new Array<RunListEntry | null>(size).fill(null);
  for (let s = runHead; s < runTail; s++) ring[s & (size - 1)] = runRing[s & runMask] ?? null;
  runRing = ring;
  runMask = size - 1;
}

/** Runs the deferred pins in trigger order (new deferrals made meanwhile join the end). */
function drainRunList(): void {
  const outer = runDraining; // a nested drain (before a bypass, see Pin._onFrameComplete) restores the outer one's
  runDraining = true;
  try {
    while (runHead !== runTail) {
      const i = runHead++ & runMask;
      const pin = runRing[i]!;
      runRing[i] = null;
      pin._runDeferred();
    }
  } catch (error) {
    runDraining = outer;
    abandonRunList();
    throw error;
  }
  runDraining = outer;
  runHead = 0;
  runTail = 0;
}

/** After a throwing routine: the triggers still waiting become asynchronous attempts (none is lost). */
function abandonRunList(): void {
  while (runHead !== runTail) {
    const i = runHead++ & runMask;
    const pin = runRing[i]!;
    runRing[i] = null;
    pin._abandonDeferred();
  }
  runHead = 0;
  runTail = 0;
}

/**
 * A zero-length frame bypasses a filter without RECEIVE_ZERO_LENGTH_SAMPLES: it goes on as if completed there. Returns
 * the pin it goes to (`next`, or one past the bypassed filters; null: the circuit ends; false: a bypassed in-place
 * splitter input fanned it out).
 */
function bypassEmpty(frame: CircuitFrame, next: Pin): Pin | null | false {
  if (!next._bypassesEmptyFrames()) return next;
  // The frames before it that wait for a deferred run of a bypassed pin must get ahead of it first (the order nested
  // processing gave): run the deferred pins now.
  if (runHead !== runTail) drainRunList();
  let to: Pin | null = next;
  while (to !== null && frame.header.dataUsed === 0 && to._bypassesEmptyFrames()) {
    // a bypassed in-place splitter input still fans the frame out to its branches (pin/splitter-fan-out.ts): false
    const bypassed = to._fanOut;
    if (bypassed !== null && frame.returnTo !== bypassed && bypassed._take(frame)) return false;
    to = to._nextPin();
  }
  return to;
}

/**
 * KSPIN: one pin instance of a {@link Filter}, built from a {@link PinDescriptorEx} (create it with
 * `filter.createPin(id, format)`).
 *
 * State: `clientState` is what the client last asked for (set before the dispatch runs, restored when it fails).
 * `deviceState` is the pin's own state — the state it has been signalled into (the target, from the start of a
 * request). `pipeState` is the state of the pin's pipe section: the last step its SetDeviceState accepted; processing
 * and the circuit go by it. A standard-transport pin is walked one step at a time (RUN→STOP =
 * RUN→PAUSE→ACQUIRE→STOP), so during a walk `deviceState` is ahead of `pipeState`; a non-standard pin gets the raw
 * jump (both equal). A failing step stops the walk: `deviceState` and `pipeState` stay at the last step that
 * succeeded (steps taken are not undone) and `clientState` goes back to its value before the request.
 */
export class Pin implements QueueHost, FrameReturnSink {
  /** The pin id: the index of its descriptor in the filter descriptor. */
  readonly id: number;
  /** The filter this instance belongs to. */
  readonly filter: Filter;
  /** Descriptor: the shared pin descriptor (never modified; see {@link editAllocatorFraming}). */
  readonly descriptor: PinDescriptorEx;
  /** The descriptor's KSPIN_FLAG_* bits. */
  readonly flags: number;
  /** DataFlow. */
  readonly dataFlow: DataFlowValue;
  /** Communication. */
  readonly communication: CommunicationValue;
  /** True when the pin uses the standard transport (it has a queue and gets one-step state changes). */
  readonly standardTransport: boolean;
  /** The minimum processing state: RUN with PROCESS_IN_RUN_STATE_ONLY, else PAUSE. */
  readonly minimumProcessingState: KsStateValue;
  /** Context: starts as the filter's context; the driver's to use. */
  context: unknown;
  /** ConnectionFormat: the format set on the pin. */
  connectionFormat: KsDataFormat | null = null;
  /** ConnectionIsExternal: the peer is not an AVStream pin (e.g. a user-mode endpoint). */
  connectionIsExternal = false;
  /** StreamHeaderSize: the size of the pin's stream headers (0 = the default 56 bytes). */
  streamHeaderSize = 0;
  /** DeviceState: the state the pin has been signalled into (a walk's target while it runs; see the class comment). */
  deviceState: KsStateValue = KsState.stop;
  /** The state of the pin's pipe section: the last step SetDeviceState accepted (processing goes by it). */
  pipeState: KsStateValue = KsState.stop;
  /** ClientState: the state last requested by the client (rolled back when a request fails). */
  clientState: KsStateValue = KsState.stop;
  /** ResetState: KSRESET_END normally, KSRESET_BEGIN between reset begin and end. */
  resetState: KsResetValue = KsReset.end;
  /** The pin's AND gate: pin-centric processing needs it open (turn inputs off for flow control). */
  readonly andGate: Gate = Gate.and();
  /** The queue (standard transport only; null with DO_NOT_USE_STANDARD_TRANSPORT). */
  readonly queue: Queue<Pin> | null;
  /** @internal see {@link peer} */
  _peer: Pin | null = null;
  /** @internal see {@link inPlaceCounterpart} */
  _inPlaceCounterpart: Pin | null = null;
  /** @internal the value of `routeEpoch` when {@link _route} was computed */
  _routeEpoch = -1;
  /** @internal `_nextPin()` as of `_routeEpoch` (the circuit's topology did not change since) */
  _route: Pin | null = null;

  /** @internal the instance's own framing once edited (KsEdit copy-on-write). */
  _framing: AllocatorFramingEx | null = null;
  /** @internal attached gate for filter-centric frame availability (null = the filter's AND gate). */
  _frameGate: Gate | null = null;
  /** @internal current frame input in the frame gate: 0 none, 1 off, 2 on. */
  _frameInput = 0;
  /** @internal observers of state steps (see {@link addStateObserver}). */
  readonly _stateObservers: PinStateObserver[] = [];
  /** @internal the frame-return callback (injection). */
  _frameReturn: FrameReturnCallback | null = null;
  /** @internal injection mode, entered at STOP→ACQUIRE with a registered callback. */
  _injecting = false;
  /** @internal closed. */
  _closed = false;
  /** @internal the zero-copy fan-out to splitter delegate branches hooked here (setDelegateBranches), or null. */
  _fanOut: SplitterFanOut | null = null;

  private readonly _dispatch: PinDispatch | null;
  private readonly _process: ((pin: Pin) => StatusCode) | null;
  private _processing = false;
  /** True while a SetDeviceState dispatch or a state observer runs (the control mutex is held). */
  private _inStateDispatch = false;
  /** Counts state requests: a walk stops when a request made meanwhile (e.g. by a process routine) replaced it. */
  private _stateRequest = 0;
  private _rerun = false;
  private _asyncQueued = false;
  /** On the run list (a deferred arrival trigger). */
  private _deferred = false;
  private readonly _runAsync: () => void;
  /** What an arrival does, from the (readonly) flags and the filter's kind: one of the ARRIVAL_* constants. */
  private readonly _arrivalMode: number;

  /** @internal use `filter.createPin`. */
  constructor(filter: Filter, id: number, descriptor: PinDescriptorEx) {
    this.filter = filter;
    this.id = id;
    this.descriptor = descriptor;
    this.flags = (descriptor.flags ?? 0) >>> 0;
    this.dataFlow = descriptor.dataFlow;
    this.communication = descriptor.communication;
    this.standardTransport = usesStandardTransport(this.flags);
    this.minimumProcessingState = (this.flags & PinFlags.processInRunStateOnly) !== 0 ? KsState.run : KsState.pause;
    this.context = filter.context;
    this._dispatch = descriptor.dispatch ?? null;
    const process = this._dispatch?.process;
    this._process = typeof process === 'function' ? process : null;
    this.queue = this.standardTransport ? new Queue<Pin>(this, { scheduler: filter._timers }) : null;
    this._arrivalMode = filter.filterCentric
      ? ARRIVAL_FILTER
      : (this.flags & PinFlags.doNotInitiateProcessing) !== 0
        ? ARRIVAL_NEVER
        : (this.flags & PinFlags.initiateProcessingOnEveryArrival) !== 0
          ? ARRIVAL_EVERY
          : ARRIVAL_WHEN_EMPTY;
    this._runAsync = () => {
      this._asyncQueued = false;
      this._attempt();
    };
  }

  /** The connected pin (output → input), or null. */
  get peer(): Pin | null {
    return this._peer;
  }

  set peer(pin: Pin | null) {
    this._peer = pin;
    routeChanged();
  }

  /** For an in-place transform: the pin on the other side of the filter the frames pass to, or null. */
  get inPlaceCounterpart(): Pin | null {
    return this._inPlaceCounterpart;
  }

  set inPlaceCounterpart(pin: Pin | null) {
    this._inPlaceCounterpart = pin;
    routeChanged();
  }

  /** True while the pin instance exists (until {@link close}). */
  get isOpen(): boolean {
    return !this._closed;
  }

  /** The dispatch table (null when the descriptor has none). */
  get dispatch(): PinDispatch | null {
    return this._dispatch;
  }

  /**
   * The instance's framing (the ALLOCATORFRAMING_EX property): its own copy once {@link editAllocatorFraming}
   * was called, else the descriptor's. Null when the descriptor has none.
   */
  get allocatorFraming(): Readonly<AllocatorFramingEx> | null {
    return this._framing ?? this.descriptor.allocatorFraming;
  }

  /**
   * KsEdit of the pin descriptor's AllocatorFraming: returns this instance's own deep copy (made on the first call,
   * the same object afterwards), which the driver may change (typically in Create or SetDataFormat). The shared
   * descriptor and other instances are never affected.
   * @throws StateError (`notSupported`) when the descriptor has no framing
   */
  editAllocatorFraming(): AllocatorFramingEx {
    if (this._framing) return this._framing;
    const shared = this.descriptor.allocatorFraming;
    if (shared === null) {
      throw new StateError(
        `pin ${this.id}: allocatorFraming null is not allowed; expected a descriptor with a framing to edit`,
        Status.notSupported,
      );
    }
    this._framing = structuredClone(shared) as AllocatorFramingEx;
    return this._framing;
  }

  // ---------------------------------------------------------------- states

  /**
   * Sets the pin's state (KSPROPERTY_CONNECTION_STATE). See the class comment for the step/jump rules.
   * Rising (leaving STOP, or any step up) requires every pin type of the filter to have at least InstancesNecessary
   * instances ("any attempt to change the state of a filter that does not have this number of instances … fails";
   * going down is never refused); reaching STOP flushes the queue (frames complete with `cancelled`) and calls the
   * Reset dispatch.
   * @throws StateError with the failing status (the dispatch's, or `invalidDeviceState` for missing instances)
   */
  setState(state: KsStateValue): void {
    if (state !== 0 && state !== 1 && state !== 2 && state !== 3) {
      throw argumentError('range', 'state', state, 'a KsState value 0–3');
    }
    this.assertOpen();
    if (this._inStateDispatch) {
      throw new StateError(
        `pin ${this.id}: setState(${ksStateName(state)}) from inside SetDeviceState or a state observer is not allowed; expected the running state change to return first`,
        Status.invalidDeviceState,
      );
    }
    if (state === this.pipeState && state === this.clientState) return;
    if (state > this.pipeState) this.filter._checkInstancesNecessary(this, state);
    const previousClient = this.clientState;
    const request = ++this._stateRequest;
    this.clientState = state;
    this.deviceState = state;
    let error: unknown = NO_ERROR;
    if (!this.standardTransport) {
      error = this.step(state, previousClient, error);
    } else {
      // A processing trigger fired by a step may itself change the state: the newer request then wins.
      while (this.pipeState !== state && this._stateRequest === request) {
        const next = (this.pipeState + (state > this.pipeState ? 1 : -1)) as KsStateValue;
        error = this.step(next, previousClient, error);
      }
    }
    if (error !== NO_ERROR) throw error;
  }

  /**
   * One accepted-or-refused step. A refusal throws (rolling ClientState back). Once accepted, the step's follow-ups
   * (flush and Reset at STOP, observers, processing triggers) all run; the first error one of them throws is
   * returned (with `error` kept if it was already set) so the walk completes before it is rethrown.
   */
  private step(to: KsStateValue, previousClient: KsStateValue, error: unknown): unknown {
    const from = this.pipeState;
    if (from === to) return error;
    const handler = this._dispatch?.setDeviceState;
    let status: StatusCode = Status.success;
    let who = 'setDeviceState';
    this._inStateDispatch = true;
    try {
      for (const o of this._stateObservers) {
        if (status !== Status.success) break;
        if (o.willPinState) status = o.willPinState(this, from, to) ?? Status.success;
        if (status !== Status.success) who = 'the pipe';
      }
      if (status === Status.success && handler) status = stepStatus(handler(this, to, from));
    } catch (error) {
      this.clientState = previousClient;
      this.deviceState = from;
      throw error;
    } finally {
      this._inStateDispatch = false;
    }
    if (status !== Status.success) {
      this.clientState = previousClient;
      this.deviceState = from;
      const why = status === Status.pending ? ' (SetDeviceState may not pend)' : '';
      throw new StateError(
        `pin ${this.id}: ${who} ${ksStateName(from)}→${ksStateName(to)} status ${statusName(status)} is not allowed; expected success${why}; the state stays ${ksStateName(from)}`,
        status === Status.pending ? Status.invalidDeviceRequest : status,
      );
    }
    this.pipeState = to;
    // a stopped pin takes no frame: a circuit section through it ends (pin/circuit-section.ts)
    if (to === KsState.stop && this.queue !== null) this.queue._section?._detach();
    if (!this.standardTransport) this.deviceState = to;
    if (from === KsState.stop) this._injecting = this._frameReturn !== null;
    if (to === KsState.stop) {
      error = this.flushQueue(error);
      this._injecting = false;
    }
    for (const o of this._stateObservers) {
      if (o.onPinState) error = guarded(error, () => o.onPinState!(this, from, to));
    }
    if (this.filter.filterCentric) {
      error = guarded(error, () => this.filter._onPinStateChanged(this, from, to));
    } else if (from < this.minimumProcessingState && to >= this.minimumProcessingState) {
      // Trigger (1): the pin rises into its minimum processing state with frames already queued.
      if ((this.flags & PinFlags.doNotInitiateProcessing) === 0 && this.hasFramesAhead()) {
        error = guarded(error, () => this.trigger());
      }
    }
    return error;
  }

  /** Flushes the queue, then calls the Reset dispatch(es): each runs even if an earlier one throws. */
  private flushQueue(error: unknown): unknown {
    const queue = this.queue;
    if (queue) error = guarded(error, () => queue.flush(Status.cancelled));
    const reset = this._dispatch?.reset;
    if (reset) error = guarded(error, () => reset(this));
    if (this.filter.filterCentric) error = guarded(error, () => this.filter._onPinFlushed(this));
    return error;
  }

  /**
   * IOCTL_KS_RESET_STATE. BEGIN cancels the queued frames and rejects new frames (`deviceNotReady`) until END. A
   * state change does not end a reset. Each change of `resetState` (BEGIN after END, END after BEGIN) calls the Reset
   * dispatch(es) with `resetState` already the new value (AVStrMiniPinReset: "called when a KSPIN structure's reset
   * state is changed due to the arrival of an IOCTL_KS_RESET_STATE"); a repeated value changes nothing.
   */
  setResetState(reset: KsResetValue): void {
    if (reset !== KsReset.begin && reset !== KsReset.end) {
      throw argumentError('range', 'reset', reset, 'KsReset.begin (0) or KsReset.end (1)');
    }
    this.assertOpen();
    if (reset === this.resetState) return;
    this.resetState = reset;
    this.queue?._section?._detach(); // (a pin in reset takes no frame: pin/circuit-section.ts)
    const queue = this.queue;
    let error: unknown = NO_ERROR;
    if (queue) error = guarded(error, reset === KsReset.begin ? () => queue.resetBegin() : () => queue.resetEnd());
    const dispatch = this._dispatch?.reset;
    if (dispatch) error = guarded(error, () => dispatch(this));
    if (this.filter.filterCentric) error = guarded(error, () => this.filter._onPinFlushed(this));
    if (error !== NO_ERROR) throw error;
  }

  // ---------------------------------------------------------------- formats

  /**
   * Sets the pin's format (KSPROPERTY_CONNECTION_DATAFORMAT). The format is tried against each data range that
   * matches it on GUIDs (wildcards allowed), calling the SetDataFormat dispatch: `success` accepts, `noMatch` tries
   * the next range, any other status fails. Without a dispatch the first matching range accepts.
   * @throws StateError `invalidDeviceRequest` on a FIXED_FORMAT pin whose format is already set; `noMatch` when no
   *   range accepts; the dispatch's status when it fails. The old format stays on failure.
   */
  setDataFormat(format: KsDataFormat): void {
    validateDataFormat(format);
    this.assertOpen();
    if ((this.flags & PinFlags.fixedFormat) !== 0 && this.connectionFormat !== null) {
      throw new StateError(
        `pin ${this.id}: a format change is not allowed on a FIXED_FORMAT pin; expected no format set`,
        Status.invalidDeviceRequest,
      );
    }
    this._applyFormat(format, this.connectionFormat);
  }

  /** @internal the SetDataFormat walk; `old` null = the check before Create. */
  _applyFormat(format: KsDataFormat, old: KsDataFormat | null): void {
    const handler = this._dispatch?.setDataFormat;
    const previous = this.connectionFormat;
    for (const range of this.descriptor.dataRanges) {
      if (!dataRangeMatchesFormat(range, format)) continue;
      this.connectionFormat = format;
      if (!handler) return;
      let status: StatusCode;
      try {
        status = stepStatus(handler(this, old, range, null));
      } catch (error) {
        this.connectionFormat = previous;
        throw error;
      }
      if (status === Status.success) return;
      if (status === Status.noMatch) continue;
      this.connectionFormat = previous;
      throw new StateError(
        `pin ${this.id}: setDataFormat status ${statusName(status)} is not allowed; expected success or noMatch${status === Status.pending ? ' (it may not pend)' : ''}`,
        status === Status.pending ? Status.invalidDeviceRequest : status,
      );
    }
    this.connectionFormat = previous;
    throw new StateError(
      `pin ${this.id}: format ${format.majorFormat}/${format.subFormat}/${format.specifier} is not allowed; expected a format within one of the pin's ${this.descriptor.dataRanges.length} data ranges`,
      Status.noMatch,
    );
  }

  // ---------------------------------------------------------------- processing

  /**
   * KsPinAttemptProcessing (KsFilterAttemptProcessing for a filter-centric filter): processes if the gate is open
   * and the state allows it. `{ async: true }` always schedules (never inline; repeated requests before it runs
   * coalesce); otherwise it runs inline — unless the pin is processing right now, in which case processing runs
   * again as soon as the current call returns (a process routine is never re-entered).
   */
  attemptProcessing(options?: AttemptProcessingOptions): void {
    if (options !== undefined) checkAttemptOptions(options);
    if (this.filter.filterCentric) {
      this.filter.attemptProcessing(options);
      return;
    }
    if (options?.async === true) {
      if (!this._asyncQueued) {
        this._asyncQueued = true;
        this.filter._scheduler(this._runAsync);
      }
      return;
    }
    this._attempt();
  }

  /** @internal */
  _attempt(): void {
    if (this._closed) return;
    if (this._processing) {
      this._rerun = true;
      return;
    }
    if (!this.mayProcess()) return;
    this.runProcess();
  }

  /** True when pin-centric processing may run now: a process routine, state ≥ minimum, AND gate open. */
  get canProcess(): boolean {
    return this._process !== null && this.mayProcess();
  }

  private mayProcess(): boolean {
    return (
      this._process !== null &&
      this.pipeState >= this.minimumProcessingState &&
      this.andGate.count > 0 &&
      this._closed === false
    );
  }

  /** A processing trigger (arrival or state rise) for a pin-centric pin. */
  private trigger(): void {
    if (this._processing) {
      this._rerun = true;
      return;
    }
    if (this.mayProcess()) this.runProcess();
  }

  /** True when a frame is at or ahead of the leading edge. */
  hasFramesAhead(): boolean {
    const queue = this.queue;
    return queue !== null && queue.leadingEdge.frame !== null;
  }

  private runProcess(): void {
    const process = this._process!;
    const queue = this.queue;
    // The edge and its offset object never change for a queue: read them once (internal fields, no getters).
    const lead = queue === null ? null : queue._leading;
    const offset = lead === null ? null : queue!._inputPin ? lead.offsetIn : lead.offsetOut;
    this._processing = true;
    runDepth++;
    try {
      for (;;) {
        this._rerun = false;
        const frameBefore = lead === null ? null : lead._frame;
        const remainingBefore = offset === null ? 0 : offset.remaining;
        const lengthBefore = queue === null ? 0 : queue._live;
        const status = process(this);
        if (!this.mayProcess()) break;
        if (status === SUCCESS && lead !== null && lead._frame !== null) {
          // SUCCESS re-invokes while frames remain ahead of the leading edge — provided the call made progress
          // (a JS thread cannot spin on a routine that returns SUCCESS without touching the queue).
          if (lead._frame !== frameBefore || offset!.remaining !== remainingBefore || queue!._live !== lengthBefore) {
            continue;
          }
        }
        if (this._rerun) continue;
        break;
      }
    } catch (error) {
      // (catch + rethrow rather than finally: the same effect, lighter in the optimizing compiler's hot path)
      this._processing = false;
      if (--runDepth === 0 && runDraining === false && runHead !== runTail) abandonRunList();
      throw error;
    }
    this._processing = false;
    if (--runDepth === 0 && runDraining === false && runHead !== runTail) drainRunList();
  }

  /** True while this pin's process routine runs. */
  get isProcessing(): boolean {
    return this._processing;
  }

  // ---------------------------------------------------------------- queue host

  /** @internal QueueHost: frames arrived; `wasEmpty` = none was at or ahead of the leading edge. */
  _onArrival(_queue: Queue, wasEmpty: boolean): void {
    const mode = this._arrivalMode;
    // Trigger (2): arrival into an empty queue (or any arrival with ON_EVERY_ARRIVAL) at/above the minimum state. (An
    // arrival into a non-empty queue — most of them — returns here; the rest is out of line.)
    if (mode === ARRIVAL_NEVER || (wasEmpty === false && mode === ARRIVAL_WHEN_EMPTY)) return;
    this._arrivalTrigger(mode, wasEmpty);
  }

  /** @internal true when `_onArrival` does nothing for an arrival into a non-empty queue (no filter, no every-arrival trigger) */
  _quietArrivals(): boolean {
    return this._arrivalMode === ARRIVAL_WHEN_EMPTY || this._arrivalMode === ARRIVAL_NEVER;
  }

  /** @internal `_onArrival` of an arrival that is a trigger (or goes to the filter-centric filter). */
  _arrivalTrigger(mode: number, wasEmpty: boolean): void {
    if (mode === ARRIVAL_FILTER) {
      this.filter._onPinArrival(this, wasEmpty);
      return;
    }
    if (this._processing === true) {
      this._rerun = true;
      return;
    }
    if (!this.mayProcess()) return;
    if ((runDepth > 0 || runDraining === true) && mode === ARRIVAL_WHEN_EMPTY) {
      // Raised inside another pin's Process routine, or by a deferred entry (a refill) while the list drains: run
      // after it (the outermost run drains the list).
      if (this._deferred === false) {
        this._deferred = true;
        deferRun(this);
      }
      return;
    }
    this.runProcess();
  }

  /** @internal the run list reached this pin: one processing run while it may process and frames are ahead. */
  _runDeferred(): void {
    this._deferred = false;
    if (this._processing) {
      this._rerun = true;
      return;
    }
    if (this.mayProcess() && this.queue !== null && this.queue._leading._frame !== null) this.runProcess();
  }

  /** @internal the run list was abandoned (a routine threw): the waiting trigger becomes an asynchronous attempt. */
  _abandonDeferred(): void {
    this._deferred = false;
    if (this._closed || this.queue === null || this.queue._leading._frame === null) return;
    this.attemptProcessing({ async: true });
  }

  /**
   * @internal QueueHost: a frame's references reached zero. A circulating frame that completed with success goes
   * on to the next pin of its circuit (the in-place counterpart, or the connected input pin) — or, where a splitter
   * fan-out is hooked (`_fanOut`), to every live delegate branch as views (pin/splitter-fan-out.ts); otherwise — or
   * at the circuit's end, or when the next pin is stopped or closed — it returns to where it came from (the
   * requester, the injecting pin, or the fan-out of a view). A frame passed to a pin in reset returns with
   * `deviceNotReady`.
   */
  _onFrameComplete(frame: Frame): void {
    if (!(frame instanceof CircuitFrame)) return;
    // A splitter delegate with read-only branches: the frame fans out to every branch (pin/splitter-fan-out.ts).
    const fanOut = this._fanOut;
    if (fanOut !== null && frame.returnTo !== fanOut && frame.status === Status.success && fanOut._take(frame)) return;
    if (frame.status === Status.success) {
      // (the route is cached until a connection or an in-place link changes anywhere; the rare cases are out of line:
      // this path runs once per frame and hop, and stays small enough to inline)
      let next = this._routeEpoch === routeEpoch ? this._route : this._updateRoute();
      if (next !== null && frame.header.dataUsed === 0) {
        const to = bypassEmpty(frame, next);
        if (to === false) return; // taken by a bypassed in-place splitter input's fan-out
        next = to;
      }
      if (next !== null) {
        const queue = next.queue;
        if (queue !== null && next.pipeState !== KsState.stop && next._closed === false) {
          if (next.resetState !== KsReset.begin) {
            queue._addNext(frame); // (idle: just retired)
            return;
          }
          frame.status = Status.deviceNotReady;
        }
      }
    }
    frame.returnTo.returnFrame(frame);
  }

  /** @internal `_nextPin()`, cached until the next change of a peer or an in-place counterpart */
  _updateRoute(): Pin | null {
    this._route = this._nextPin();
    this._routeEpoch = routeEpoch;
    return this._route;
  }

  /** @internal where a frame completed here goes next in its circuit (null: the circuit ends here). */
  _nextPin(): Pin | null {
    if (this.dataFlow === DataFlow.out) return this._peer;
    const next = this._inPlaceCounterpart;
    // An in-place output pin that does not process itself is part of the same pipe section: skip its queue.
    return next !== null && !next._processesFrames() ? next._peer : next;
  }

  /** @internal an input pin of a filter without KSFILTER_FLAG_RECEIVE_ZERO_LENGTH_SAMPLES. */
  _bypassesEmptyFrames(): boolean {
    return this.dataFlow === DataFlow.in && (this.filter.flags & FilterFlags.receiveZeroLengthSamples) === 0;
  }

  /** @internal true when frames arriving at this pin are processed here (pin process routine or filter-centric). */
  _processesFrames(): boolean {
    // Filter-centric: an in-place output pin shares its input's frames (no hop of its own).
    if (this.filter.filterCentric) return !(this.dataFlow === DataFlow.out && this.inPlaceCounterpart !== null);
    return this._process !== null;
  }

  // ---------------------------------------------------------------- stream pointers

  /**
   * KsPinGetLeadingEdgeStreamPointer: LOCKED ⇒ the edge locked on its frame, or null when there is none;
   * UNLOCKED ⇒ the edge (unlocked). Null when the pin has no queue.
   */
  getLeadingEdge(state: StreamPointerStateValue): StreamPointer<Pin> | null {
    return this.queue === null ? null : this.queue.getLeadingEdge(state);
  }

  /** KsPinGetTrailingEdgeStreamPointer: as {@link getLeadingEdge}; null without DISTINCT_TRAILING_EDGE. */
  getTrailingEdge(state: StreamPointerStateValue): StreamPointer<Pin> | null {
    return this.queue === null ? null : this.queue.getTrailingEdge(state);
  }

  /** KsPinGetFirstCloneStreamPointer: the oldest clone, or null. */
  getFirstClone(): StreamPointer<Pin> | null {
    return this.queue === null ? null : this.queue.getFirstClone();
  }

  /**
   * KsPinGetAvailableByteCount: input bytes and output space at and ahead of the leading edge.
   * @throws StateError `invalidDeviceRequest` when the pin has no queue
   */
  getAvailableByteCount(out?: AvailableByteCount): AvailableByteCount {
    if (this.queue === null) {
      throw new StateError(
        `pin ${this.id}: a pin without a queue (DO_NOT_USE_STANDARD_TRANSPORT) is not allowed; expected a standard-transport pin`,
        Status.invalidDeviceRequest,
      );
    }
    return this.queue.availableByteCount(out);
  }

  // ---------------------------------------------------------------- injection

  /**
   * KsPinRegisterFrameReturnCallback: only in STOP. With a callback the pin enters injection mode at the next
   * STOP→ACQUIRE: frames come from {@link submitFrame} instead of an allocator and return through the callback.
   * Null unregisters.
   * @throws StateError `invalidDeviceState` outside STOP
   */
  registerFrameReturnCallback(callback: FrameReturnCallback | null): void {
    if (callback !== null && typeof callback !== 'function') {
      throw argumentError('type', 'callback', callback, 'a function or null');
    }
    this.assertOpen();
    if (this.pipeState !== KsState.stop) {
      throw new StateError(
        `pin ${this.id}: registerFrameReturnCallback in ${ksStateName(this.pipeState)} is not allowed; expected STOP`,
        Status.invalidDeviceState,
      );
    }
    this._frameReturn = callback;
  }

  /** True when the pin is in injection mode (a callback was registered in STOP and the pin reached ACQUIRE). */
  get injectionMode(): boolean {
    return this._injecting;
  }

  /**
   * KsPinSubmitFrame: injects a frame of `data` (with an optional header; FrameExtent = data.byteLength) into the
   * pin's queue. It returns through the frame-return callback with its completion status.
   * @throws StateError `invalidDeviceState` when the pin is not in injection mode; StreamError `deviceNotReady`
   *   during a reset; TypeError/RangeError for a header field out of range (dataUsed beyond the data, a flag word
   *   that is not a ULONG, a zero time-scale denominator), nothing submitted
   */
  submitFrame(data: Uint8Array, header: FrameHeaderInit | null = null, context: unknown = null): void {
    if (!(data instanceof Uint8Array)) throw argumentError('type', 'data', data, 'a Uint8Array');
    if (!this._injecting || this.queue === null) {
      throw new StateError(
        `pin ${this.id}: submitFrame is not allowed; expected a frame-return callback registered in STOP and the pin at ACQUIRE or above`,
        Status.invalidDeviceState,
      );
    }
    if (this.resetState === KsReset.begin) {
      throw new StreamError(
        `pin ${this.id}: submitFrame during a reset is not allowed; expected KSRESET_END`,
        Status.deviceNotReady,
      );
    }
    if (header !== null && typeof header !== 'object') {
      throw argumentError('type', 'header', header, 'a FrameHeaderInit object or null');
    }
    checkHeaderInit(header ?? {}, data.byteLength);
    const frame = new CircuitFrame(this, null, data);
    const h = frame.header;
    h.dataUsed = header?.dataUsed ?? (this.dataFlow === DataFlow.in ? data.byteLength : 0);
    if (header) {
      if (header.optionsFlags !== undefined) h.optionsFlags = header.optionsFlags >>> 0;
      if (header.typeSpecificFlags !== undefined) h.typeSpecificFlags = header.typeSpecificFlags >>> 0;
      if (header.duration !== undefined) h.duration = header.duration;
      const t = header.presentationTime;
      if (t !== undefined) {
        h.presentationTime.time = t.time;
        h.presentationTime.numerator = t.numerator;
        h.presentationTime.denominator = t.denominator;
      }
    }
    frame.context = context;
    this.queue.add(frame);
  }

  /** @internal FrameReturnSink for injected frames. */
  returnFrame(frame: CircuitFrame): void {
    const cb = this._frameReturn;
    if (cb) cb(this, frame.data!, frame.header, frame.context, frame.status);
  }

  /**
   * Adds an observer of this pin's state steps (the graph manager and the requester use it). Returns the function
   * that removes it.
   */
  addStateObserver(observer: PinStateObserver): () => void {
    if (observer === null || typeof observer !== 'object') {
      throw argumentError('type', 'observer', observer, 'an object with willPinState and/or onPinState');
    }
    this._stateObservers.push(observer);
    return () => {
      const i = this._stateObservers.indexOf(observer);
      if (i >= 0) this._stateObservers.splice(i, 1);
    };
  }

  // ---------------------------------------------------------------- gates & lifetime

  /**
   * KsPinAttachAndGate / KsPinAttachOrGate (filter-centric): this pin's frame availability becomes an input of
   * `gate` instead of the filter's AND gate (`null` restores the default). Only in STOP.
   * @throws StateError `invalidDeviceState` outside STOP or on a SOME_FRAMES_REQUIRED pin (its gate is implicit)
   */
  attachGate(gate: Gate | null): void {
    if (gate !== null && !(gate instanceof Gate)) throw argumentError('type', 'gate', gate, 'a Gate or null');
    if (this.pipeState !== KsState.stop || this._frameInput !== 0) {
      throw new StateError(`pin ${this.id}: attaching a gate is not allowed; expected STOP`, Status.invalidDeviceState);
    }
    if ((this.flags & PinFlags.someFramesRequiredForProcessing) !== 0) {
      throw new StateError(
        `pin ${this.id}: a gate on a SOME_FRAMES_REQUIRED_FOR_PROCESSING pin is not allowed; expected the implicit OR gate`,
        Status.invalidDeviceRequest,
      );
    }
    this._frameGate = gate;
  }

  /** KsPinAttachAndGate: {@link attachGate} with an AND gate. */
  attachAndGate(gate: Gate | null): void {
    if (gate !== null && gate.kind !== 'and') throw argumentError('type', 'gate', gate.kind, 'an AND gate');
    this.attachGate(gate);
  }

  /** KsPinAttachOrGate: {@link attachGate} with an OR gate (initialize it with the filter's AND gate as next). */
  attachOrGate(gate: Gate | null): void {
    if (gate !== null && gate.kind !== 'or') throw argumentError('type', 'gate', gate.kind, 'an OR gate');
    this.attachGate(gate);
  }

  /**
   * Closes the instance: walks it to STOP if needed (ignoring a failing step), disconnects it, calls the Close
   * dispatch and removes it from the filter. Frames still queued (e.g. I/O submitted while the pin was in STOP)
   * complete with `cancelled` first, as the →STOP flush does (Reset included).
   */
  close(): void {
    if (this._closed) return;
    if (this.pipeState === KsState.stop) {
      if (this.queue !== null && this.queue.length > 0) this.flushQueue(NO_ERROR);
    } else {
      try {
        this.setState(KsState.stop);
      } catch {
        // A refused step leaves the pin above STOP: force it (a callback that threw after STOP was reached did not).
        if ((this.pipeState as KsStateValue) !== KsState.stop) {
          this.deviceState = KsState.stop;
          this.pipeState = KsState.stop;
          this.queue?._section?._detach();
          this.clientState = KsState.stop;
          this.flushQueue(NO_ERROR);
        }
      }
    }
    this.queue?._close();
    if (this.peer) disconnectPins(this.dataFlow === DataFlow.out ? this : this.peer);
    this._dispatch?.close?.(this);
    this._closed = true;
    this.filter._removePin(this);
  }

  private assertOpen(): void {
    if (this._closed)
      throw new StateError(
        `pin ${this.id}: a closed pin is not allowed; expected an open pin instance`,
        Status.invalidDeviceState,
      );
  }
}

/**
 * @internal `attemptProcessing` options: an object whose `async`, when present, is a boolean.
 * @throws TypeError naming `options` / `options.async`
 */
export function checkAttemptOptions(options: AttemptProcessingOptions): void {
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, '{ async?: boolean } or undefined');
  }
  const async = options.async;
  if (async !== undefined && typeof async !== 'boolean') {
    throw argumentError('type', 'options.async', async, 'a boolean (true: always a work item, never inline)');
  }
}

/** Checks the fields given to {@link Pin.submitFrame} (before anything is built). */
function checkHeaderInit(header: FrameHeaderInit, length: number): void {
  const { dataUsed, optionsFlags, typeSpecificFlags, duration, presentationTime: t } = header;
  if (dataUsed !== undefined && (!Number.isSafeInteger(dataUsed) || dataUsed < 0 || dataUsed > length)) {
    throw argumentError('range', 'header.dataUsed', dataUsed, `an integer 0–${length} (the data length)`);
  }
  for (const [name, v] of [
    ['header.optionsFlags', optionsFlags],
    ['header.typeSpecificFlags', typeSpecificFlags],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw argumentError('range', name, v, 'a ULONG (0–0xffffffff)');
    }
  }
  if (duration !== undefined && !Number.isSafeInteger(duration)) {
    throw argumentError('range', 'header.duration', duration, 'a LONGLONG (a safe integer, 100 ns units)');
  }
  if (t !== undefined) {
    if (t === null || typeof t !== 'object' || !Number.isSafeInteger(t.time)) {
      throw argumentError('range', 'header.presentationTime.time', t?.time, 'a LONGLONG (a safe integer)');
    }
    for (const k of ['numerator', 'denominator'] as const) {
      const v = t[k];
      const min = k === 'denominator' ? 1 : 0;
      if (!Number.isInteger(v) || v < min || v > 0xffffffff) {
        throw argumentError('range', `header.presentationTime.${k}`, v, `a ULONG ≥ ${min}`);
      }
    }
  }
}

/**
 * Connects an output pin to an input pin (frames then flow `output` → `input`): the Connect dispatch of the sink
 * side (the input pin, or the output pin when only it communicates as a sink) runs; a failure undoes the link.
 * No state change is made (no STOP on initial connection). Used by the graph manager.
 * @throws TypeError for pins of the wrong direction or already connected; StateError with the Connect status
 */
export function connectPins(output: Pin, input: Pin): void {
  if (!(output instanceof Pin) || output.dataFlow !== DataFlow.out) {
    throw argumentError('type', 'output', output?.dataFlow, 'a pin with DataFlow.out');
  }
  if (!(input instanceof Pin) || input.dataFlow !== DataFlow.in) {
    throw argumentError('type', 'input', input?.dataFlow, 'a pin with DataFlow.in');
  }
  for (const [name, pin] of [
    ['output', output],
    ['input', input],
  ] as const) {
    if (pin.communication === Communication.none || pin.communication === Communication.bridge) {
      throw argumentError(
        'type',
        `${name}.communication`,
        pin.communication,
        'a connectable pin (Communication.sink, .source or .both)',
      );
    }
  }
  if (output.peer !== null || input.peer !== null) {
    throw argumentError('type', 'pins', 'connected', 'pins that are not connected yet');
  }
  output.peer = input;
  input.peer = output;
  const sink = input.communication === 2 && (output.communication & 1) !== 0 ? output : input;
  const connect = sink.dispatch?.connect;
  if (connect) {
    const status = stepStatus(connect(sink));
    if (status !== Status.success) {
      output.peer = null;
      input.peer = null;
      throw new StateError(
        `pin ${sink.id}: connect status ${statusName(status)} is not allowed; expected success`,
        ntSuccess(status) ? Status.invalidDeviceRequest : status,
      );
    }
  }
}

/** Disconnects an output pin from its input pin, calling the sink side's Disconnect dispatch. */
export function disconnectPins(output: Pin): void {
  const input = output.peer;
  if (input === null) return;
  const sink = input.communication === 2 && (output.communication & 1) !== 0 ? output : input;
  output.peer = null;
  input.peer = null;
  sink.dispatch?.disconnect?.(sink);
}

/**
 * Marks `input` and `output` (two pins of one filter) as an in-place pair: a frame completed at `input` goes on
 * through `output` (into its queue when it processes, else straight to its peer) — the same frame, never a copy.
 * A pin has one counterpart: a previous partner of either pin is unlinked (e.g. a splitter input linked to another
 * instance on a later run), so no pin is left pointing at a pin that points elsewhere.
 */
export function linkInPlace(input: Pin, output: Pin): void {
  if (input.filter !== output.filter || input.dataFlow !== DataFlow.in || output.dataFlow !== DataFlow.out) {
    throw argumentError('type', 'pins', [input.dataFlow, output.dataFlow], 'an input and an output pin of one filter');
  }
  const oldOutput = input.inPlaceCounterpart;
  if (oldOutput !== null && oldOutput !== output && oldOutput.inPlaceCounterpart === input) {
    oldOutput.inPlaceCounterpart = null;
  }
  const oldInput = output.inPlaceCounterpart;
  if (oldInput !== null && oldInput !== input && oldInput.inPlaceCounterpart === output) {
    oldInput.inPlaceCounterpart = null;
  }
  input.inPlaceCounterpart = output;
  output.inPlaceCounterpart = input;
  input.filter._onInPlaceLink(input, output);
}
