import { argumentError, StreamError } from '../../errors.js';
import type { Filter } from '../../filter/filter.js';
import { FilterFlags } from '../../filter/filter-descriptor.js';
import { FilterFactory } from '../../filter/filter-factory.js';
import type { Pin } from '../../pin/pin.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../pin/pin-descriptor.js';
import { pipeSourceOf } from '../../processing/wiring.js';
import { Status } from '../../status.js';
import { StreamHeaderOptionsFlags } from '../../stream/stream-header-flags.js';
import { StreamPointerState } from '../../stream/stream-pointer.js';
import type { Graph } from '../graph.js';
import type { EndpointLike } from '../graph-types.js';
import {
  type EndpointFrameHolding,
  type EndpointOptions,
  endpointFraming,
  type SourceChunk,
  type SourceFrameInit,
  WILDCARD_DATA_RANGE,
} from './endpoint-types.js';
import { RESOLVED, Waiting, WaitQueue } from './endpoint-wait.js';

/** Options of {@link Graph.addSource}. */
export interface SourceEndpointOptions extends EndpointOptions {
  /**
   * Frames to write: the source pumps this (async) iterable into the graph as frames are available, then closes
   * (end of stream). Without it, write with {@link SourceEndpoint.write} and {@link SourceEndpoint.close}.
   */
  readonly from?: AsyncIterable<SourceChunk> | Iterable<SourceChunk>;
  /** Cancels the pump of `from` (the source aborts with the signal's reason). */
  readonly signal?: AbortSignal;
}

const EOS = StreamHeaderOptionsFlags.endOfStream;
const TIME_VALID = StreamHeaderOptionsFlags.timeValid;
const DURATION_VALID = StreamHeaderOptionsFlags.durationValid;

function checkChunk(chunk: unknown): SourceChunk {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk !== null && typeof chunk === 'object' && (chunk as SourceFrameInit).data instanceof Uint8Array) {
    return checkFrameInit(chunk as SourceFrameInit);
  }
  throw argumentError('type', 'chunk', chunk, 'a Uint8Array or { data: Uint8Array, …header fields }');
}

const isUlong = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff;

/** The stream-header fields of a frame init, checked before any frame is touched (the rules of Pin.submitFrame). */
function checkFrameInit(init: SourceFrameInit): SourceFrameInit {
  const { optionsFlags, typeSpecificFlags, presentationTime: t, duration, endOfStream } = init;
  if (optionsFlags !== undefined && !isUlong(optionsFlags)) {
    throw argumentError('range', 'chunk.optionsFlags', optionsFlags, 'a ULONG (0–0xffffffff)');
  }
  if (typeSpecificFlags !== undefined && !isUlong(typeSpecificFlags)) {
    throw argumentError('range', 'chunk.typeSpecificFlags', typeSpecificFlags, 'a ULONG (0–0xffffffff)');
  }
  if (t !== undefined) {
    if (typeof t === 'number') {
      if (!Number.isSafeInteger(t)) {
        throw argumentError('range', 'chunk.presentationTime', t, 'a LONGLONG (a safe integer, 100 ns units)');
      }
    } else if (t === null || typeof t !== 'object') {
      throw argumentError('type', 'chunk.presentationTime', t, 'a safe integer or { time, numerator?, denominator? }');
    } else {
      if (!Number.isSafeInteger(t.time)) {
        throw argumentError('range', 'chunk.presentationTime.time', t.time, 'a LONGLONG (a safe integer)');
      }
      if (t.numerator !== undefined && !isUlong(t.numerator)) {
        throw argumentError('range', 'chunk.presentationTime.numerator', t.numerator, 'a ULONG ≥ 0');
      }
      if (t.denominator !== undefined && (!isUlong(t.denominator) || t.denominator === 0)) {
        throw argumentError('range', 'chunk.presentationTime.denominator', t.denominator, 'a ULONG ≥ 1');
      }
    }
  }
  if (duration !== undefined && !Number.isSafeInteger(duration)) {
    throw argumentError('range', 'chunk.duration', duration, 'a LONGLONG (a safe integer, 100 ns units)');
  }
  if (endOfStream !== undefined && typeof endOfStream !== 'boolean') {
    throw argumentError('type', 'chunk.endOfStream', endOfStream, 'a boolean');
  }
  return init;
}

