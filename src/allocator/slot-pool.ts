import { type AllocatorError, argumentError } from '../errors.js';
import type { AllocatorFraming } from '../framing/types.js';
import { POISON_BYTE } from '../memory/guard.js';
import { AllocatorBase, doubleFree, foreignBuffer, INITIALIZED } from './allocator-base.js';

/** (read per frame: a module constant, folded by the compiler, not an imported binding) */
const READY = INITIALIZED;

import { DebugFrame, type GenerationSource, PooledFrame, staleHandle } from './frame-handle.js';
import type { FrameBuffer } from './types.js';

/**
 * An allocator whose frames are `frames` fixed slots: an Int32Array free stack (O(1) allocate/free), one pooled
 * handle per slot, an outstanding flag per slot, and in debug mode a generation per slot, fresh handles, poison on
 * free and (through `_checkGuards`) canaries. Slots are created up front (`_eager`) or on demand.
 * @internal
 */
export abstract class SlotPoolAllocator extends AllocatorBase implements GenerationSource {
  /** @internal */
  readonly _debug: boolean;
  /** @internal per-slot data views */
  _views: Uint8Array[] = [];
  /** @internal per-slot pooled handles (non-debug) */
  _handles: PooledFrame[] = [];
  /** @internal per-slot live debug handle */
  _live: Array<DebugFrame | undefined> = [];
  /** @internal 1 while the slot is outstanding */
  _out: Uint8Array = new Uint8Array(0);
  /** @internal free slot indices */
  _freeStack: Int32Array = new Int32Array(0);
  /** @internal */
  _freeTop = 0;
  /** @internal slots created so far */
  _created = 0;
  /** @internal per-slot generation (debug mode; moves on at each free) */
  _generations: Uint32Array = new Uint32Array(0);

  constructor(debug: boolean) {
    super();
    this._debug = debug;
  }

  /** @internal sets up the slot tables; eager pools create every slot now */
  protected _initSlots(framing: Readonly<AllocatorFraming>, eager: boolean): void {
    const n = framing.frames;
    this._out = new Uint8Array(n);
    this._freeStack = new Int32Array(n);
    this._generations = new Uint32Array(n);
    if (!eager) return;
    for (let i = 0; i < n; i++) {
      const view = this._createSlot(i);
      if (view === null) throw new Error('unreachable: an eager slot could not be created');
      this._addSlot(i, view);
    }
    // Slot 0 on top of the stack: frames come out in slot order from a fresh pool.
    for (let i = 0; i < n; i++) this._freeStack[i] = n - 1 - i;
    this._freeTop = n;
  }

  /** @internal the data view of slot `index`, or null when memory for it cannot be provided (a shortage) */
  protected abstract _createSlot(index: number): Uint8Array | null;

  /** @internal debug mode: checks slot `index`'s guard bytes (and restores them); an error or null */
  protected _checkGuards(_index: number): AllocatorError | null {
    return null;
  }

  private _addSlot(i: number, view: Uint8Array): void {
    this._views[i] = view;
    this._handles[i] = new PooledFrame(this, i, view);
    this._live[i] = undefined;
    this._created = i + 1;
  }

  _take(): FrameBuffer | null {
    let i: number;
    if (this._freeTop !== 0) {
      i = this._freeStack[--this._freeTop]!;
    } else {
      i = this._created;
      if (i >= this._limit) return null;
      const view = this._createSlot(i);
      if (view === null) return null;
      this._addSlot(i, view);
    }
    this._out[i] = 1;
    if (this._debug) return this._takeDebug(i);
    return this._handles[i]!;
  }

