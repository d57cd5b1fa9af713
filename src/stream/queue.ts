import { argumentError, StreamError } from '../errors.js';
import { PinFlags } from '../pin/pin-flags.js';
import { KsState, type KsStateValue } from '../state.js';
import { ntSuccess, Status, type StatusCode } from '../status.js';
import { Frame, FrameState } from './frame.js';
import { checkScheduler, defaultScheduler, type Scheduler } from './scheduler.js';
import {
  StreamPointer,
  type StreamPointerCallback,
  StreamPointerState,
  type StreamPointerStateValue,
} from './stream-pointer.js';
import { StreamRequest, StreamRequestState } from './stream-request.js';

// (the hot paths read these as module constants — folded by the compiler — not as properties of imported objects)
const QUEUED = FrameState.queued;
const DONE = FrameState.done;
const IDLE = FrameState.idle;
const SUCCESS = Status.success;
const LOCKED = StreamPointerState.locked;

/** KSPIN_DATAFLOW_IN: the pin receives frames (its pointers use `offsetIn`). */
export const DATAFLOW_IN = 1;
/** KSPIN_DATAFLOW_OUT: the pin produces frames (its pointers use `offsetOut`). */
export const DATAFLOW_OUT = 2;

/**
 * What a {@link Queue} needs from its owner (a pin). The queue never imports pin classes.
 *
 * Called synchronously; callbacks run only once the queue's state is consistent (at the end of the queue operation
 * that caused them), so they may call back into the queue (e.g. re-add a completed frame).
 */
export interface QueueHost {
  /** KSPIN_FLAG_* bits ({@link PinFlags}); read once, when the queue is created. */
  readonly flags: number;
  /** KSPIN_DATAFLOW: {@link DATAFLOW_IN} (1) or {@link DATAFLOW_OUT} (2); read once. Chooses `StreamPointer.offset`. */
  readonly dataFlow: number;
  /** The pin's current KSSTATE (read when a timeout is scheduled: the PAUSE caveat). */
  readonly deviceState: KsStateValue;
  /**
   * Frames entered the queue (one call per `add` / `addRequest`). `wasEmpty`: no frame was at or ahead of the leading
   * edge before they came — the arrival trigger of spec §3.5 (2).
   */
  _onArrival(queue: Queue, wasEmpty: boolean): void;
  /**
   * A frame completed: its references reached zero (with KSPIN_FLAG_ENFORCE_FIFO, only after every earlier frame
   * completed). Called in completion order; the frame is idle again (it may be reset and re-added at once). Its
   * `status` and `request` tell how and for whom it completed.
   */
  _onFrameComplete(frame: Frame): void;
  /** A stream request completed (after its last frame's `_onFrameComplete`). */
  _onStreamRequestComplete?(request: StreamRequest): void;
}

/**
 * The DMA extension point (KSPIN_FLAG_GENERATE_MAPPINGS, spec §6 / §9.28): `generateMappings` runs each time a
 * pointer locks a frame (it may fill `pointer.offset.mappings` and set `count`/`remaining` in mappings); a failure
 * status fails the lock. `releaseMappings` runs when the pointer unlocks or leaves the frame.
 */
export interface MappingsHook {
  /** Builds the mappings of `frame` for `pointer`; returns `success` or the failure the lock reports. */
  generateMappings(pointer: StreamPointer, frame: Frame): StatusCode;
  /** Releases what `generateMappings` built (optional). */
  releaseMappings?(pointer: StreamPointer, frame: Frame): void;
}

/**
 * @internal A circuit section (pin/circuit-section.ts): the queues of a pipe's pins, from the requester's source pin to
 * the circuit's end, sharing one ring of frames while every pin is simple (docs/processing.md "Circuit sections").
 * Each queue's own state (`_head`, `_tail`, `_live`, its edge, its frames' fields) stays exact; only the ring array is
 * shared, and a frame moves to the next pin by moving the two queues' cursors.
 */
export interface QueueSection {
  /**
   * The fast `unlock(true)` of `queue`'s leading edge (locked): moves its frame on; false, with nothing changed, when
   * the generic path must (`Queue._unlock`).
   */
  _hop(queue: Queue, pointer: StreamPointer): boolean;
  /** Gives every queue its own ring again (before any operation the shared ring cannot express). */
  _detach(): void;
  /** Makes room for one more frame entering the section's source queue. */
  _reserve(): void;
}

/** Options of a {@link Queue}. */
export interface QueueOptions {
  /** Clock and timers for stream-pointer timeouts (default: `setTimeout`-backed). */
  scheduler?: Scheduler;
  /** Initial ring capacity (rounded up to a power of two; grows by doubling). Default 16. */
  initialCapacity?: number;
  /** The mappings hook (KSPIN_FLAG_GENERATE_MAPPINGS). */
  mappings?: MappingsHook | null;
}

/** KsPinGetAvailableByteCount's two results. */
export interface AvailableByteCount {
  /** InputDataBytes: input data at and ahead of the leading edge (the leading frame counts its `offsetIn.remaining`). */
  inputDataBytes: number;
  /** OutputBufferBytes: output space at and ahead of the leading edge (the leading frame counts `offsetOut.remaining`). */
  outputBufferBytes: number;
}