/**
 * A user-mode source: the application's frames enter the graph here (the analog of a user-mode filter's output pin
 * behind KsProxy). Its pin is a user-mode end, so its pipe is a user-mode pipe: the negotiation gives it the
 * user-memory allocator (never a vendor allocator) and the requester queues empty user-memory frames at this pin;
 * each written chunk is **copied** into the frame at the leading edge (the caller keeps its buffer), which then moves
 * downstream.
 *
 * Back-pressure: when no empty frame is queued (the pipe's allocator is exhausted because downstream still holds its
 * frames), `write` waits until a frame comes back. `write` returns a shared resolved promise when it did not wait —
 * no promise per frame while frames are available; {@link tryWrite} never waits.
 *
 * Chunks: a `Uint8Array` is one frame (DataUsed = its length); a chunk larger than the frame size spans several
 * frames (header fields on the first, ENDOFSTREAM on the last). {@link close} ends the stream: the last chunk written
 * with `endOfStream: true` carries KSSTREAM_HEADER_OPTIONSF_ENDOFSTREAM, else a zero-length ENDOFSTREAM frame is sent.
 *
 * Wrapping: `write(chunk)` / `close()` / `abort(reason)` map onto a WHATWG WritableStream sink or a Node Writable.
 */
export class SourceEndpoint implements EndpointLike {
  /** The graph the endpoint belongs to. */
  readonly graph: Graph;
  /** @internal the endpoint's filter (a user-mode end with one output pin type, id 0). */
  readonly _endpointFilter: Filter;
  /** @internal the frames the endpoint holds (budget): none — queued empty frames wait for data. */
  readonly _frameHolding: EndpointFrameHolding | null = null;
  /** Frames written into the graph. */
  framesWritten = 0;
  /** Bytes written into the graph. */
  bytesWritten = 0;
  /** Resolves when `from` was pumped completely and the source closed; rejects with the pump's error. */
  readonly finished: Promise<void>;
  private _pin: Pin | null = null;
  private readonly _pending = new WaitQueue<void>();
  private readonly _ready = new WaitQueue<void>();
  private _closing = false;
  private _ended = false;
  private _error: unknown = null;
  private _hasError = false;
  /** The error is the graph's processing error (cleared when the graph runs again). */
  private _graphError = false;

