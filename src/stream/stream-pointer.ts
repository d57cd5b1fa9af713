import { argumentError, StreamError } from '../errors.js';
import { Status, type StatusCode } from '../status.js';
import type { Frame } from './frame.js';
import type { Queue, QueueHost } from './queue.js';
import type { StreamHeader } from './stream-header.js';
import type { StreamRequest } from './stream-request.js';

/** KSSTREAM_POINTER_STATE: the state asked of an edge getter. */
export const StreamPointerState = {
  /** KSSTREAM_POINTER_STATE_UNLOCKED */
  unlocked: 0,
  /** KSSTREAM_POINTER_STATE_LOCKED */
  locked: 1,
} as const;

/** A {@link StreamPointerState} value. */
export type StreamPointerStateValue = (typeof StreamPointerState)[keyof typeof StreamPointerState];

/** PFNKSSTREAMPOINTER: a clone's cancel callback, or a timeout callback. */
export type StreamPointerCallback<H extends QueueHost = QueueHost> = (pointer: StreamPointer<H>) => void;

/** The first/last-frame flags reported by {@link StreamPointer.getIrp} (its PBOOLEAN out-parameters). */
export interface IrpFrameFlags {
  /** The pointer's frame is the first frame of its request. */
  first: boolean;
  /** The pointer's frame is the last frame of its request. */
  last: boolean;
}

/**
 * KSSTREAM_POINTER_OFFSET: a position inside the current frame, in bytes (or, once a DMA layer fills `mappings`, in
 * mappings).
 *
 * Difference from AVStream: `data` does not move; it is the frame's whole buffer and `position` (= count −
 * remaining) is the index of the next byte. `count` is constant while the pointer stays on a frame.
 */
export class StreamPointerOffset {
  /** Data: the frame's bytes (not advanced; see `position`), or null without a frame. */
  data: Uint8Array | null = null;
  /** Mappings: filled by a mappings hook (KSPIN_FLAG_GENERATE_MAPPINGS); null otherwise. */
  mappings: unknown = null;
  /** Count: bytes (or mappings) in the current frame. */
  count = 0;
  /** Remaining: count minus what was used. */
  remaining = 0;

  /** Count − Remaining: the bytes (or mappings) used so far, i.e. the index of the next byte in `data`. */
  get position(): number {
    return this.count - this.remaining;
  }

  /** @internal */
  _set(data: Uint8Array | null, count: number): void {
    this.data = data;
    this.mappings = null;
    this.count = count;
    this.remaining = count;
  }

  /** @internal */
  _copy(from: StreamPointerOffset): void {
    this.data = from.data;
    this.mappings = from.mappings;
    this.count = from.count;
    this.remaining = from.remaining;
  }
}

/**
 * KSSTREAM_POINTER: a position in a pin's {@link Queue} — the leading edge, the trailing edge
 * (KSPIN_FLAG_DISTINCT_TRAILING_EDGE) or a clone. Stream pointers only move forward.
 *
 * A pointer on a frame holds one reference to it. A locked pointer guarantees the frame is present and not
 * cancellable; `getIrp()` and `getMdl()` are only available while locked. An unlocked pointer still reaches its
 * frame's `streamHeader` (e.g. a DPC sets DataUsed through an unlocked clone before deleting it), but the frame may be
 * cancelled under it. Edges live as long as the
 * queue (they cannot be deleted); clones are created by {@link clone} and end with {@link delete} (or
 * `Symbol.dispose`). A pointer with no frame (past the last frame) takes the next frame that arrives.
 *
 * See docs/stream-pointers.md for the rules and the decisions on undocumented points.
 */
export class StreamPointer<H extends QueueHost = QueueHost> {
  /** The queue the pointer belongs to. */
  readonly queue: Queue<H>;
  /** Context: free for the minidriver; a clone's is a zeroed `Uint8Array(contextSize)` (or null for size 0). Edges start with null. */
  context: unknown = null;
  /** OffsetIn: the input position (an input pin's `offset`; count = the frame's dataUsed). */
  readonly offsetIn = new StreamPointerOffset();
  /** OffsetOut: the output position (an output pin's `offset`; count = the frame's frameExtent). */
  readonly offsetOut = new StreamPointerOffset();

