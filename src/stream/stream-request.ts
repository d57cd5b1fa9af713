import { argumentError } from '../errors.js';
import { Status, type StatusCode } from '../status.js';
import { Frame, FrameState } from './frame.js';

/** Options of a {@link StreamRequest}. */
export interface StreamRequestOptions {
  /** Aborting the signal cancels the request (IoCancelIrp). */
  signal?: AbortSignal;
  /** Called once when the request completes (after the queue host's `_onStreamRequestComplete`). */
  onComplete?: (request: StreamRequest) => void;
}

/** Where a {@link StreamRequest} is in its life. */
export const StreamRequestState = {
  /** Built, not submitted (or completed and reset). */
  idle: 0,
  /** Added to a queue; some frames not yet complete. */
  pending: 1,
  /** Every frame completed; `status` is final. */
  completed: 2,
} as const;

/** A {@link StreamRequestState} value. */
export type StreamRequestStateValue = (typeof StreamRequestState)[keyof typeof StreamRequestState];

/**
 * A stream request — the analog of a streaming IRP (IOCTL_KS_READ_STREAM / IOCTL_KS_WRITE_STREAM): a batch of frames
 * submitted together (e.g. by a user-mode endpoint), completed with a status when its last frame completes.
 *
 * Frames inside an AVStream pipe circulate without a request (`frame.request === null`); both kinds share a queue.
 * The status is `success` unless a stream pointer sets another (StreamPointer.setStatusCode) or one of its frames is
 * cancelled (`cancelled`). Cancellation affects only frames that are not locked: a locked frame is cancelled when its
 * last lock is released, unless the minidriver finished it meanwhile.
 */
export class StreamRequest {
  /** The frames, in order (the IRP's KSSTREAM_HEADER array). */
  readonly frames: readonly Frame[];
  /** The completion status (final once `state` is completed). */
  status: StatusCode = Status.success;
  /** Free for the submitter. */
  context: unknown = null;

  /** @internal */
  _state: StreamRequestStateValue = StreamRequestState.idle;
  /** @internal frames not yet complete */
  _pendingFrames = 0;
  /** @internal cancellation requested */
  _cancelRequested = false;
  /** @internal the queue the request is in (typed loosely to avoid an import cycle) */
  _queue: { _cancelRequest(request: StreamRequest): void } | null = null;
  /** @internal */
  readonly _signal: AbortSignal | null;
  /** @internal */
  readonly _onComplete: ((request: StreamRequest) => void) | null;
  /** @internal bound once */
  readonly _onAbort: () => void;
  /** @internal */
  _waiters: ((request: StreamRequest) => void)[] | null = null;

  /**
   * @param frames - at least one idle frame, each at most once
   * @param options - abort signal and completion callback
   */
  constructor(frames: readonly Frame[], options: StreamRequestOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw argumentError('type', 'options', options, 'a StreamRequestOptions object or undefined');
    }
    const { signal, onComplete } = options;
    if (
      signal !== undefined &&
      (signal === null ||
        typeof signal !== 'object' ||
        typeof signal.addEventListener !== 'function' ||
        typeof signal.aborted !== 'boolean')
    ) {
      throw argumentError('type', 'options.signal', signal, 'an AbortSignal or undefined');
    }
    if (onComplete !== undefined && typeof onComplete !== 'function') {
      throw argumentError('type', 'options.onComplete', onComplete, 'a function or undefined');
    }
    if (!Array.isArray(frames) || frames.length === 0) {
      throw argumentError('type', 'frames', frames, 'a non-empty array of Frame');
    }
    const seen = new Set<Frame>();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (!(f instanceof Frame)) throw argumentError('type', `frames[${i}]`, f, 'a Frame');
      if (seen.has(f)) throw argumentError('type', `frames[${i}]`, 'a repeated frame', 'each frame at most once');
      seen.add(f);
    }
    this.frames = frames.slice();
    this._signal = options.signal ?? null;
    this._onComplete = options.onComplete ?? null;
    this._onAbort = () => this.cancel();
  }

  /** idle, pending or completed (see {@link StreamRequestState}). */
  get state(): StreamRequestStateValue {
    return this._state;
  }

  /** True once every frame completed. */
  get completed(): boolean {
    return this._state === StreamRequestState.completed;
  }

  /** True once cancellation was requested (by {@link cancel} or the abort signal). */
  get cancelRequested(): boolean {
    return this._cancelRequested;
  }

  /**
   * Cancels the request (IoCancelIrp): its unlocked frames are cancelled now, locked ones when unlocked; unlocked
   * clones on them get their cancel callbacks; the request completes with `cancelled` once they are deleted.
   * No-op once completed. Before submission, the request is cancelled as soon as it is added.
   */
  cancel(): void {
    if (this._state === StreamRequestState.completed || this._cancelRequested) return;
    this._cancelRequested = true;
    this._queue?._cancelRequest(this);
  }

  /** Resolves with the request once it completes (allocates a promise: for I/O edges, not the hot path). */
  whenComplete(): Promise<StreamRequest> {
    if (this._state === StreamRequestState.completed) return Promise.resolve(this);
    return new Promise((resolve) => {
      if (this._waiters === null) this._waiters = [];
      this._waiters.push(resolve);
    });
  }

  /**
   * Prepares a completed (or never submitted) request for reuse: status success, frames reset.
   * @throws TypeError when the request is pending or one of its frames is queued (e.g. reused elsewhere)
   */
  reset(): this {
    if (this._state === StreamRequestState.pending) {
      throw new TypeError('request: a pending request is not allowed for reset; expected an idle or completed one');
    }
    for (const f of this.frames) f._assertIdle('request reset');
    this._state = StreamRequestState.idle;
    this.status = Status.success;
    this._cancelRequested = false;
    for (const f of this.frames) f.reset();
    return this;
  }

  /** @internal called by the queue when the request enters it */
  _begin(queue: { _cancelRequest(request: StreamRequest): void }): void {
    for (const f of this.frames) {
      if (f._state !== FrameState.idle) {
        const what = f._state === FrameState.released ? 'released' : 'already queued';
        throw new TypeError(`request: a frame ${what} is not allowed; expected idle frames`);
      }
    }
    this._state = StreamRequestState.pending;
    this._queue = queue;
    this._pendingFrames = this.frames.length;
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      f.request = this;
      f._requestIndex = i;
    }
    if (this._signal !== null) {
      if (this._signal.aborted) this._cancelRequested = true;
      else this._signal.addEventListener('abort', this._onAbort, { once: true });
    }
  }

  /** @internal called by the queue when the last frame completed */
  _finish(): void {
    this._state = StreamRequestState.completed;
    this._queue = null;
    this._signal?.removeEventListener('abort', this._onAbort);
    try {
      this._onComplete?.(this);
    } finally {
      // whenComplete() waiters are resolved even when the onComplete callback throws
      const waiters = this._waiters;
      if (waiters !== null) {
        this._waiters = null;
        for (const w of waiters) w(this);
      }
    }
  }
}