  /** @internal use `graph.addSource()`. */
  constructor(graph: Graph, options: SourceEndpointOptions) {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a SourceEndpointOptions object or undefined');
    }
    this.graph = graph;
    const pin: PinDescriptorEx = {
      dataFlow: DataFlow.out,
      communication: Communication.both,
      dataRanges: options.dataRanges ?? [WILDCARD_DATA_RANGE],
      instancesPossible: 1,
      instancesNecessary: 0,
      allocatorFraming: endpointFraming(options),
      dispatch: {
        process: () => {
          try {
            this._drain();
          } catch (error) {
            // a filter downstream threw as a waiting write's frame moved: the graph's error state
            this.graph._processingFailed(error);
          }
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
    if (options.from !== undefined) {
      const from = options.from;
      if (from === null || (typeof from !== 'object' && typeof from !== 'function')) {
        throw argumentError('type', 'options.from', from, 'an AsyncIterable or Iterable of chunks');
      }
      this.finished = this.pump(from, options.signal);
      this.finished.catch(() => undefined); // observed through the sink / `graph.failure`
    } else {
      this.finished = new Promise<void>(() => undefined);
    }
  }

  /** The endpoint's pin once connected (a user-mode output pin), else null. */
  get pin(): Pin | null {
    return this._pin;
  }

  /** The endpoint's filter. */
  get filter(): Filter {
    return this._endpointFilter;
  }

  /** True once the stream ended (close() or an `endOfStream` chunk was written) or the source aborted. */
  get closed(): boolean {
    return this._ended || this._hasError;
  }

  /** Empty frames queued at the source now (how many chunks of up to one frame each would be written at once). */
  get desiredFrames(): number {
    const q = this._pin?.queue;
    return q ? q.framesAhead : 0;
  }

  /** Writes still waiting for frames. */
  get pendingWrites(): number {
    return this._pending.length;
  }

  /**
   * Writes one chunk. Resolves once it was copied into the pipe's frame(s) — at once (a shared resolved promise)
   * when frames are free, else when downstream returned enough frames (back-pressure). Writes complete in order.
   * @throws (rejects) `graph.error` when a filter threw as the frames moved (the graph's error state, also for writes
   *   waiting then); StreamError `invalidDeviceState` after close, or once the graph removed the source
   *   (`graph.close()`, also for writes waiting then); the abort reason after abort or when `signal`
   *   aborts (the chunk may then be partly written)
   */
  write(chunk: SourceChunk, signal?: AbortSignal): Promise<void> {
    if (this._hasError) return Promise.reject(this._error);
    if (this._closing || this._ended) {
      return Promise.reject(
        new StreamError('source: write after close is not allowed; expected an open source', Status.invalidDeviceState),
      );
    }
    const c = checkChunk(chunk);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._pending.length === 0) {
      this._newTurn();
      let done: number;
      try {
        done = this._fill(c, 0);
      } catch (error) {
        // a process routine downstream threw as the frame moved: the graph's error state (docs/graph.md)
        return Promise.reject(this.graph._processingFailed(error));
      }
      if (done < 0) return RESOLVED;
      const w = new Waiting<void>(c, signal, 'source write');
      w.offset = done;
      this._pending.push(w);
      return w.promise;
    }
    const w = new Waiting<void>(c, signal, 'source write');
    this._pending.push(w);
    return w.promise;
  }

  /**
   * Resolves when at least one empty frame is queued and no write is waiting (WritableStreamDefaultWriter.ready):
   * at once (the shared resolved promise) when that is already so.
   * @throws (rejects) the abort reason; the signal's reason when `signal` aborts
   */
  ready(signal?: AbortSignal): Promise<void> {
    if (this._hasError) return Promise.reject(this._error);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._pending.length === 0 && this.desiredFrames > 0) return RESOLVED;
    const w = new Waiting<void>(null, signal, 'source ready');
    this._ready.push(w);
    return w.promise;
  }

  /**
   * Writes a chunk only if it fits in the frames queued now (never waits, never partly writes).
   * @returns true when written
   */
  tryWrite(chunk: SourceChunk): boolean {
    if (this._hasError || this._closing || this._ended || this._pending.length > 0) return false;
    const c = checkChunk(chunk);
    const len = c instanceof Uint8Array ? c.byteLength : c.data.byteLength;
    this._newTurn();
    const q = this._pin?.queue;
    const frame = q?.leadingEdge.frame;
    if (!q || !frame) return false;
    const size = frame.data?.byteLength ?? 0;
    const need = len === 0 ? 1 : Math.ceil(len / Math.max(1, size));
    if (q.framesAhead < need) return false;
    try {
      return this._fill(c, 0) < 0;
    } catch (error) {
      throw this.graph._processingFailed(error);
    }
  }

  /**
   * Ends the stream: resolves once the end of stream was written (an ENDOFSTREAM frame after every pending write).
   * A second call, or a call after an `endOfStream` chunk, resolves at once.
   */
  close(signal?: AbortSignal): Promise<void> {
    if (this._hasError) return Promise.reject(this._error);
    if (this._ended || this._closing) return RESOLVED;
    const eos: SourceFrameInit = { data: new Uint8Array(0), endOfStream: true };
    const p = this.write(eos, signal);
    this._closing = true;
    return p;
  }

  /**
   * Aborts the source with `reason`: pending writes reject with it and every sink of the graph errors with it
   * (`graph.failure` holds it). Frames already written stay in the graph.
   */
  abort(reason?: unknown): void {
    if (this._hasError) return;
    const error =
      reason === undefined ? new StreamError('source: aborted; expected a complete stream', Status.cancelled) : reason;
    this._hasError = true;
    this._error = error;
    this._pending.rejectAll(error);
    this._ready.rejectAll(error);
    this.graph._endpointFailed(error);
  }

  /**
   * Writes every chunk of `iterable` (waiting for frames as needed), then closes. An error thrown by the iterable or
   * an abort of `signal` aborts the source (and the graph's sinks) and rejects.
   */
  async pump(iterable: AsyncIterable<SourceChunk> | Iterable<SourceChunk>, signal?: AbortSignal): Promise<void> {
    try {
      for await (const chunk of iterable) {
        if (signal?.aborted) throw signal.reason;
        await this.write(chunk, signal);
        if (this._ended) return;
      }
      await this.close(signal);
    } catch (error) {
      this.abort(error);
      throw error;
    }
  }

