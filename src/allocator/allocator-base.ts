import { AllocatorError, AvStreamError, argumentError } from '../errors.js';
import type { AllocatorFraming } from '../framing/types.js';
import { Status } from '../status.js';
import type { AllocatorKind, AllocatorState, AllocatorStatus, FrameAllocator, FrameBuffer } from './types.js';
import { validateAllocatorFraming } from './validate.js';
import { Waiter, WaiterQueue } from './waiter-queue.js';

/** @internal lifecycle states (numbers keep the hot-path check a single comparison) */
export const CREATED = 0;
/** @internal */
export const INITIALIZED = 1;
/** @internal */
export const DELETED = 2;
/** @internal initialized, `deleteWhenIdle()` called: frees allowed, allocations refused */
export const DELETE_PENDING = 3;

const STATE_NAMES: readonly AllocatorState[] = ['created', 'initialized', 'deleted', 'initialized'];

const NO_LISTENERS: ReadonlyArray<() => void> = Object.freeze([]);

/**
 * The lifecycle every allocator shares (vendor, default, user memory): `initialize` once with a validated legacy
 * framing, then `allocate`/`acquire`/`free`, then `delete`. It enforces the rules of docs/allocators.md:
 *
 * - no allocate/free/acquire before initialize (`notInitialized`) or after delete (`deleted`);
 * - never more than `framing.frames` outstanding: `allocate` returns `null` at once (the implementation is not asked);
 * - a double free or a foreign buffer throws (`doubleFree`/`foreignBuffer`) and changes nothing;
 * - `delete()` needs every frame back (`framesOutstanding` otherwise); `deleteWhenIdle()` defers it;
 * - `acquire()` pends first-come-first-served, is served by `free`, cancellable, rejected on delete;
 * - FREEFRAME listeners run after each free.
 *
 * Implementations provide `_init`, `_take` (one frame or null), `_give` (validate and take back one frame; throw
 * without changing anything when invalid) and `_destroy`.
 */
export abstract class AllocatorBase implements FrameAllocator {
  abstract readonly kind: AllocatorKind;
  /** @internal */
  _state = CREATED;
  /** @internal the most frames outstanding (framing.frames once initialized) */
  _limit = 0;
  /** @internal */
  _outstanding = 0;
  /** @internal */
  _highWater = 0;
  /** @internal */
  _failures = 0;
  /** @internal */
  _framing: Readonly<AllocatorFraming> | null = null;
  /** @internal */
  _listeners: ReadonlyArray<() => void> = NO_LISTENERS;
  /** @internal */
  readonly _waiters = new WaiterQueue();
  /** @internal */
  _idle: { resolve: () => void; promise: Promise<void> } | null = null;

  /** `created` → `initialized` → `deleted` (a pending `deleteWhenIdle` still reports `initialized`). */
  get state(): AllocatorState {
    return STATE_NAMES[this._state] ?? 'deleted';
  }

  /** True between `deleteWhenIdle()` and the deletion it waits for. */
  get deletePending(): boolean {
    return this._state === DELETE_PENDING;
  }

  /** The creation framing (a frozen copy), once initialized. */
  get framing(): Readonly<AllocatorFraming> | null {
    return this._framing;
  }

  /** Frames outstanding now. */
  get outstanding(): number {
    return this._outstanding;
  }

  /** {@inheritDoc FrameAllocator.initialize} */
  initialize(pin: unknown, framing: Readonly<AllocatorFraming>): void {
    if (this._state !== CREATED) {
      throw new AllocatorError(
        this._state === DELETED ? 'deleted' : 'contractViolation',
        `initialize: the allocator is ${this.state}; expected a created allocator (initialize runs once)`,
        Status.invalidDeviceState,
      );
    }
    let copy: Readonly<AllocatorFraming>;
    try {
      copy = validateAllocatorFraming(framing);
    } catch (error) {
      if (!(error instanceof AvStreamError)) throw error;
      throw initializeFailed(`initialize: ${error.message}`, error.status, error);
    }
    this._init(pin, copy); // throws AllocatorError('initializeFailed') and leaves the allocator created
    this._framing = copy;
    this._limit = copy.frames;
    this._state = INITIALIZED;
  }