  /** @internal */
  readonly _kind: 0 | 1 | 2; // 0 leading edge, 1 trailing edge, 2 clone
  /** @internal the current frame, or null (past the end) */
  _frame: Frame | null = null;
  /** @internal the frame's sequence number, or the queue's tail when `_frame` is null */
  _pos = 0;
  /** @internal */
  _locked = false;
  /** @internal */
  _deleted = false;
  /** @internal (typed loosely so that StreamPointer<H> stays covariant in H) */
  _cancelCallback: ((pointer: never) => void) | null = null;
  /** @internal the frame whose cancellation this clone was already told about */
  _notified: Frame | null = null;
  /** @internal clone list (creation order) */
  _prevClone: StreamPointer<H> | null = null;
  /** @internal */
  _nextClone: StreamPointer<H> | null = null;
  /** @internal timeout (typed loosely, as `_cancelCallback`) */
  _timeoutCallback: ((pointer: never) => void) | null = null;
  /** @internal a scheduler handle while armed */
  _timer: unknown = null;
  /** @internal parked (scheduled below RUN): the absolute due time */
  _timeoutDue = -1;
  /** @internal */
  _parked = false;
  /** @internal the timer callback, bound on the pointer's first timeout and kept (no closure per schedule, none for a
   * clone that never schedules one: most clones live for one frame) */
  _fire: (() => void) | null = null;
  /** @internal `offsetIn` or `offsetOut` by the queue's direction (fixed for the queue's life) */
  readonly _offset: StreamPointerOffset;

  /** @internal use {@link Queue.getLeadingEdge}, {@link Queue.getTrailingEdge} or {@link StreamPointer.clone} */
  constructor(queue: Queue<H>, kind: 0 | 1 | 2) {
    this.queue = queue;
    this._kind = kind;
    this._offset = queue._inputPin ? this.offsetIn : this.offsetOut;
  }

  /** Pin: the queue's host (the pin that owns the queue). */
  get pin(): H {
    return this.queue.host;
  }

  /** Offset: `offsetIn` on an input pin, `offsetOut` on an output pin. */
  get offset(): StreamPointerOffset {
    return this._offset;
  }

  /**
   * StreamHeader: the current frame's header, or null past the end. Valid while locked; an unlocked pointer may read
   * and write it, but its frame can be cancelled meanwhile (AVStream: "it is possible to access data pointed to by an
   * unlocked stream pointer").
   */
  get streamHeader(): StreamHeader | null {
    return this._frame === null ? null : this._frame.header;
  }

  /**
   * The frame the pointer is on (locked or not), or null past the end. Read-only inspection: an unlocked frame may be
   * cancelled at any time.
   */
  get frame(): Frame | null {
    return this._frame;
  }

  /** KSSTREAM_POINTER_STATE of this pointer. */
  get state(): StreamPointerStateValue {
    return this._locked ? StreamPointerState.locked : StreamPointerState.unlocked;
  }

  /** True while locked. */
  get locked(): boolean {
    return this._locked;
  }

  /** True for a clone (false for the edges). */
  get isClone(): boolean {
    return this._kind === 2;
  }

  /** True for the leading edge. */
  get isLeadingEdge(): boolean {
    return this._kind === 0;
  }

  /** True for the trailing edge. */
  get isTrailingEdge(): boolean {
    return this._kind === 1;
  }

  /** True once a clone was deleted (any further use throws). */
  get deleted(): boolean {
    return this._deleted;
  }

  /** True while a timeout is scheduled (armed, or parked until RUN). */
  get timeoutPending(): boolean {
    return this._timeoutCallback !== null;
  }

  /**
   * KsStreamPointerLock: locks the pointer on its frame (generating mappings with KSPIN_FLAG_GENERATE_MAPPINGS).
   * @returns `success` (also when already locked); `deviceNotReady` when there is no frame or it was cancelled; a
   * mappings hook's failure status
   */
  lock(): StatusCode {
    this._assertLive();
    return this.queue._lock(this);
  }