  /** A write is a user-mode request: it starts a new turn of this pipe's requester (docs/graph.md). */
  private _newTurn(): void {
    const pin = this._pin;
    if (pin !== null) pipeSourceOf(pin)?._newTurn();
  }

  /**
   * Copies `chunk` from byte `offset` into the frames at the leading edge until it is written or no frame is left.
   * @returns -1 when the chunk is completely written, else the new offset
   */
  private _fill(chunk: SourceChunk, offset: number): number {
    const pin = this._pin;
    if (pin === null || pin.queue === null) return offset;
    const plain = chunk instanceof Uint8Array;
    const data = plain ? chunk : chunk.data;
    const init = plain ? null : chunk;
    const len = data.byteLength;
    do {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return offset;
      const frame = lead.frame!;
      const target = frame.data!;
      const n = Math.min(len - offset, target.byteLength);
      if (n === len) target.set(data);
      else if (n > 0) target.set(data.subarray(offset, offset + n));
      const h = frame.header;
      h.dataUsed = n;
      let flags = 0;
      if (offset === 0 && init !== null) {
        flags = (init.optionsFlags ?? 0) & ~EOS;
        if (init.typeSpecificFlags !== undefined) h.typeSpecificFlags = init.typeSpecificFlags;
        const t = init.presentationTime;
        if (t !== undefined) {
          flags |= TIME_VALID;
          if (typeof t === 'number') {
            h.presentationTime.time = t;
          } else {
            h.presentationTime.time = t.time;
            h.presentationTime.numerator = t.numerator ?? 1;
            h.presentationTime.denominator = t.denominator ?? 1;
          }
        }
        if (init.duration !== undefined) {
          flags |= DURATION_VALID;
          h.duration = init.duration;
        }
      }
      offset += n;
      const last = offset >= len;
      if (last && init !== null && (init.endOfStream === true || ((init.optionsFlags ?? 0) & EOS) !== 0)) {
        flags |= EOS;
        this._ended = true;
      }
      h.optionsFlags = flags;
      this.framesWritten++;
      this.bytesWritten += n;
      lead.unlock(true); // the frame leaves the leading edge, completes and moves downstream
    } while (offset < len);
    return -1;
  }

  /** Serves waiting writes from the frames queued now (called when frames arrive). */
  private _drain(): void {
    for (let w = this._pending.peek(); w !== null; w = this._pending.peek()) {
      const r = this._fill(w.payload as SourceChunk, w.offset);
      if (r >= 0) {
        w.offset = r;
        return;
      }
      this._pending.shift();
      w.resolve();
    }
    if (this.desiredFrames > 0) for (let w = this._ready.shift(); w !== null; w = this._ready.shift()) w.resolve();
  }

  /** @internal the graph connected the endpoint's pin. */
  _attach(pin: Pin): void {
    this._pin = pin;
  }

  /** @internal the graph disconnected it. */
  _detach(pin: Pin): void {
    if (this._pin === pin) this._pin = null;
  }

  /** @internal the graph tore its pipes down (→STOP): pending writes wait for the next run. */
  _onTeardown(): void {}

  /** @internal the graph entered its error state: pending and later writes reject with `error`. */
  _fail(error: unknown): void {
    if (this._hasError) return;
    this._hasError = true;
    this._graphError = true;
    this._error = error;
    this._pending.rejectAll(error);
    this._ready.rejectAll(error);
  }

  /** @internal the graph leaves STOP again: its processing error no longer applies (an abort stays). */
  _onRestart(): void {
    if (!this._graphError) return;
    this._graphError = false;
    this._hasError = false;
    this._error = null;
  }

  /** @internal the graph removed the endpoint (graph.close()): pending and later writes reject. */
  _onRemoved(): void {
    if (this._hasError) return;
    this._fail(
      new StreamError(
        'source: the graph removed the endpoint (graph.close()); expected a source of a live graph',
        Status.invalidDeviceState,
      ),
    );
    this._graphError = false;
  }
}