  /** {@inheritDoc FrameAllocator.allocate} */
  allocate(): FrameBuffer | null {
    if (this._state !== INITIALIZED) throw this._stateError('allocate');
    if (this._outstanding >= this._limit) {
      this._failures++;
      return null;
    }
    const frame = this._take();
    if (frame === null) {
      this._failures++;
      return null;
    }
    if (++this._outstanding > this._highWater) this._highWater = this._outstanding;
    return frame;
  }

  /** {@inheritDoc FrameAllocator.free} */
  free(buffer: FrameBuffer): void {
    if (this._state !== INITIALIZED && this._state !== DELETE_PENDING) throw this._stateError('free');
    if (buffer === null || typeof buffer !== 'object') {
      throw argumentError('type', 'buffer', buffer, 'a FrameBuffer handed out by this allocator');
    }
    let deferred: AllocatorError | null;
    try {
      deferred = this._give(buffer);
    } catch (error) {
      // Typed errors pass; anything else came from reading a hostile object (a throwing getter or proxy trap).
      throw error instanceof AvStreamError ? error : foreignBuffer(buffer, error);
    }
    this._outstanding--;
    if (this._waiters.pending !== 0) this._serveWaiters();
    if (this._listeners.length !== 0 || this._state !== INITIALIZED || deferred !== null) this._afterFree(deferred);
  }

  /** @internal the slow tail of free: FREEFRAME listeners, a deferred delete, a deferred (canary) error */
  _afterFree(deferred: AllocatorError | null): void {
    try {
      if (this._listeners.length !== 0) this._emitFreeFrame();
    } finally {
      if (this._state === DELETE_PENDING && this._outstanding === 0) this._finishDelete();
    }
    if (deferred !== null) throw deferred;
  }

