import type { AllocatorError } from '../errors.js';
import type { AllocatorFraming } from '../framing/types.js';
import { findCanaryViolation, writeCanary } from '../memory/guard.js';
import { computeFrameLayout, type FrameLayout } from '../memory/layout.js';
import { CACHE_LINE_SIZE, isCacheAlignedPoolType, type PoolKind, poolKind } from '../memory/pool-type.js';
import { Slab } from '../memory/slab.js';
import { Status } from '../status.js';
import { initializeFailed } from './allocator-base.js';
import { CanaryOverwrittenError } from './frame-handle.js';
import { byteCount, poolOptions, SlotPoolAllocator } from './slot-pool.js';
import type { AllocatorKind } from './types.js';

/** Bytes of canary the debug mode puts before and after each frame when `prefix`/`padding` are not given. */
export const DEBUG_GUARD_BYTES = 16;

/** The default cap on one default allocator's slab (1 GiB), checked before any memory is reserved. */
export const DEFAULT_MAX_SLAB_BYTES = 2 ** 30;

/** Options of {@link createDefaultAllocator}. */
export interface DefaultAllocatorOptions {
  /** Bytes reserved before each frame's data inside its slot (GStreamer `prefix`). Default 0 (debug: 16). */
  readonly prefix?: number;
  /** Bytes reserved after each frame's data inside its slot (GStreamer `padding`). Default 0 (debug: 16). */
  readonly padding?: number;
  /** Debug mode: canaries in prefix/padding checked at free, poison on free, stale-handle detection. */
  readonly debug?: boolean;
  /** Back the slab with a SharedArrayBuffer (shareable with workers). Default false. */
  readonly shared?: boolean;
  /** The largest slab this allocator may reserve, in bytes. Default {@link DEFAULT_MAX_SLAB_BYTES}. */
  readonly maxSlabBytes?: number;
}

/**
 * The default allocator (AVStream's default / KsCreateDefaultAllocator): frames carved from one slab per allocator
 * according to the legacy framing given to `initialize`.
 *
 * - Layout: slot `i` at `i·stride`; data at `dataOffset` inside the slot, aligned to `fileAlignment + 1` (and to a
 *   64-byte cache line for the `*CacheAligned` pool types); `prefix`/`padding` bytes around the data.
 * - Pool: NonPagedPool (0, 4, 512) commits the whole slab at initialize; PagedPool (1, 5) grows a resizable slab by
 *   doubling as slots are first used, up to `frames`.
 * - `allocate` pops an Int32Array free stack (O(1), no allocation); `null` at once when `frames` are outstanding.
 */
export class DefaultAllocator extends SlotPoolAllocator {
  readonly kind: AllocatorKind = 'default';
  /** @internal */
  private readonly _prefix: number;
  /** @internal */
  private readonly _padding: number;
  /** @internal */
  private readonly _shared: boolean;
  /** @internal */
  private readonly _maxSlabBytes: number;
  /** @internal */
  private _slab: Slab | null = null;
  /** @internal */
  private _layout: FrameLayout | null = null;
  /** @internal */
  private _pool: PoolKind | null = null;
  /** @internal debug mode: a view over each whole slot (prefix + data + padding) */
  private _slotViews: Uint8Array[] = [];

  constructor(options: DefaultAllocatorOptions = {}) {
    const { debug, shared } = poolOptions(options);
    super(debug);
    const guard = debug ? DEBUG_GUARD_BYTES : 0;
    this._prefix = byteCount('options.prefix', options.prefix, guard, 0xffff);
    this._padding = byteCount('options.padding', options.padding, guard, 0xffff);
    this._maxSlabBytes = byteCount('options.maxSlabBytes', options.maxSlabBytes, DEFAULT_MAX_SLAB_BYTES, 2 ** 32);
    this._shared = shared;
  }

  /** The slot layout (stride, data offset, alignment), once initialized. */
  get layout(): FrameLayout | null {
    return this._layout;
  }

  /** `nonPaged` (whole slab at initialize) or `paged` (grown lazily), once initialized. */
  get poolKind(): PoolKind | null {
    return this._pool;
  }

  /** The slab's buffer (ArrayBuffer or SharedArrayBuffer), once initialized; null after delete. */
  get buffer(): ArrayBufferLike | null {
    return this._slab?.buffer ?? null;
  }

  /** Bytes of slab committed now (a paged pool grows this up to `stride · frames`). */
  get committedBytes(): number {
    return this._slab?.byteLength ?? 0;
  }

  protected _init(_pin: unknown, framing: Readonly<AllocatorFraming>): void {
    const mask = framing.fileAlignment | (isCacheAlignedPoolType(framing.poolType) ? CACHE_LINE_SIZE - 1 : 0);
    const layout = computeFrameLayout(framing.frameSize, mask, this._prefix, this._padding);
    const total = layout.stride * framing.frames;
    if (total > this._maxSlabBytes) {
      throw initializeFailed(
        `initialize: a slab of ${total} bytes (${framing.frames} frames × stride ${layout.stride}) is not allowed; expected at most maxSlabBytes ${this._maxSlabBytes}`,
        Status.insufficientResources,
      );
    }
    const pool = poolKind(framing.poolType);
    const slab = new Slab({
      maxByteLength: total,
      initialByteLength: pool === 'nonPaged' ? total : 0,
      shared: this._shared,
    });
    this._slab = slab;
    this._layout = layout;
    this._pool = pool;
    this._initSlots(framing, pool === 'nonPaged');
  }

  protected _createSlot(index: number): Uint8Array | null {
    const slab = this._slab!;
    const layout = this._layout!;
    const start = index * layout.stride;
    if (!slab.ensure(start + layout.stride)) return null;
    if (this._debug) {
      const slot = new Uint8Array(slab.buffer, start, layout.stride);
      writeCanary(slot, 0, layout.dataOffset);
      writeCanary(slot, layout.dataOffset + layout.frameSize, layout.stride);
      this._slotViews[index] = slot;
    }
    return new Uint8Array(slab.buffer, start + layout.dataOffset, layout.frameSize);
  }

  protected override _checkGuards(index: number): AllocatorError | null {
    const slot = this._slotViews[index];
    const layout = this._layout;
    if (slot === undefined || layout === null) return null;
    const dataEnd = layout.dataOffset + layout.frameSize;
    let at = findCanaryViolation(slot, 0, layout.dataOffset);
    if (at < 0) at = findCanaryViolation(slot, dataEnd, layout.stride);
    if (at < 0) return null;
    writeCanary(slot, 0, layout.dataOffset);
    writeCanary(slot, dataEnd, layout.stride);
    return new CanaryOverwrittenError(index, at - layout.dataOffset, layout.frameSize);
  }

  protected _destroy(): void {
    this._destroySlots();
    this._slotViews = [];
    this._slab = null;
  }
}

/**
 * Creates a default allocator (KsCreateDefaultAllocator). Initialize it with the resolved legacy framing:
 *
 * @example
 * ```ts
 * const allocator = createDefaultAllocator();
 * allocator.initialize(null, { optionsFlags: 0, poolType: PoolType.nonPagedPool, frames: 8, frameSize: 4096,
 *   fileAlignment: FileAlignment.bytes64, reserved: 0 });
 * const frame = allocator.allocate(); // FrameBuffer | null
 * if (frame) allocator.free(frame);
 * allocator.delete();
 * ```
 */
export function createDefaultAllocator(options?: DefaultAllocatorOptions): DefaultAllocator {
  return new DefaultAllocator(options);
}