/**
 * A pin's queue of frames (spec §4): a ring of frames in arrival order, the leading edge, the trailing edge (with
 * KSPIN_FLAG_DISTINCT_TRAILING_EDGE), clones, reference counting, completion (ENFORCE_FIFO), cancellation, reset and
 * flush. Steady state allocates nothing: a frame arriving, locked, ejected and completed touches only preallocated
 * objects.
 *
 * Reference counting: a queued frame holds +1 per stream pointer on it and +1 "queue hold" while it is at or ahead of
 * the leading edge or inside the trailing↔leading window. It completes exactly when the count reaches zero.
 */
export class Queue<H extends QueueHost = QueueHost> {
  /** The owner (the pin). */
  readonly host: H;
  /** The KSPIN_FLAG_* bits captured at creation. */
  readonly flags: number;
  /** The clock and timers for timeouts. */
  readonly scheduler: Scheduler;
  /** The mappings hook run at lock time with KSPIN_FLAG_GENERATE_MAPPINGS (null: none). */
  mappings: MappingsHook | null;

  /** @internal */
  readonly _inputPin: boolean;
  /** @internal */
  readonly _fifo: boolean;
  /** @internal */
  readonly _generateMappings: boolean;
  /** @internal no trailing edge, no ENFORCE_FIFO, no mappings: `unlock` of the leading edge may take the fast path */
  readonly _simple: boolean;
  /** @internal ring of frames by sequence number (null = retired slot) */
  _ring: (Frame | null)[];
  /** @internal */
  _mask: number;
  /** @internal sequence number of the oldest slot not retired */
  _head = 0;
  /** @internal next sequence number */
  _tail = 0;
  /** @internal frames in the queue (queued or done, not yet completed) */
  _live = 0;
  /** @internal */
  readonly _leading: StreamPointer<H>;
  /** @internal */
  readonly _trailing: StreamPointer<H> | null;
  /** @internal */
  _firstClone: StreamPointer<H> | null = null;
  /** @internal */
  _lastClone: StreamPointer<H> | null = null;
  /** @internal */
  _cloneCount = 0;
  /** @internal completion ring (without ENFORCE_FIFO) */
  _done: (Frame | null)[];
  /** @internal */
  _doneMask: number;
  /** @internal */
  _doneHead = 0;
  /** @internal */
  _doneTail = 0;
  /** @internal completions are deferred while > 0 */
  _hold = 0;
  /** @internal */
  _draining = false;
  /** @internal */
  _resetting = false;
  /**
   * @internal a flush or reset cancelled frames while a completion callback of this queue ran (`_draining`): they are
   * parked as done until it returns — and completed at once if it returns by a throw (see `_afterThrow`)
   */
  _flushPending = false;
  /** @internal the owner closed (see `_close`) */
  _closed = false;
  /** @internal the circuit section sharing this queue's ring, or null (see {@link QueueSection}) */
  _section: QueueSection | null = null;
  /** @internal this queue's index in `_section` (0: the section's source queue) */
  _sectionIndex = -1;
  /** @internal the next queue of `_section` (null at its last pin, and while not in a section) */
  _sectionNext: Queue<H> | null = null;
  /** @internal in a section: the next pin lets zero-length frames bypass it (they leave the fast path) */
  _sectionNextBypass = false;
  /** @internal in a section: the next pin ignores an arrival into a non-empty queue (no callback is due then) */
  _sectionNextQuiet = false;
  /** @internal pointers whose timeouts wait for a timeout scheduled in RUN */
  _parked: StreamPointer<H>[] = [];
  /**
   * @internal the first error thrown by a clone cancel callback or a request's completion during the current
   * operation: the operation finishes first (every frame accounted for), then `_flush` rethrows it. (An error of the
   * host's `_onFrameComplete` — e.g. the next pin's Process in a circuit — propagates at once: callers such as the
   * graph's endpoints stop on it; the frames completed after it wait for the next queue operation — or, when a flush
   * or reset cancelled frames meanwhile, complete before the error propagates: `_afterThrow`.)
   */
  _callbackError: unknown = NO_ERROR;

  /**
   * @param host - the owner (see {@link QueueHost})
   * @param options - scheduler, initial capacity, mappings hook
   */
  constructor(host: H, options: QueueOptions = {}) {
    if (host === null || typeof host !== 'object') throw argumentError('type', 'host', host, 'a QueueHost object');
    if (typeof host._onArrival !== 'function' || typeof host._onFrameComplete !== 'function') {
      throw argumentError('type', 'host', host, 'an object with _onArrival and _onFrameComplete methods');
    }
    const flags = host.flags;
    if (!Number.isInteger(flags)) throw argumentError('type', 'host.flags', flags, 'KSPIN_FLAG_* bits');
    if (host.dataFlow !== DATAFLOW_IN && host.dataFlow !== DATAFLOW_OUT) {
      throw argumentError('range', 'host.dataFlow', host.dataFlow, '1 (KSPIN_DATAFLOW_IN) or 2 (KSPIN_DATAFLOW_OUT)');
    }
    checkScheduler('options.scheduler', options.scheduler);
    const capacity = options.initialCapacity ?? 16;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw argumentError('range', 'initialCapacity', capacity, 'an integer in 1..2^24');
    }
    let size = 1;
    while (size < capacity) size <<= 1;
    this.host = host;
    this.flags = flags >>> 0;
    this.scheduler = options.scheduler ?? defaultScheduler;
    this.mappings = options.mappings ?? null;
    this._inputPin = host.dataFlow === DATAFLOW_IN;
    this._fifo = (this.flags & PinFlags.enforceFifo) !== 0;
    this._generateMappings = (this.flags & PinFlags.generateMappings) !== 0;
    this._ring = new Array<Frame | null>(size).fill(null);
    this._mask = size - 1;
    this._done = new Array<Frame | null>(size).fill(null);
    this._doneMask = size - 1;
    this._leading = new StreamPointer<H>(this, 0);
    this._trailing = (this.flags & PinFlags.distinctTrailingEdge) !== 0 ? new StreamPointer<H>(this, 1) : null;
    this._simple = this._trailing === null && !this._fifo && !this._generateMappings;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Public API