  /**
   * @internal The requester's fused `allocate()` (processing/requester.ts): takes a free slot with exactly
   * `allocate()`'s accounting (outstanding, high-water mark) and returns its index — its handle is `_handles[i]` —
   * or -1 whenever `allocate()` has anything more to decide: not initialized (or deletion pending), no free slot
   * (exhausted: `allocate()` counts a failure; or a paged pool that has not made the slot yet), debug mode (a fresh
   * handle per allocation). The caller then calls `allocate()`. (The Frames limit needs no check of its own: every
   * slot made is either free or outstanding, `_freeTop + _outstanding === _created ≤ _limit`, so a free slot means
   * the limit is not reached.)
   */
  _allocateSlot(): number {
    if (this._freeTop === 0 || this._state !== READY || this._debug === true) return -1;
    const i = this._freeStack[--this._freeTop]!;
    this._out[i] = 1;
    if (++this._outstanding > this._highWater) this._highWater = this._outstanding;
    return i;
  }

  /**
   * @internal The requester's fused `free()`: frees slot `i` and returns true when `buffer` is that slot's pooled
   * handle, outstanding, and nothing but the bookkeeping is due (initialized, no `acquire()` waiting, no FREEFRAME
   * listener). Otherwise it changes nothing and returns false; the caller then calls `free(buffer)`, which does the
   * rest or throws the typed error (double free, foreign or stale buffer). Only identities and the slot tables are
   * compared (the buffer itself is not read: a hostile object cannot throw here).
   */
  _freeSlot(i: number, buffer: FrameBuffer): boolean {
    if (
      this._handles[i] !== buffer ||
      this._out[i] !== 1 ||
      this._state !== READY ||
      this._waiters.pending !== 0 ||
      this._listeners.length !== 0
    ) {
      return false;
    }
    this._out[i] = 0;
    this._freeStack[this._freeTop++] = i;
    this._outstanding--;
    return true;
  }

  private _takeDebug(i: number): FrameBuffer {
    const frame = new DebugFrame(this, i, this._generations[i]!, this._views[i]!);
    this._live[i] = frame;
    return frame;
  }

  _give(buffer: FrameBuffer): AllocatorError | null {
    if (this._debug) return this._giveDebug(buffer);
    const i = buffer.index;
    if (this._handles[i] !== buffer) throw foreignBuffer(buffer);
    if (this._out[i] === 0) throw doubleFree(i);
    this._out[i] = 0;
    this._freeStack[this._freeTop++] = i;
    return null;
  }

  private _giveDebug(buffer: FrameBuffer): AllocatorError | null {
    if (!(buffer instanceof DebugFrame) || buffer.allocator !== this) throw foreignBuffer(buffer);
    const i = buffer.index;
    if (this._live[i] !== buffer) {
      // This allocation was freed already: a repeat free right after it is a double free; once the slot was handed
      // out again, freeing through the old handle would free someone else's frame — a stale handle.
      if (this._out[i] === 0 && buffer.generation + 1 === this._generations[i]) throw doubleFree(i);
      throw staleHandle(i, 'free');
    }
    const violation = this._checkGuards(i);
    this._live[i] = undefined;
    this._out[i] = 0;
    this._generations[i] = (this._generations[i]! + 1) >>> 0;
    this._views[i]!.fill(POISON_BYTE);
    this._freeStack[this._freeTop++] = i;
    return violation;
  }

  protected _destroySlots(): void {
    this._views = [];
    this._handles = [];
    this._live = [];
    this._freeTop = 0;
  }
}

/**
 * @internal The options every slot-pool allocator takes: the options object itself (or undefined) and its `debug` and
 * `shared` flags.
 */
export function poolOptions(options: unknown): { readonly debug: boolean; readonly shared: boolean } {
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, 'an options object or undefined');
  }
  const { debug = false, shared = false } = options as { debug?: unknown; shared?: unknown };
  if (typeof debug !== 'boolean') throw argumentError('type', 'options.debug', debug, 'a boolean');
  if (typeof shared !== 'boolean') throw argumentError('type', 'options.shared', shared, 'a boolean');
  return { debug, shared };
}

/** @internal A byte-count option: `fallback` when undefined, else an integer 0 … `max`. */
export function byteCount(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw argumentError('type', name, value, 'a number of bytes');
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw argumentError('range', name, value, `an integer 0 … ${max}`);
  }
  return value;
}
