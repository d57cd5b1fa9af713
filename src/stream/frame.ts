import type { FrameBuffer } from '../allocator/types.js';
import { argumentError } from '../errors.js';
import { Status, type StatusCode } from '../status.js';
import type { FrameLedger } from './frame-ledger.js';
import { StreamHeader } from './stream-header.js';
import type { StreamRequest } from './stream-request.js';

/** Where a {@link Frame} is in its life. */
export const FrameState = {
  /** Owned by nobody's queue: free to fill, add or submit. */
  idle: 0,
  /** Inside a queue, not yet complete. */
  queued: 1,
  /** References reached zero; waiting for earlier frames to complete first (KSPIN_FLAG_ENFORCE_FIFO). */
  done: 2,
  /** Released for good ({@link Frame.release}): its buffer was freed; any further use throws. */
  released: 3,
} as const;

/** A {@link FrameState} value. */
export type FrameStateValue = (typeof FrameState)[keyof typeof FrameState];

/**
 * One frame: a {@link StreamHeader} plus the buffer it describes (spec §4: "each header + buffer is one frame").
 *
 * Frames are reusable objects, built up front and {@link Frame.reset | reset} between uses. The buffer is an opaque
 * {@link FrameBuffer} handle from an allocator, or `null` for injected or user memory (then only `data` is set).
 * While queued a frame is reference-counted (see docs/stream-pointers.md): +1 per stream pointer on it, +1 while the
 * queue holds it (ahead of the leading edge, or inside the trailing↔leading window). It completes exactly when the
 * count reaches zero; its queue then hands it back to the queue's host (`QueueHost._onFrameComplete`).
 */
export class Frame {
  /** The KSSTREAM_HEADER of this frame. `header.data` is the frame's bytes. */
  readonly header: StreamHeader;
  /** The allocator buffer behind `data`, or null (injected / user memory). */
  buffer: FrameBuffer | null = null;
  /** The status the frame completes with (KsStreamPointerSetStatusCode; `cancelled` when cancelled). */
  status: StatusCode = Status.success;
  /** The stream request (IRP analog) the frame belongs to, or null when it circulates inside a pipe. */
  request: StreamRequest | null = null;
  /** Free for the owner (e.g. the Context of KsPinSubmitFrame for an injected frame). Not touched by the queue. */
  context: unknown = null;

  /** @internal the queue holding the frame */
  _queue: object | null = null;
  /** @internal arrival sequence number inside `_queue` */
  _seq = -1;
  /** @internal reference count */
  _refs = 0;
  /** @internal true while the queue's hold (+1) is counted in `_refs` */
  _held = false;
  /** @internal number of locked stream pointers on the frame */
  _locks = 0;
  /** @internal FrameState */
  _state: FrameStateValue = FrameState.idle;
  /** @internal cancelled (status cancelled, no longer visible to advancing pointers) */
  _cancelled = false;
  /** @internal cancellation requested while locked: takes effect when the last lock is released */
  _cancelPending = false;
  /** @internal the status a pending cancellation completes the frame with */
  _cancelStatus = 0;
  /** @internal the frame's index inside its request */
  _requestIndex = -1;
  /** @internal the debug ledger tracking this frame, or null (see {@link FrameLedger}) */
  _ledger: FrameLedger | null = null;

  /**
   * @param buffer - an allocator buffer (its `data` becomes the frame's data), or null
   * @param data - the bytes, when there is no allocator buffer (injected / user memory)
   */
  constructor(buffer: FrameBuffer | null = null, data: Uint8Array | null = buffer?.data ?? null) {
    this.header = new StreamHeader();
    this.attach(buffer, data);
  }

  /** The frame's bytes (`header.data`). */
  get data(): Uint8Array | null {
    return this.header.data;
  }

  /** Where the frame is in its life: idle, queued or done (see {@link FrameState}). */
  get state(): FrameStateValue {
    return this._state;
  }

  /** References held on the frame now (0 when idle). */
  get referenceCount(): number {
    return this._refs;
  }

  /** True while at least one stream pointer has the frame locked (a locked frame is not cancellable). */
  get locked(): boolean {
    return this._locks > 0;
  }

  /** True once the frame was cancelled in its current queue pass. */
  get cancelled(): boolean {
    return this._cancelled;
  }

  /**
   * Points the frame at a buffer: sets `buffer`, `header.data` and `header.frameExtent` (the data length) and resets
   * `dataUsed` to 0. Only while idle.
   * @param buffer - an allocator buffer, or null
   * @param data - the bytes (defaults to `buffer.data`)
   */
  attach(buffer: FrameBuffer | null, data: Uint8Array | null = buffer?.data ?? null): this {
    if (buffer !== null && typeof buffer !== 'object') {
      throw argumentError('type', 'buffer', buffer, 'an allocator FrameBuffer or null');
    }
    if (data !== null && !(data instanceof Uint8Array))
      throw argumentError('type', 'data', data, 'a Uint8Array or null');
    this._assertIdle('attach');
    this.buffer = buffer;
    this.header.data = data;
    this.header.frameExtent = data === null ? 0 : data.byteLength;
    this.header.dataUsed = 0;
    return this;
  }

  /**
   * Prepares the frame for its next use: status success, no request, header metadata cleared (data and frameExtent
   * kept). Only while idle. Allocates nothing.
   */
  reset(): this {
    this._assertIdle('reset');
    this.status = Status.success;
    this.request = null;
    this._requestIndex = -1;
    this._cancelled = false;
    this._cancelPending = false;
    this.header.reset();
    return this;
  }

  /**
   * Releases the frame for good: frees its allocator buffer (if any) back to its allocator, drops its data and leaves
   * its debug ledger. Only while idle; a second release is a no-op. Any later use (attach, reset, adding it to a queue
   * or a request) throws a TypeError.
   * @throws TypeError while the frame is queued
   */
  release(): void {
    if (this._state === FrameState.released) return;
    this._assertIdle('release');
    const buffer = this.buffer;
    this._state = FrameState.released;
    this.buffer = null;
    this.request = null;
    this.header.data = null;
    this.header.frameExtent = 0;
    this.header.dataUsed = 0;
    this._ledger?.untrack(this);
    if (buffer !== null) buffer.allocator.free(buffer);
  }

  /** `using frame = …`: {@link release}. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** @internal */
  _assertIdle(what: string): void {
    // (the message is built out of line: this check runs per frame, inlined into reset and the requester)
    if (this._state !== FrameState.idle) throw notIdle(this._state, what);
  }
}

/** @internal the TypeError of {@link Frame._assertIdle} */
export function notIdle(state: FrameStateValue, what: string): TypeError {
  const name = state === FrameState.released ? 'released' : 'queued';
  return new TypeError(`frame: a ${name} frame is not allowed for ${what}; expected an idle frame`);
}