  /**
   * KsStreamPointerUnlock: unlocks the pointer; with `eject`, also moves it to the next frame.
   * A frame whose cancellation was requested while locked is cancelled once no pointer locks it.
   * @throws StreamError (`invalidDeviceRequest`) when not locked
   */
  unlock(eject = false): void {
    if (this._deleted === true) this._assertLive();
    if (this._locked === false) throw notLocked('unlock');
    const queue = this.queue;
    // (a circuit section's hop first: the common eject, moved on by two cursors — pin/circuit-section.ts. Written
    // here as in `Queue._unlock`, not by calling it: one call level less where a routine inlines `unlock`, measured
    // ≈ 8 % in the bench graph)
    const section = queue._section;
    if (
      section !== null &&
      eject === true &&
      section._hop(queue as unknown as Queue, this as unknown as StreamPointer) === true // (strict: no ToBoolean)
    ) {
      return;
    }
    queue._unlockPlain(this, eject);
  }

  /**
   * KsStreamPointerAdvance: moves to the next frame. Unlocked: always `success` (past the last frame the pointer
   * waits at the end and takes the next arrival). Locked: unlock, move, relock — `deviceNotReady` (and unlocked) at
   * the end of the queue.
   */
  advance(): StatusCode {
    this._assertLive();
    return this.queue._advance(this);
  }

  /**
   * KsStreamPointerAdvanceOffsets: uses `inUsed` bytes of `offsetIn` and `outUsed` of `offsetOut`. When `offset`
   * (the pin's direction) reaches Remaining 0, when the call uses up the rest of either offset (a count > 0 equal to
   * its Remaining), or with `eject`, moves to the next frame and relocks (as {@link advance}).
   * @returns `success`, `deviceNotReady` when not locked or the relock fails (end of queue)
   * @throws RangeError when a count is not a non-negative integer or exceeds its Remaining
   */
  advanceOffsets(inUsed: number, outUsed: number, eject = false): StatusCode {
    this._assertLive();
    return this.queue._advanceOffsets(this, inUsed, outUsed, eject, false);
  }

  /**
   * KsStreamPointerAdvanceOffsetsAndUnlock: as {@link advanceOffsets}, then unlocked (a finished frame is left, and
   * the pointer stays unlocked on the next one).
   * @returns `success`, or `deviceNotReady` when not locked
   * @throws RangeError when a count is not a non-negative integer or exceeds its Remaining
   */
  advanceOffsetsAndUnlock(inUsed: number, outUsed: number, eject = false): StatusCode {
    this._assertLive();
    return this.queue._advanceOffsets(this, inUsed, outUsed, eject, true);
  }

  /**
   * KsStreamPointerClone: a new pointer on the same frame, in the same lock state and with the same offsets (+1
   * reference on the frame). Any pointer can be cloned, including a clone and a pointer past the end.
   * @param cancelCallback - called when the clone's frame is cancelled while the clone is unlocked; it must delete the
   * clone (or move it off the frame), else the frame and its request never complete
   * @param contextSize - bytes of the clone's `context` (a zeroed Uint8Array; 0 ⇒ null). Assign `context` freely.
   */
  clone(cancelCallback: StreamPointerCallback<H> | null = null, contextSize = 0): StreamPointer<H> {
    this._assertLive();
    if (cancelCallback !== null && typeof cancelCallback !== 'function') {
      throw argumentError('type', 'cancelCallback', cancelCallback, 'a function or null');
    }
    if (!Number.isSafeInteger(contextSize) || contextSize < 0) {
      throw argumentError('range', 'contextSize', contextSize, 'an integer ≥ 0');
    }
    return this.queue._clone(this, cancelCallback, contextSize);
  }