  /** Frames in the queue not yet completed (queued, or done and waiting for ENFORCE_FIFO). */
  get length(): number {
    return this._live;
  }

  /** Live clones. */
  get cloneCount(): number {
    return this._cloneCount;
  }

  /** True between {@link resetBegin} and {@link resetEnd}: new frames are rejected with `deviceNotReady`. */
  get resetting(): boolean {
    return this._resetting;
  }

  /** The leading edge as it is (no lock-state change): for the owner's bookkeeping. */
  get leadingEdge(): StreamPointer<H> {
    return this._leading;
  }

  /** The trailing edge as it is, or null without KSPIN_FLAG_DISTINCT_TRAILING_EDGE. */
  get trailingEdge(): StreamPointer<H> | null {
    return this._trailing;
  }

  /** Frames at or ahead of the leading edge (not cancelled): what processing can still consume. */
  get framesAhead(): number {
    const lead = this._leading._frame;
    if (lead === null) return 0;
    let n = 0;
    for (let s = lead._seq; s < this._tail; s++) {
      const f = this._ring[s & this._mask] as Frame | null; // (slots hold a frame or null, never undefined)
      if (f !== null && f._state === QUEUED && !f._cancelled) n++;
    }
    return n;
  }

  /**
   * Puts a frame (circulating without a request) at the end of the queue. The frame must be idle; its `request` is
   * cleared and its `status` set to success. A pointer waiting past the end (e.g. the leading edge of an empty queue)
   * moves onto it.
   * @throws StreamError (`deviceNotReady`) between resetBegin and resetEnd
   * @throws TypeError when `frame` is not an idle Frame
   */
  add(frame: Frame): void {
    if (!(frame instanceof Frame)) throw argumentError('type', 'frame', frame, 'a Frame');
    this._assertAccepting();
    frame._assertIdle('add');
    if (this._section !== null) this._section._detach(); // (a frame from outside the circuit: the generic path)
    frame.request = null;
    frame._requestIndex = -1;
    const wasEmpty = this._leading._frame === null;
    this._enqueue(frame); // completes nothing
    this.host._onArrival(this as unknown as Queue, wasEmpty);
  }

  /**
   * @internal `add` for a circuit frame handed on by the previous pin's completion (the pin's `_onFrameComplete`):
   * the frame was just retired, so it is an idle Frame — the same steps without the argument checks.
   */
  _addNext(frame: Frame): void {
    if (this._resetting === true) this._assertAccepting();
    frame.request = null;
    frame._requestIndex = -1;
    const wasEmpty = this._leading._frame === null;
    this._enqueue(frame);
    this.host._onArrival(this as unknown as Queue, wasEmpty);
  }

  /**
   * Submits a stream request: its frames enter in order (as IOCTL_KS_READ/WRITE_STREAM). The request completes when
   * its last frame does. A request cancelled before (or an aborted signal) is cancelled as it enters.
   * @throws StreamError (`deviceNotReady`) between resetBegin and resetEnd (the request stays idle)
   * @throws TypeError when the request is not idle or one of its frames is queued
   */
  addRequest(request: StreamRequest): void {
    if (!(request instanceof StreamRequest)) throw argumentError('type', 'request', request, 'a StreamRequest');
    this._assertAccepting();
    if (request._state !== StreamRequestState.idle) {
      throw argumentError('type', 'request', 'a submitted request', 'an idle request (reset() a completed one)');
    }
    if (this._section !== null) this._section._detach();
    request._begin(this);
    const wasEmpty = this._leading._frame === null;
    this._hold++;
    const frames = request.frames;
    for (let i = 0; i < frames.length; i++) this._enqueue(frames[i]!);
    const cancelled = request._cancelRequested;
    try {
      if (cancelled) this._cancelRequestFrames(request);
    } finally {
      this._hold--;
    }
    this._flush();
    if (!cancelled) this.host._onArrival(this as unknown as Queue, wasEmpty);
  }

  /**
   * KsPinGetLeadingEdgeStreamPointer. LOCKED: locks the edge on its frame, or null when there is no frame (or the lock
   * fails). UNLOCKED: the edge whether on a frame or not, unlocked if it was locked.
   */
  getLeadingEdge(state: StreamPointerStateValue): StreamPointer<H> | null {
    if (state === LOCKED && this._generateMappings === false) {
      // Fast path (no mappings hook to run): lock the edge on a present frame without the generic checks.
      const p = this._leading;
      if (p._locked === true) return p;
      const f = p._frame;
      if (f === null) return null;
      if (f._cancelled === true || f._state !== QUEUED) return null;
      p._locked = true;
      f._locks++;
      return p;
    }
    return this._getEdge(this._leading, state);
  }

