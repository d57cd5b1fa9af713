import { argumentError, StreamError } from '../../errors.js';
import type { Filter } from '../../filter/filter.js';
import { FilterFlags } from '../../filter/filter-descriptor.js';
import { FilterFactory } from '../../filter/filter-factory.js';
import type { Pin } from '../../pin/pin.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../pin/pin-descriptor.js';
import { PinFlags } from '../../pin/pin-flags.js';
import { KsState } from '../../state.js';
import { Status } from '../../status.js';
import type { Frame } from '../../stream/frame.js';
import { StreamHeaderOptionsFlags } from '../../stream/stream-header-flags.js';
import type { Graph } from '../graph.js';
import type { EndpointLike } from '../graph-types.js';
import {
  type EndpointFrameHolding,
  type EndpointOptions,
  endpointFraming,
  WILDCARD_DATA_RANGE,
} from './endpoint-types.js';
import { Waiting, WaitQueue } from './endpoint-wait.js';
import { SinkFrame, type SinkFrameOwner } from './sink-frame.js';

/** Options of {@link Graph.addSink}. */
export interface SinkEndpointOptions extends EndpointOptions {
  /**
   * The most frames the application holds at once (unreleased), declared to the static frame budget so the pipe
   * gets enough frames. Default 1 (a `for await` loop holds the current frame).
   */
  readonly maxHeld?: number;
}

/** The result of {@link SinkEndpoint.read}. */
export type SinkReadResult =
  | { readonly done: false; readonly value: SinkFrame }
  | { readonly done: true; readonly value: undefined };

const EOS = StreamHeaderOptionsFlags.endOfStream;
const DONE: SinkReadResult = Object.freeze({ done: true, value: undefined });

/**
 * A user-mode sink: frames leaving the graph are read here (the analog of a user-mode filter's input pin behind
 * KsProxy). Its pin is a user-mode end, so its pipe is a user-mode pipe whose frames are user memory (the
 * user-memory allocator the negotiation places at this end; a vendor allocator is never used): the kernel side wrote
 * into user memory, and the sink hands out {@link SinkFrame} views of those frames — no further copy. A frame goes
 * back to its pipe when released.
 *
 * Back-pressure: frames not yet read stay queued and frames read stay held until released; once all frames of the
 * pipe are out, the upstream filter has no empty frame, stops, and so on up to the source, which stalls.
 *
 * End of stream: a frame with OPTIONSF_ENDOFSTREAM is the last one delivered (a zero-length one is not delivered);
 * then reads return `done`. A source abort makes reads reject with its reason. {@link cancel} stops reading and lets
 * every frame through (released at once).
 *
 * Reading: `for await (const frame of sink)` (each frame released when the loop asks for the next unless
 * `frame.retain()`; leaving the loop early cancels the sink, see {@link frames}), the pull-style {@link read} (release each frame), {@link readBatch} (many frames per promise)
 * or the synchronous {@link tryRead}. Wrapping: `read()` / `cancel()` map onto a WHATWG ReadableStream source or a
 * Node Readable.
 */
export class SinkEndpoint implements EndpointLike, SinkFrameOwner, AsyncIterable<SinkFrame> {
  /** The graph the endpoint belongs to. */
  readonly graph: Graph;
  /** @internal the endpoint's filter (a user-mode end with one input pin type, id 0). */
  readonly _endpointFilter: Filter;
  /** @internal what the endpoint holds (static frame budget). */
  readonly _frameHolding: EndpointFrameHolding;
  /** Frames delivered to the application. */
  framesRead = 0;
  /** Bytes (DataUsed) delivered to the application. */
  bytesRead = 0;
  private _pin: Pin | null = null;
  private _removeObserver: (() => void) | null = null;
  private readonly _readers = new WaitQueue<SinkReadResult>();
  private readonly _items = new WeakMap<Frame, SinkFrame>();
  // Delivered, not yet handed back: a ring in delivery order (the trailing edge releases its head).
  private _held: Array<SinkFrame | undefined> = new Array(8);
  private _heldHead = 0;
  private _heldTail = 0;
  private _ended = false;
  private _cancelled = false;
  private _error: unknown = null;
  private _hasError = false;
  /** The error is the graph's processing error (cleared when the graph runs again). */
  private _graphError = false;
  private _sequence = 0;

