import { argumentError } from '../errors.js';
import type { AllocatorFraming } from '../framing/types.js';
import { Status } from '../status.js';
import { initializeFailed } from './allocator-base.js';
import { DEFAULT_MAX_SLAB_BYTES } from './default-allocator.js';
import { byteCount, poolOptions, SlotPoolAllocator } from './slot-pool.js';
import type { AllocatorKind } from './types.js';

/** Memory the application hands to {@link createUserMemoryAllocator}: a whole buffer or a view on one. */
export type UserFrameMemory = ArrayBufferLike | Uint8Array;

/** Options of {@link createUserMemoryAllocator}. */
export interface UserMemoryAllocatorOptions {
  /**
   * The application's own frame memory, one entry per frame (at least `frames` entries; the first `frames` are used).
   * Each must hold `frameSize` bytes, start aligned per `fileAlignment`, and stays the application's: the allocator
   * never detaches or keeps it after delete. Omitted: the allocator creates one ArrayBuffer per frame.
   */
  readonly buffers?: readonly UserFrameMemory[];
  /** Back created frames with SharedArrayBuffers. Default false. */
  readonly shared?: boolean;
  /** Debug mode: poison on free and stale-handle detection (no canaries: frames have no prefix/padding). */
  readonly debug?: boolean;
  /**
   * The most bytes of frame memory the allocator may create (`frames · frameSize`, when `buffers` is omitted), checked
   * before anything is allocated. Default {@link DEFAULT_MAX_SLAB_BYTES} (1 GiB).
   */
  readonly maxBytes?: number;
}

/**
 * A user-memory allocator (KSMEMORY_TYPE_USER): one ArrayBuffer per frame, owned by the application — the memory a
 * user-mode pipe end fills and drains. Same contract as every allocator; all slots exist from initialize.
 */
export class UserMemoryAllocator extends SlotPoolAllocator {
  readonly kind: AllocatorKind = 'user';
  /** @internal */
  private readonly _supplied: readonly UserFrameMemory[] | undefined;
  /** @internal */
  private readonly _shared: boolean;
  /** @internal */
  private readonly _maxBytes: number;
  /** @internal */
  private _frameViews: Uint8Array[] = [];

  constructor(options: UserMemoryAllocatorOptions = {}) {
    const { debug, shared } = poolOptions(options);
    const buffers = options.buffers;
    if (buffers !== undefined) {
      if (!Array.isArray(buffers)) throw argumentError('type', 'options.buffers', buffers, 'an array of buffers');
      buffers.forEach((b: unknown, i) => {
        if (!(b instanceof Uint8Array) && !isArrayBufferLike(b)) {
          throw argumentError('type', `options.buffers[${i}]`, b, 'an ArrayBuffer, SharedArrayBuffer or Uint8Array');
        }
      });
    }
    const maxBytes = byteCount('options.maxBytes', options.maxBytes, DEFAULT_MAX_SLAB_BYTES, Number.MAX_SAFE_INTEGER);
    super(debug);
    this._supplied = buffers === undefined ? undefined : [...buffers];
    this._shared = shared;
    this._maxBytes = maxBytes;
  }

  /** The frames' memory (one view of `frameSize` bytes per frame), once initialized. */
  get frameMemory(): readonly Uint8Array[] {
    return this._frameViews;
  }

  protected _init(_pin: unknown, framing: Readonly<AllocatorFraming>): void {
    const { frames, frameSize, fileAlignment } = framing;
    const views: Uint8Array[] = [];
    if (this._supplied === undefined) {
      if (this._shared && typeof SharedArrayBuffer !== 'function') {
        throw initializeFailed('initialize: shared: true needs SharedArrayBuffer', Status.notSupported);
      }
      const total = frames * frameSize;
      if (total > this._maxBytes) {
        throw initializeFailed(
          `initialize: ${total} bytes of frame memory (${frames} frames × ${frameSize} bytes) is not allowed; expected at most maxBytes ${this._maxBytes}`,
          Status.insufficientResources,
        );
      }
      try {
        for (let i = 0; i < frames; i++) {
          views.push(new Uint8Array(this._shared ? new SharedArrayBuffer(frameSize) : new ArrayBuffer(frameSize)));
        }
      } catch (cause) {
        throw initializeFailed(
          `initialize: ${total} bytes of frame memory could not be allocated; expected memory the runtime can provide`,
          Status.insufficientResources,
          cause,
        );
      }
    } else {
      if (this._supplied.length < frames) {
        throw initializeFailed(
          `initialize: options.buffers: ${this._supplied.length} buffer(s) is not allowed; expected at least framing.frames = ${frames}`,
          Status.insufficientResources,
        );
      }
      for (let i = 0; i < frames; i++) {
        const memory = this._supplied[i]!;
        const view = memory instanceof Uint8Array ? memory : new Uint8Array(memory);
        if (view.byteLength < frameSize || (view.byteOffset & fileAlignment) !== 0) {
          throw initializeFailed(
            `initialize: options.buffers[${i}]: ${view.byteLength} bytes at byte offset ${view.byteOffset} is not allowed; expected at least ${frameSize} bytes aligned to ${fileAlignment + 1}`,
            Status.invalidParameter,
          );
        }
        views.push(view.byteLength === frameSize ? view : view.subarray(0, frameSize));
      }
    }
    this._frameViews = views;
    this._initSlots(framing, true);
  }

  protected _createSlot(index: number): Uint8Array | null {
    return this._frameViews[index] ?? null;
  }

  protected _destroy(): void {
    this._destroySlots();
    this._frameViews = [];
  }
}

function isArrayBufferLike(value: unknown): value is ArrayBufferLike {
  return (
    value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)
  );
}

/**
 * Creates a user-memory allocator: per-frame ArrayBuffers owned by the application (given in `options.buffers`, or
 * created at initialize).
 *
 * @example
 * ```ts
 * const mine = Array.from({ length: 4 }, () => new ArrayBuffer(1024));
 * const allocator = createUserMemoryAllocator({ buffers: mine });
 * allocator.initialize(null, { optionsFlags: 0, poolType: 1, frames: 4, frameSize: 1024, fileAlignment: 3, reserved: 0 });
 * ```
 */
export function createUserMemoryAllocator(options?: UserMemoryAllocatorOptions): UserMemoryAllocator {
  return new UserMemoryAllocator(options);
}