  /** KsPinGetTrailingEdgeStreamPointer: as {@link getLeadingEdge}; null without KSPIN_FLAG_DISTINCT_TRAILING_EDGE. */
  getTrailingEdge(state: StreamPointerStateValue): StreamPointer<H> | null {
    if (this._trailing === null) {
      checkState(state);
      return null;
    }
    return this._getEdge(this._trailing, state);
  }

  /** KsPinGetFirstCloneStreamPointer: the oldest live clone, or null. */
  getFirstClone(): StreamPointer<H> | null {
    return this._firstClone;
  }

  /**
   * KsPinGetAvailableByteCount: input bytes and output space at and ahead of the leading edge.
   * @param out - an object to fill (avoids an allocation)
   */
  availableByteCount(out: AvailableByteCount = { inputDataBytes: 0, outputBufferBytes: 0 }): AvailableByteCount {
    let inBytes = 0;
    let outBytes = 0;
    const lead = this._leading;
    if (lead._frame !== null) {
      inBytes = lead.offsetIn.remaining;
      outBytes = lead.offsetOut.remaining;
      for (let s = lead._pos + 1; s < this._tail; s++) {
        const f = this._ring[s & this._mask] as Frame | null;
        if (f === null || f._state !== QUEUED || f._cancelled) continue;
        inBytes += f.header.dataUsed;
        outBytes += f.header.frameExtent;
      }
    }
    out.inputDataBytes = inBytes;
    out.outputBufferBytes = outBytes;
    return out;
  }

  /**
   * KSRESET_BEGIN: cancels every queued frame (locked ones when unlocked) and rejects new frames with
   * `deviceNotReady` until {@link resetEnd}. A state change does not end a reset. Idempotent.
   */
  resetBegin(): void {
    if (this._section !== null) this._section._detach();
    this._resetting = true;
    this._cancelAll(Status.cancelled);
  }

  /** KSRESET_END: accepts frames again. */
  resetEnd(): void {
    this._resetting = false;
  }

  /**
   * The →STOP flush: unlocks the edges and cancels every queued frame with `status`, so each completes back to the
   * host once no clone holds it (unlocked clones get their cancel callbacks; locked clones keep their frame until
   * unlocked or deleted). Deleting clones at STOP is the owner's policy.
   */
  flush(status: StatusCode = Status.cancelled): void {
    this._hold++;
    if (this._leading._locked) this._unlockPointer(this._leading);
    if (this._trailing?._locked) this._unlockPointer(this._trailing);
    this._hold--;
    this._cancelAll(status >>> 0);
  }