  /** {@inheritDoc FrameAllocator.acquire} */
  acquire(signal?: AbortSignal): Promise<FrameBuffer> {
    if (this._state !== INITIALIZED) return Promise.reject(this._stateError('acquire'));
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(argumentError('type', 'signal', signal, 'an AbortSignal or undefined'));
    }
    if (signal?.aborted) return Promise.reject(cancelled(signal));
    if (this._waiters.pending === 0) {
      let frame: FrameBuffer | null;
      try {
        frame = this.allocate();
      } catch (error) {
        return Promise.reject(error); // e.g. a vendor contract violation
      }
      if (frame !== null) return Promise.resolve(frame);
    } else {
      this._failures++;
    }
    return new Promise<FrameBuffer>((resolve, reject) => {
      const waiter = new Waiter(resolve, reject);
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (waiter.settled) return;
          this._waiters.cancel(waiter);
          reject(cancelled(signal));
        };
        waiter.signal = signal;
        waiter.onAbort = onAbort;
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this._waiters.push(waiter);
    });
  }

  /** {@inheritDoc FrameAllocator.onFreeFrame} */
  onFreeFrame(listener: () => void): () => void {
    if (typeof listener !== 'function') throw argumentError('type', 'listener', listener, 'a function');
    this._listeners = [...this._listeners, listener];
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const at = this._listeners.indexOf(listener);
      if (at >= 0) this._listeners = this._listeners.filter((_, i) => i !== at);
    };
  }

  /** {@inheritDoc FrameAllocator.status} */
  status(): AllocatorStatus {
    if (this._framing === null) throw this._stateError('status');
    return {
      framing: this._framing,
      allocatedFrames: this._outstanding,
      highWaterMark: this._highWater,
      failures: this._failures,
      pendingAcquires: this._waiters.pending,
    };
  }

  /** {@inheritDoc FrameAllocator.delete} */
  delete(): void {
    if (this._state === DELETED) return;
    if (this._state === CREATED) {
      this._state = DELETED;
      return;
    }
    if (this._outstanding !== 0) {
      throw new AllocatorError(
        'framesOutstanding',
        `delete: ${this._outstanding} frame(s) outstanding is not allowed; expected every frame freed first (or deleteWhenIdle())`,
        Status.invalidDeviceState,
      );
    }
    this._finishDelete();
  }

  /** {@inheritDoc FrameAllocator.deleteWhenIdle} */
  deleteWhenIdle(): Promise<void> {
    if (this._state === CREATED || this._state === DELETED || this._outstanding === 0) {
      this.delete();
      return Promise.resolve();
    }
    if (this._idle === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this._idle = { resolve, promise };
      this._state = DELETE_PENDING;
      this._rejectWaiters();
    }
    return this._idle.promise;
  }

  /** Deletes the allocator (`using` support). */
  [Symbol.dispose](): void {
    this.delete();
  }

  /** @internal validates nothing (the framing is validated); calls the implementation's initialization */
  protected abstract _init(pin: unknown, framing: Readonly<AllocatorFraming>): void;
  /** @internal one frame (marked outstanding by the implementation) or null on shortage */
  abstract _take(): FrameBuffer | null;
  /**
   * @internal takes back one outstanding frame; throws (changing nothing) when it is not one. Returns an error to
   * throw once the free is complete (a debug canary violation), else null.
   */
  abstract _give(buffer: FrameBuffer): AllocatorError | null;
  /** @internal releases the implementation's resources (vendor: DeleteAllocator) */
  protected abstract _destroy(): void;

  /** @internal */
  _serveWaiters(): void {
    while (this._waiters.pending !== 0 && this._outstanding < this._limit) {
      const frame = this._take();
      if (frame === null) return;
      const waiter = this._waiters.shift();
      if (waiter === undefined) {
        this._give(frame); // cannot happen: pending was non-zero
        return;
      }
      if (++this._outstanding > this._highWater) this._highWater = this._outstanding;
      waiter.detach();
      waiter.resolve(frame);
    }
  }

  /** @internal */
  _emitFreeFrame(): void {
    const listeners = this._listeners;
    if (listeners.length === 1) {
      // the common case (one requester waiting): a direct call; an exception propagates as from the loop below
      listeners[0]!();
      return;
    }
    let failure: unknown;
    let failed = false;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!();
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
  }

  /** @internal */
  _rejectWaiters(): void {
    for (let waiter = this._waiters.shift(); waiter !== undefined; waiter = this._waiters.shift()) {
      waiter.detach();
      waiter.reject(
        new AllocatorError('deleted', 'acquire: the allocator was deleted while the acquire pended', Status.cancelled),
      );
    }
  }

  /** @internal */
  _finishDelete(): void {
    this._rejectWaiters();
    this._state = DELETED;
    this._listeners = NO_LISTENERS;
    try {
      this._destroy();
    } finally {
      const idle = this._idle;
      this._idle = null;
      idle?.resolve();
    }
  }

  /** @internal */
  _stateError(operation: string): AllocatorError {
    if (this._state === CREATED) {
      return new AllocatorError(
        'notInitialized',
        `${operation}: the allocator is not initialized; expected initialize(pin, framing) first`,
        Status.invalidDeviceState,
      );
    }
    const pending = this._state === DELETE_PENDING ? ' (deletion pending)' : '';
    return new AllocatorError(
      'deleted',
      `${operation}: the allocator is deleted${pending}; expected no use after delete`,
      Status.invalidDeviceState,
    );
  }
}

/** @internal */
export function initializeFailed(message: string, status: number, cause?: unknown): AllocatorError {
  const error = new AllocatorError('initializeFailed', message, status);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** An AbortSignal, or an object that behaves as one (`aborted`, `reason`, add/removeEventListener). */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<AbortSignal>;
  return (
    typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function'
  );
}

function cancelled(signal: AbortSignal): AvStreamError {
  return new AvStreamError('acquire: cancelled by its AbortSignal', Status.cancelled, { cause: signal.reason });
}

/** @internal the messages of the typed free errors */
export function foreignBuffer(buffer: unknown, cause?: unknown): AllocatorError {
  const error = new AllocatorError(
    'foreignBuffer',
    `free: a buffer (${describeHandle(buffer)}) not handed out by this allocator is not allowed; expected one of its frames`,
    Status.invalidParameter,
  );
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** @internal */
export function doubleFree(index: number): AllocatorError {
  return new AllocatorError(
    'doubleFree',
    `free: frame ${index} is not outstanding (already freed); expected an outstanding frame`,
    Status.invalidParameter,
  );
}

function describeHandle(buffer: unknown): string {
  if (buffer === null || typeof buffer !== 'object') return String(buffer);
  try {
    if (ArrayBuffer.isView(buffer)) return `${buffer.constructor.name} of ${buffer.byteLength} bytes`;
    const index = (buffer as { index?: unknown }).index;
    return typeof index === 'number' ? `frame ${index}` : 'an object';
  } catch {
    return 'an unreadable object';
  }
}