  /** @internal use `graph.addSink()`. */
  constructor(graph: Graph, options: SinkEndpointOptions) {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a SinkEndpointOptions object or undefined');
    }
    const maxHeld = options.maxHeld ?? 1;
    if (!Number.isInteger(maxHeld) || maxHeld < 0 || maxHeld > 0xffff) {
      throw argumentError('range', 'options.maxHeld', maxHeld, 'an integer 0–65535');
    }
    this.graph = graph;
    this._frameHolding = Object.freeze({ trailingWindow: maxHeld });
    const pin: PinDescriptorEx = {
      dataFlow: DataFlow.in,
      communication: Communication.both,
      dataRanges: options.dataRanges ?? [WILDCARD_DATA_RANGE],
      instancesPossible: 1,
      instancesNecessary: 0,
      flags: PinFlags.distinctTrailingEdge,
      allocatorFraming: endpointFraming(options),
      dispatch: {
        process: () => {
          this._serve();
          return Status.pending;
        },
      },
    };
    const factory = new FilterFactory(
      { pinDescriptors: [pin], flags: FilterFlags.receiveZeroLengthSamples },
      {
        scheduler: graph._scheduler,
        ...(graph.options.timers ? { timers: graph.options.timers } : {}),
      },
    );
    this._endpointFilter = factory.createFilter(this);
  }

  /** The endpoint's pin once connected (a user-mode input pin), else null. */
  get pin(): Pin | null {
    return this._pin;
  }

  /** The endpoint's filter. */
  get filter(): Filter {
    return this._endpointFilter;
  }

  /** True once the end of stream was delivered (reads return done). */
  get ended(): boolean {
    return this._ended;
  }

  /** Frames the application holds now (read, not released). */
  get held(): number {
    let n = 0;
    for (let k = this._heldHead; k < this._heldTail; k++) if (!this._held[k & (this._held.length - 1)]!._released) n++;
    return n;
  }

  /** Frames waiting in the sink's queue (arrived, not read yet). */
  get available(): number {
    return this._pin?.queue?.framesAhead ?? 0;
  }

  /**
   * The next frame if one is queued now, else null (see {@link ended}). Never waits. Release the frame.
   * @throws the source's abort reason when the graph's source aborted; `graph.error` in the graph's error state (a
   *   filter threw); StreamError `invalidDeviceState` once the graph removed the sink (`graph.close()`)
   */
  tryRead(): SinkFrame | null {
    if (this._hasError) throw this._error;
    if (this._cancelled || this._ended) return null;
    return this._take();
  }

  /**
   * Pull-style read: the next frame (release it), or `{ done: true }` after the end of stream or cancel. Waits
   * while no frame is queued.
   * @throws (rejects) the source's abort reason; `graph.error` in the graph's error state (a filter threw, also for a
   *   read pending then); StreamError `invalidDeviceState` once the graph removed the sink before the end of stream
   *   (`graph.close()`, also for a read pending then); the signal's reason when `signal` aborts
   */
  read(signal?: AbortSignal): Promise<SinkReadResult> {
    if (this._hasError) return Promise.reject(this._error);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._cancelled || this._ended) return Promise.resolve(DONE);
    if (this._readers.length === 0) {
      const item = this._take();
      if (item !== null) return Promise.resolve({ done: false, value: item });
      if (this._ended) return Promise.resolve(DONE);
    }
    const w = new Waiting<SinkReadResult>(null, signal, 'sink read');
    this._readers.push(w);
    return w.promise;
  }

  /**
   * Batched read: every frame queued now (up to `max`), waiting for at least one; `[]` after the end of stream or
   * cancel. Release each frame.
   */
  async readBatch(max = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<SinkFrame[]> {
    if (!(max >= 1)) throw argumentError('range', 'max', max, 'a number ≥ 1');
    const first = await this.read(signal);
    if (first.done) return [];
    const batch = [first.value];
    while (batch.length < max) {
      const item = this.tryRead();
      if (item === null) break;
      batch.push(item);
    }
    return batch;
  }

  /**
   * `for await (const frame of sink.frames({ signal, preventCancel }))`: each frame is released when the loop asks
   * for the next one (or ends) unless `frame.retain()` was called. Leaving the loop early (`break`, `return`, a
   * throw) {@link cancel}s the sink, as for a ReadableStream or a Node Readable, so upstream never stalls on frames
   * nobody reads; with `preventCancel: true` it only releases the current frame and the sink stays readable.
   */
  frames(options: { readonly signal?: AbortSignal; readonly preventCancel?: boolean } = {}): AsyncIterable<SinkFrame> {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'an object { signal?, preventCancel? } or undefined');
    }
    const preventCancel = options.preventCancel === true;
    return { [Symbol.asyncIterator]: () => this.iterator(options.signal, preventCancel) };
  }

  /** `for await (const frame of sink)`: see {@link frames} (leaving the loop early cancels the sink). */
  [Symbol.asyncIterator](): AsyncIterator<SinkFrame> {
    return this.iterator(undefined, false);
  }

  private iterator(signal: AbortSignal | undefined, preventCancel: boolean): AsyncIterator<SinkFrame> {
    let previous: SinkFrame | null = null;
    const drop = (): void => {
      if (previous !== null && !previous._retained) previous.release();
      previous = null;
    };
    return {
      next: (): Promise<IteratorResult<SinkFrame>> => {
        drop();
        return this.read(signal).then((r) => {
          if (!r.done) previous = r.value;
          return r as IteratorResult<SinkFrame>;
        });
      },
      return: (): Promise<IteratorResult<SinkFrame>> => {
        drop();
        if (!preventCancel) this.cancel();
        return Promise.resolve(DONE as IteratorResult<SinkFrame>);
      },
    };
  }

  /**
   * Stops reading: frames held by the application are released, pending reads resolve done, and every frame that
   * arrives from now on is released at once (upstream never stalls on this sink).
   */
  cancel(_reason?: unknown): void {
    if (this._cancelled) return;
    this._cancelled = true;
    this.releaseAll();
    for (let w = this._readers.shift(); w !== null; w = this._readers.shift()) w.resolve(DONE);
    this._serve();
  }

  /** @internal takes the frame at the leading edge (null when none); a zero-length ENDOFSTREAM frame ends. */
  private _take(): SinkFrame | null {
    const pin = this._pin;
    const queue = pin?.queue;
    if (!queue) return null;
    for (;;) {
      const lead = queue.leadingEdge;
      const frame = lead.frame;
      if (frame === null) return null;
      let item = this._items.get(frame);
      if (item === undefined) {
        item = new SinkFrame(this, frame);
        this._items.set(frame, item);
      }
      item._deliver(this._sequence);
      this.pushHeld(item);
      lead.advance(); // the frame stays held in the trailing-edge window until released
      const eos = (item.optionsFlags & EOS) !== 0;
      if (eos) this._ended = true;
      if (eos && item.dataUsed === 0) {
        item.release();
        return null;
      }
      this._sequence++;
      this.framesRead++;
      this.bytesRead += item.dataUsed;
      if (this._cancelled || this._hasError) {
        item.release();
        if (this._ended) return null;
        continue;
      }
      return item;
    }
  }

  private pushHeld(item: SinkFrame): void {
    const size = this._held.length;
    if (this._heldTail - this._heldHead === size) {
      const next = new Array<SinkFrame | undefined>(size * 2);
      for (let k = this._heldHead; k < this._heldTail; k++) next[k & (size * 2 - 1)] = this._held[k & (size - 1)];
      this._held = next;
    }
    this._held[this._heldTail & (this._held.length - 1)] = item;
    this._heldTail++;
  }

  /** @internal SinkFrameOwner: a frame was released; the trailing edge hands back every released frame in order. */
  _release(item: SinkFrame): void {
    try {
      this.releaseHeld(item);
    } catch (error) {
      // a process routine upstream threw as the frame went back and was refilled: the graph's error state
      this.graph._processingFailed(error);
    }
  }

  private releaseHeld(_item: SinkFrame): void {
    const queue = this._pin?.queue;
    const mask = this._held.length - 1;
    while (this._heldHead < this._heldTail) {
      const head = this._held[this._heldHead & mask]!;
      if (!head._released) break;
      this._held[this._heldHead & mask] = undefined;
      this._heldHead++;
      const trailing = queue?.trailingEdge;
      if (trailing && trailing.frame === head._frame) trailing.advance();
    }
  }

  private releaseAll(): void {
    const items: SinkFrame[] = [];
    for (let k = this._heldHead; k < this._heldTail; k++) items.push(this._held[k & (this._held.length - 1)]!);
    for (const item of items) item.release();
  }

  /** Serves waiting readers from the queued frames (called when frames arrive, at PAUSE or above). */
  private _serve(): void {
    if (this._cancelled || this._hasError) {
      while (this._take() !== null) {
        // _take releases at once while cancelled / failed
      }
      return;
    }
    for (let w = this._readers.peek(); w !== null; w = this._readers.peek()) {
      const item = this._take();
      if (item === null) {
        if (!this._ended) return;
        for (let r = this._readers.shift(); r !== null; r = this._readers.shift()) r.resolve(DONE);
        return;
      }
      this._readers.shift();
      w.resolve({ done: false, value: item });
    }
  }

  /** @internal the graph connected the endpoint's pin. */
  _attach(pin: Pin): void {
    this._pin = pin;
    this._removeObserver = pin.addStateObserver({
      willPinState: (_p, _from, to) => {
        if (to === KsState.stop) this.invalidateHeld();
        return undefined;
      },
    });
  }

  /** @internal the graph disconnected it. */
  _detach(pin: Pin): void {
    if (this._pin !== pin) return;
    this._removeObserver?.();
    this._removeObserver = null;
    this._pin = null;
  }

  /** Going to STOP flushes the pin's queue: frames the application still holds go back with it. */
  private invalidateHeld(): void {
    const mask = this._held.length - 1;
    for (let k = this._heldHead; k < this._heldTail; k++) {
      const item = this._held[k & mask]!;
      item._released = true;
      this._held[k & mask] = undefined;
    }
    this._heldHead = this._heldTail = 0;
  }

  /** @internal the graph tore its pipes down. */
  _onTeardown(): void {}

  /** @internal the graph leaves STOP again: its processing error no longer applies (a source abort stays). */
  _onRestart(): void {
    if (!this._graphError) return;
    this._graphError = false;
    this._hasError = false;
    this._error = null;
  }

  /**
   * @internal the graph removed the endpoint (graph.close()): pending and later reads resolve done after the end of
   * stream (or cancel), else reject with a StreamError `invalidDeviceState`.
   */
  _onRemoved(): void {
    if (this._hasError) return;
    if (this._ended || this._cancelled) {
      for (let r = this._readers.shift(); r !== null; r = this._readers.shift()) r.resolve(DONE);
      return;
    }
    this._fail(
      new StreamError(
        'sink: the graph removed the endpoint (graph.close()) before the end of stream; expected a sink of a live graph',
        Status.invalidDeviceState,
      ),
    );
  }

  /**
   * @internal the graph's source aborted or the graph entered its error state (`graph`): reads reject with
   * `reason`; frames still arriving are let through.
   */
  _fail(reason: unknown, graph = false): void {
    if (this._hasError) return;
    this._graphError = graph;
    this._hasError = true;
    this._error = reason === undefined ? new StreamError('sink: the source aborted', Status.cancelled) : reason;
    this._readers.rejectAll(this._error);
    this._serve();
  }
}