  /** Cancels a request queued here (same as `request.cancel()`). */
  cancelRequest(request: StreamRequest): void {
    request.cancel();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Internals used by StreamPointer / StreamRequest

  /** @internal */
  _assertAccepting(): void {
    if (this._resetting) {
      throw new StreamError(
        'queue: new I/O during a reset is not allowed; expected KSRESET_END first',
        Status.deviceNotReady,
      );
    }
    if (this._closed) {
      throw new StreamError(
        'queue: new I/O on a closed pin is not allowed; expected an open pin',
        Status.invalidDeviceState,
      );
    }
  }

  /**
   * @internal the owner closed: new frames are refused (`invalidDeviceState`) from now on. The owner flushes first;
   * frames still held by clones come back when the clones are deleted.
   */
  _close(): void {
    if (this._section !== null) this._section._detach();
    this._closed = true;
  }

  /** @internal */
  _enqueue(f: Frame): void {
    if (this._section !== null) {
      // a frame enters a section's source queue in the shared ring; any other queue of the section takes frames only
      // by a hop, so a generic arrival gives the queues their own rings first
      if (this._sectionIndex === 0) this._section._reserve();
      else this._section._detach();
    }
    if (this._tail - this._head > this._mask) this._grow();
    this._admit(f);
    // Pointers waiting past the end take the new frame.
    if (this._leading._frame === null) this._place(this._leading, f);
    if (this._trailing !== null || this._firstClone !== null) this._placeOthers(f);
  }

  /**
   * @internal the frame takes the slot at the tail (room made by the caller) with the fields every entering frame
   * gets: queued, the queue's hold as its one reference, no lock, not cancelled, status success
   */
  _admit(f: Frame): void {
    const seq = this._tail++;
    f._queue = this;
    f._seq = seq;
    f._state = QUEUED;
    f._refs = 1;
    f._held = true;
    f._locks = 0;
    f._cancelled = false;
    f._cancelPending = false;
    f.status = SUCCESS;
    this._ring[seq & this._mask] = f;
    this._live++;
  }

  /** @internal the trailing edge and clones waiting past the end take the new frame */
  _placeOthers(f: Frame): void {
    const t = this._trailing;
    if (t !== null && t._frame === null) this._place(t, f);
    for (let c = this._firstClone; c !== null; c = c._nextClone) if (c._frame === null) this._place(c, f);
  }

  /** @internal */
  _grow(): void {
    this._ring = grownRing(this._ring, this._mask, this._head, this._tail);
    this._mask = this._ring.length - 1;
  }

  /** @internal puts a pointer (at the end) on a frame */
  _place(p: StreamPointer<H>, f: Frame): void {
    p._frame = f;
    p._pos = f._seq;
    p._notified = null; // frames are reused: a new pass may be cancelled again
    f._refs++;
    p.offsetIn._set(f.header.data, f.header.dataUsed);
    p.offsetOut._set(f.header.data, f.header.frameExtent);
  }

  /** @internal puts a pointer past the end (no frame: it takes the next arrival) */
  _parkAtEnd(p: StreamPointer<H>): void {
    p._frame = null;
    p._pos = this._tail;
    p.offsetIn._set(null, 0);
    p.offsetOut._set(null, 0);
  }

  /** @internal the first present (queued, not cancelled) frame with seq in [from, limit) */
  _scan(from: number, limit: number): Frame | null {
    const ring = this._ring;
    const mask = this._mask;
    for (let s = from; s < limit; s++) {
      const f = ring[s & mask] as Frame | null;
      if (f !== null && f._state === QUEUED && !f._cancelled) return f;
    }
    return null;
  }

  /**
   * @internal moves an unlocked pointer to the next present frame (or past the end; the trailing edge stops at the
   * leading edge). Returns false when the pointer could not move. `leaving` applies the GENERATE_MAPPINGS DataUsed
   * rule.
   */
  _step(p: StreamPointer<H>, leaving: boolean): boolean {
    const old = p._frame;
    if (old === null) return true; // past the end: stays there (and takes the next arrival)
    let target: Frame | null;
    let limitPos: number;
    if (p._kind === 1) {
      const lead = this._leading;
      if (p._pos >= lead._pos) return false; // the trailing edge never passes the leading edge
      target = this._scan(p._pos + 1, lead._pos);
      if (target === null) target = lead._frame;
      limitPos = target === null ? this._tail : target._seq;
    } else {
      target = this._scan(p._pos + 1, this._tail);
      limitPos = target === null ? this._tail : target._seq;
    }
    if (leaving && this._generateMappings) {
      const off = this._inputPin ? p.offsetIn : p.offsetOut;
      if (off.remaining < off.count) old.header.dataUsed = off.count - off.remaining;
    }
    const oldPos = p._pos;
    // leave the old frame
    if (target === null) this._parkAtEnd(p);
    else this._place(p, target);
    // the release edge (trailing if distinct, else leading) releases the queue hold of the frames it passed
    if (p._kind === 1 || (p._kind === 0 && this._trailing === null)) this._releaseHolds(oldPos, limitPos);
    this._release(old);
    return true;
  }

  /** @internal */
  _releaseHolds(from: number, to: number): void {
    const ring = this._ring;
    const mask = this._mask;
    for (let s = from; s < to; s++) {
      const f = ring[s & mask] as Frame | null;
      if (f?._held) {
        f._held = false;
        this._release(f);
      }
    }
  }

  /** @internal −1 reference; at 0 the frame is done */
  _release(f: Frame): void {
    if (--f._refs > 0) return;
    f._state = DONE;
    if (!this._fifo) {
      if (this._doneTail - this._doneHead > this._doneMask) this._growDone();
      this._done[this._doneTail++ & this._doneMask] = f;
    }
    if (this._hold === 0) this._flush();
  }

  /** @internal */
  _growDone(): void {
    this._done = grownRing(this._done, this._doneMask, this._doneHead, this._doneTail);
    this._doneMask = this._done.length - 1;
  }

  /** @internal completes done frames (in FIFO order with ENFORCE_FIFO), unless deferred */
  _flush(): void {
    if (this._hold > 0 || this._draining) return;
    this._draining = true;
    this._flushPending = false; // (everything done is completed now)
    try {
      for (;;) {
        let f: Frame | null = null;
        if (this._fifo) {
          this._skipRetired();
          const h = this._head < this._tail ? this._ring[this._head & this._mask]! : null;
          if (h !== null && h._state === DONE) f = h;
        } else if (this._doneHead < this._doneTail) {
          const i = this._doneHead++ & this._doneMask;
          f = this._done[i]!;
          this._done[i] = null;
        }
        if (f === null) break;
        this._retire(f);
      }
      this._skipRetired();
    } catch (error) {
      this._draining = false;
      this._afterThrow();
      throw error;
    }
    this._draining = false;
    this._flushPending = false; // (a flush requested by a callback meanwhile found its frames completed by this loop)
    if (this._callbackError !== NO_ERROR) this._rethrow();
  }

  /** @internal true when a callback run while draining left done frames or a recorded error (see `_settle`) */
  _unsettled(): boolean {
    return this._doneHead !== this._doneTail || this._callbackError !== NO_ERROR;
  }

  /** @internal moves the head past the retired slots (a strict null check: `== null` would test the frame's map) */
  _skipRetired(): void {
    const ring = this._ring;
    const mask = this._mask;
    const tail = this._tail;
    let head = this._head;
    while (head < tail && ring[head & mask] === null) head++;
    this._head = head;
  }

  /** @internal records the first callback error of an operation */
  _noteError(error: unknown): void {
    if (this._callbackError === NO_ERROR) this._callbackError = error;
  }

  /** @internal throws the recorded callback error (the queue is consistent by now) */
  _rethrow(): never {
    const error = this._callbackError;
    this._callbackError = NO_ERROR;
    throw error;
  }

  /** @internal hands a done frame back */
  _retire(f: Frame): void {
    // a completion other than a section's hop (out of order, cancelled, returned): the queues get their own rings
    if (this._section !== null) this._section._detach();
    this._ring[f._seq & this._mask] = null;
    f._state = IDLE;
    f._queue = null;
    f._refs = 0;
    f._held = false;
    f._locks = 0;
    f._cancelPending = false;
    this._live--;
    try {
      this.host._onFrameComplete(f);
    } catch (error) {
      // the host's error propagates at once, but the frame still counts for its request (catch + rethrow: cheaper
      // than finally on this path)
      if (f.request !== null) this._retireRequestFrame(f);
      throw error;
    }
    // (checked here, not inside: a circulating frame has no request, and the call then costs nothing to inline)
    if (f.request !== null) this._retireRequestFrame(f);
  }

  /** @internal the request bookkeeping of a retired frame (with a request): the request completes with its last frame */
  _retireRequestFrame(f: Frame): void {
    const r = f.request!;
    if (r._state === StreamRequestState.pending && --r._pendingFrames === 0) {
      try {
        this.host._onStreamRequestComplete?.(r);
      } catch (error) {
        this._noteError(error);
      }
      try {
        r._finish();
      } catch (error) {
        this._noteError(error);
      }
    }
  }

  /** @internal */
  _getEdge(p: StreamPointer<H>, state: StreamPointerStateValue): StreamPointer<H> | null {
    checkState(state);
    if (state === LOCKED) {
      if (p._frame === null) return null;
      return this._lock(p) === SUCCESS ? p : null;
    }
    if (p._locked) this._unlock(p, false);
    return p;
  }

  /** @internal */
  _lock(p: StreamPointer<H>): StatusCode {
    if (p._locked) return SUCCESS;
    const f = p._frame;
    if (f === null || f._cancelled || f._state !== QUEUED) return Status.deviceNotReady;
    if (this._generateMappings && this.mappings !== null) {
      const status = this.mappings.generateMappings(p as unknown as StreamPointer, f);
      if (!ntSuccess(status)) return status;
    }
    p._locked = true;
    f._locks++;
    return SUCCESS;
  }

  /** @internal unlocks without acting on a pending cancellation; returns the frame */
  _unlockPointer(p: StreamPointer<H>): Frame {
    const f = p._frame!;
    p._locked = false;
    f._locks--;
    if (this._generateMappings && this.mappings?.releaseMappings !== undefined) {
      this.mappings.releaseMappings(p as unknown as StreamPointer, f);
    }
    return f;
  }

  /** @internal a frame whose cancellation waited for its last lock */
  _afterUnlock(f: Frame): void {
    if (f._locks === 0 && f._cancelPending && f._state === QUEUED && f._queue === this) {
      this._cancelFrame(f, f._cancelStatus);
    }
  }

  /** @internal */
  _unlock(p: StreamPointer<H>, eject: boolean): void {
    const section = this._section;
    if (
      section !== null &&
      eject === true &&
      section._hop(this as unknown as Queue, p as unknown as StreamPointer) === true
    ) {
      return;
    }
    this._unlockPlain(p, eject);
  }

  /** @internal `_unlock` without trying a circuit section's hop (the caller tried it) */
  _unlockPlain(p: StreamPointer<H>, eject: boolean): void {
    // (boolean fields compared with `=== true` / `=== false` on this path: a bare truthiness test of a field makes V8
    // check for null, undefined and undetectable objects too — docs/performance.md "Third pass")
    if (
      this._simple === true &&
      p._kind === 0 &&
      this._hold === 0 &&
      this._draining === false &&
      this._firstClone === null
    ) {
      const f = p._frame!;
      if (f._cancelPending === false && this._doneHead === this._doneTail) {
        if (eject) {
          this._ejectLeading(p, f); // (a section's hop was tried first: StreamPointer.unlock)
        } else {
          p._locked = false;
          f._locks--;
        }
        return;
      }
    }
    this._unlockGeneric(p, eject);
  }

  /** @internal `_unlock` the generic way (hold, unlock, step, flush) */
  _unlockGeneric(p: StreamPointer<H>, eject: boolean): void {
    this._hold++;
    try {
      const f = this._unlockPointer(p);
      if (eject) this._step(p, true);
      this._afterUnlock(f);
    } finally {
      this._hold--;
    }
    this._flush();
  }

  /**
   * @internal The common case of `unlock(eject)` on the leading edge (no trailing edge, no clones, no ENFORCE_FIFO,
   * no mappings, no cancellation pending, no queue operation in progress): the same steps as `_unlock` → `_step` →
   * `_releaseHolds` → `_release` → `_flush`, without the generic bookkeeping. The frame left behind completes at once
   * (its only references are the edge and the queue hold); anything unusual falls back to the generic path.
   */
  _ejectLeading(p: StreamPointer<H>, f: Frame): void {
    const pos = p._pos;
    const tail = this._tail;
    let next: Frame | null = null;
    if (pos + 1 < tail) {
      next = this._ring[(pos + 1) & this._mask] as Frame | null;
      // something other than a present frame right behind: the generic path
      if (next === null || next._state !== QUEUED || next._cancelled === true) {
        this._unlockGeneric(p, true);
        return;
      }
    }
    p._locked = false;
    f._locks--;
    if (next === null) this._parkAtEnd(p);
    else this._place(p, next);
    // the edge's reference and the queue hold of the frame it left
    if (f._held === true) {
      f._held = false;
      f._refs--;
    }
    if (--f._refs > 0) return;
    f._state = DONE;
    this._completeNow(f); // (no other frame waits for completion: `_unlock` checked)
  }

  /** @internal completes a done frame when no other frame waits for completion (as `_flush` would) */
  _completeNow(f: Frame): void {
    this._draining = true;
    try {
      this._retire(f);
    } catch (error) {
      this._draining = false;
      this._afterThrow();
      throw error;
    }
    this._draining = false;
    this._settle();
  }

  /**
   * @internal After a completion's callback ran with `_draining` set (`_completeNow`, a circuit section's hop): the
   * frames completed by callbacks meanwhile (queued while draining), the retired slots at the head, and a callback
   * error recorded meanwhile (a request's completion callbacks, a nested cancellation) — this call's, as `_flush`
   * would report it, not a later, unrelated operation's.
   */
  _settle(): void {
    // (a circuit section's hop calls this only when `_unsettled()`: its own head slot needs no skipping)
    if (this._doneHead !== this._doneTail) {
      this._flush(); // (rethrows a callback error)
      return;
    }
    this._skipRetired();
    if (this._callbackError !== NO_ERROR) this._rethrow();
  }

  /** @internal */
  _advance(p: StreamPointer<H>): StatusCode {
    if (!p._locked) {
      this._hold++;
      this._step(p, true);
      this._hold--;
      this._flush();
      return SUCCESS;
    }
    return this._advanceLocked(p);
  }

  /** @internal unlock, move, relock */
  _advanceLocked(p: StreamPointer<H>): StatusCode {
    this._hold++;
    let status: StatusCode;
    try {
      const f = this._unlockPointer(p);
      const moved = this._step(p, true);
      this._afterUnlock(f);
      if (!moved || p._frame === null) status = Status.deviceNotReady;
      else status = this._lock(p);
    } finally {
      this._hold--;
    }
    this._flush();
    return status;
  }

  /** @internal */
  _advanceOffsets(p: StreamPointer<H>, inUsed: number, outUsed: number, eject: boolean, unlock: boolean): StatusCode {
    if (!Number.isSafeInteger(inUsed) || inUsed < 0) throw argumentError('range', 'inUsed', inUsed, 'an integer ≥ 0');
    if (!Number.isSafeInteger(outUsed) || outUsed < 0) {
      throw argumentError('range', 'outUsed', outUsed, 'an integer ≥ 0');
    }
    if (!p._locked) return Status.deviceNotReady;
    if (inUsed > p.offsetIn.remaining) {
      throw argumentError('range', 'inUsed', inUsed, `≤ offsetIn.remaining (${p.offsetIn.remaining})`);
    }
    if (outUsed > p.offsetOut.remaining) {
      throw argumentError('range', 'outUsed', outUsed, `≤ offsetOut.remaining (${p.offsetOut.remaining})`);
    }
    const offIn = p.offsetIn;
    const offOut = p.offsetOut;
    offIn.remaining -= inUsed;
    offOut.remaining -= outUsed;
    // The frame is finished with Eject, when the pin's own offset has nothing left, or when this call used up the
    // rest of either offset ("If InUsed [OutUsed] is equal to the remaining number of bytes … AVStream advances").
    const finished =
      eject ||
      (this._inputPin ? offIn : offOut).remaining === 0 ||
      (inUsed > 0 && offIn.remaining === 0) ||
      (outUsed > 0 && offOut.remaining === 0);
    if (unlock) {
      this._unlock(p, finished);
      return SUCCESS;
    }
    return finished ? this._advanceLocked(p) : SUCCESS;
  }

  /** @internal */
  _clone(p: StreamPointer<H>, cancelCallback: StreamPointerCallback<H> | null, contextSize: number): StreamPointer<H> {
    if (this._section !== null) this._section._detach(); // (frames may now complete out of order)
    const c = new StreamPointer<H>(this, 2);
    c._cancelCallback = cancelCallback;
    c.context = contextSize > 0 ? new Uint8Array(contextSize) : null;
    const f = p._frame;
    if (f !== null) {
      c._frame = f;
      c._pos = f._seq;
      f._refs++;
      if (p._locked) {
        c._locked = true;
        f._locks++;
      }
    } else {
      c._pos = this._tail;
    }
    c.offsetIn._copy(p.offsetIn);
    c.offsetOut._copy(p.offsetOut);
    c._prevClone = this._lastClone;
    if (this._lastClone !== null) this._lastClone._nextClone = c;
    else this._firstClone = c;
    this._lastClone = c;
    this._cloneCount++;
    return c;
  }

  /** @internal */
  _delete(c: StreamPointer<H>): void {
    this._hold++;
    try {
      this._unlink(c);
    } finally {
      this._hold--;
    }
    this._flush();
  }

  /** @internal */
  _unlink(c: StreamPointer<H>): void {
    this._cancelTimeout(c);
    c._deleted = true;
    // unlink
    if (c._prevClone !== null) c._prevClone._nextClone = c._nextClone;
    else this._firstClone = c._nextClone;
    if (c._nextClone !== null) c._nextClone._prevClone = c._prevClone;
    else this._lastClone = c._prevClone;
    c._prevClone = null;
    c._nextClone = null;
    this._cloneCount--;
    const f = c._frame;
    if (f !== null) {
      if (c._locked) {
        this._unlockPointer(c);
        this._afterUnlock(f);
      }
      c._frame = null;
      this._release(f);
    }
    c.offsetIn._set(null, 0);
    c.offsetOut._set(null, 0);
  }

  /** @internal cancels one frame now (unlocked) or when its last lock goes (locked) */
  _cancelFrame(f: Frame, status: StatusCode): void {
    if (f._state !== QUEUED || f._cancelled) return;
    if (f._locks > 0) {
      if (!f._cancelPending) {
        f._cancelPending = true;
        f._cancelStatus = status;
      }
      return;
    }
    this._hold++;
    try {
      this._cancelNow(f, status);
    } finally {
      this._hold--;
    }
  }

  /** @internal */
  _cancelNow(f: Frame, status: StatusCode): void {
    f._cancelPending = false;
    f._cancelled = true;
    f.status = status;
    if (f.request !== null) f.request.status = status;
    if (f._held) {
      f._held = false;
      this._release(f);
    }
    if (this._leading._frame === f) this._step(this._leading, false);
    const t = this._trailing;
    if (t !== null && t._frame === f) this._step(t, false);
    // cancel callbacks of the unlocked clones on the frame, in creation order (each at most once per cancellation)
    for (;;) {
      let c = this._firstClone;
      while (c !== null && !(c._frame === f && !c._locked && c._notified !== f && c._cancelCallback !== null)) {
        c = c._nextClone;
      }
      if (c === null) break;
      c._notified = f;
      try {
        (c._cancelCallback as StreamPointerCallback<H>)(c);
      } catch (error) {
        this._noteError(error); // the other clones and frames are still cancelled; rethrown by _flush
      }
    }
  }

  /** @internal */
  _cancelRequest(request: StreamRequest): void {
    this._hold++;
    try {
      this._cancelRequestFrames(request);
    } finally {
      this._hold--;
    }
    this._flush();
  }

  /** @internal */
  _cancelRequestFrames(request: StreamRequest): void {
    const frames = request.frames;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f._queue === this && f.request === request) this._cancelFrame(f, Status.cancelled);
    }
  }

  /** @internal */
  _cancelAll(status: StatusCode): void {
    this._hold++;
    try {
      for (let s = this._head; s < this._tail; s++) {
        const f = this._ring[s & this._mask] as Frame | null;
        if (f === null || f._state !== QUEUED || f._cancelled) continue;
        this._cancelFrame(f, status);
      }
    } finally {
      this._hold--;
    }
    if (this._draining === true && this._doneHead !== this._doneTail) this._flushPending = true;
    this._flush();
  }

  /**
   * @internal A completion callback of this queue threw (its caller already cleared `_draining`). Frames a flush or
   * reset cancelled while it ran (a routine stopping this pin, say) would otherwise wait, done, for the queue's next
   * operation — which a stopped pin may never get — so they complete now, back to their owners, before the error
   * propagates; an error they raise in turn is dropped (the first one propagates). Other frames parked meanwhile
   * complete with them. Nothing to do when no flush was pending.
   */
  _afterThrow(): void {
    if (this._flushPending === false) return;
    this._flushPending = false;
    try {
      this._flush();
    } catch {
      // the first error propagates
    }
  }

  /** @internal */
  _scheduleTimeout(p: StreamPointer<H>, callback: StreamPointerCallback<H>, ticks: number): void {
    this._cancelTimeout(p);
    p._timeoutCallback = callback;
    if (p._fire === null) p._fire = () => this._fireTimeout(p);
    const sched = this.scheduler;
    if (this.host.deviceState === KsState.run) {
      p._timer = sched.setTimer(ticks, p._fire);
      const parked = this._parked;
      if (parked.length > 0) {
        const now = sched.now();
        parked.sort((a, b) => a._timeoutDue - b._timeoutDue);
        for (const q of parked) {
          q._parked = false;
          q._timer = sched.setTimer(Math.max(0, q._timeoutDue - now), q._fire!);
        }
        parked.length = 0;
      }
    } else {
      p._timeoutDue = sched.now() + ticks;
      p._parked = true;
      this._parked.push(p);
    }
  }

  /** @internal */
  _cancelTimeout(p: StreamPointer<H>): void {
    if (p._timeoutCallback === null) return;
    p._timeoutCallback = null;
    if (p._parked) {
      p._parked = false;
      const i = this._parked.indexOf(p);
      if (i >= 0) this._parked.splice(i, 1);
    } else if (p._timer !== null) {
      this.scheduler.clearTimer(p._timer);
    }
    p._timer = null;
  }

  /** @internal */
  _fireTimeout(p: StreamPointer<H>): void {
    const cb = p._timeoutCallback;
    p._timer = null;
    p._timeoutCallback = null;
    if (cb === null || p._deleted) return;
    (cb as StreamPointerCallback<H>)(p);
  }
}

/** A ring twice the size of `old` (power of two, `mask` = size − 1) holding its entries `head`..`tail` at the same sequence numbers. */
function grownRing(old: (Frame | null)[], mask: number, head: number, tail: number): (Frame | null)[] {
  const size = (mask + 1) * 2;
  const ring = new Array<Frame | null>(size).fill(null);
  for (let s = head; s < tail; s++) ring[s & (size - 1)] = old[s & mask] ?? null;
  return ring;
}

/** No callback error recorded. */
const NO_ERROR: unique symbol = Symbol('no error');

function checkState(state: StreamPointerStateValue): void {
  if (state !== LOCKED && state !== StreamPointerState.unlocked) {
    throw argumentError('range', 'state', state, '0 (StreamPointerState.unlocked) or 1 (LOCKED)');
  }
}