  /**
   * KsStreamPointerDelete: deletes a clone (−1 reference; may complete its frame and request); its timeout never
   * fires. Deleting twice throws.
   * @throws StreamError (`invalidDeviceRequest`) for an edge or a deleted clone
   */
  delete(): void {
    this._assertLive();
    if (this._kind !== 2) {
      throw new StreamError(
        `pointer: ${this._kind === 0 ? 'the leading edge' : 'the trailing edge'} is not allowed; expected a clone (edges cannot be deleted)`,
        Status.invalidDeviceRequest,
      );
    }
    this.queue._delete(this);
  }

  /** KsStreamPointerGetNextClone: the next clone in creation order; null at the end and for edges. */
  getNextClone(): StreamPointer<H> | null {
    this._assertLive();
    return this._kind === 2 ? this._nextClone : null;
  }

  /**
   * KsStreamPointerScheduleTimeout: calls `callback(pointer)` after `interval` (100 ns units) unless the pointer is
   * deleted or the timeout cancelled first. Rescheduling replaces the earlier timeout. Scheduled while the pin is
   * below RUN, the timeout is parked and armed (with its original due time) only once some pointer of the same queue
   * schedules a timeout in RUN.
   */
  scheduleTimeout(callback: StreamPointerCallback<H>, interval: number | bigint): void {
    this._assertLive();
    if (typeof callback !== 'function') throw argumentError('type', 'callback', callback, 'a function');
    let ticks: number;
    if (typeof interval === 'bigint') {
      if (interval < 0n || interval > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw argumentError('range', 'interval', interval, 'a ULONGLONG ≤ 2^53−1 (100 ns units)');
      }
      ticks = Number(interval);
    } else {
      if (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval < 0) {
        throw argumentError('range', 'interval', interval, 'an integer ≥ 0 (100 ns units)');
      }
      ticks = interval;
    }
    this.queue._scheduleTimeout(this, callback, ticks);
  }

  /** KsStreamPointerCancelTimeout: cancels the scheduled timeout; no-op when there is none. */
  cancelTimeout(): void {
    this._assertLive();
    this.queue._cancelTimeout(this);
  }

  /**
   * KsStreamPointerSetStatusCode: the status the frame (and its request) completes with.
   * @returns `success`, or `deviceNotReady` when the pointer has no frame
   */
  setStatusCode(status: StatusCode): StatusCode {
    this._assertLive();
    if (typeof status !== 'number' || !Number.isInteger(status)) {
      throw argumentError('type', 'status', status, 'an NTSTATUS number');
    }
    const f = this._frame;
    if (f === null) return Status.deviceNotReady;
    f.status = status >>> 0;
    if (f.request !== null) f.request.status = status >>> 0;
    return Status.success;
  }

  /**
   * KsStreamPointerGetIrp: the request of the locked frame (null when unlocked, or for a frame circulating without a
   * request). Writes into `flags` whether the frame is the request's first / last.
   */
  getIrp(flags?: IrpFrameFlags): StreamRequest | null {
    this._assertLive();
    const f = this._locked ? this._frame : null;
    const r = f?.request ?? null;
    if (flags !== undefined) {
      flags.first = r !== null && f!._requestIndex === 0;
      flags.last = r !== null && f!._requestIndex === r.frames.length - 1;
    }
    return r;
  }

  /** KsStreamPointerGetMdl: the locked frame's bytes (the memory the MDL would describe); null when unlocked. */
  getMdl(): Uint8Array | null {
    this._assertLive();
    return this._locked ? this._frame!.header.data : null;
  }

  /** Deletes a clone (no-op if already deleted); on an edge, unlocks it if locked (edges cannot be deleted). */
  [Symbol.dispose](): void {
    if (this._deleted) return;
    if (this._kind === 2) this.queue._delete(this);
    else if (this._locked) this.queue._unlock(this, false);
  }

  /** @internal */
  _assertLive(): void {
    if (this._deleted) {
      throw new StreamError(
        'pointer: a deleted clone is not allowed; expected a live stream pointer',
        Status.invalidDeviceRequest,
      );
    }
  }
}

function notLocked(what: string): StreamError {
  return new StreamError(
    `pointer: an unlocked stream pointer is not allowed for ${what}; expected a locked one`,
    Status.invalidDeviceRequest,
  );
}
