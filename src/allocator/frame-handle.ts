import { AllocatorError } from '../errors.js';
import { Status } from '../status.js';
import type { FrameAllocator, FrameBuffer } from './types.js';

/**
 * The pooled frame handle: one object per slot, built once and handed out again for every allocation of that slot
 * (no allocation per frame). Plain fields, no getters, one shape for every allocator kind.
 * @internal
 */
export class PooledFrame implements FrameBuffer {
  /** @internal mutable for vendor allocators (the vendor's buffer of the current allocation) */
  data: Uint8Array;
  readonly allocator: FrameAllocator;
  readonly index: number;

  constructor(allocator: FrameAllocator, index: number, data: Uint8Array) {
    this.data = data;
    this.allocator = allocator;
    this.index = index;
  }
}

/** What a debug handle checks its generation against. @internal */
export interface GenerationSource extends FrameAllocator {
  readonly _generations: Uint32Array;
}

/**
 * The debug-mode handle: a fresh object per allocation carrying the slot's generation at allocation time. Once the
 * frame is freed the slot's generation moves on and `data` throws `staleHandle`.
 * @internal
 */
export class DebugFrame implements FrameBuffer {
  readonly allocator: GenerationSource;
  readonly index: number;
  /** The slot generation this allocation belongs to. */
  readonly generation: number;
  private readonly _data: Uint8Array;

  constructor(allocator: GenerationSource, index: number, generation: number, data: Uint8Array) {
    this.allocator = allocator;
    this.index = index;
    this.generation = generation;
    this._data = data;
  }

  get data(): Uint8Array {
    if (this.allocator._generations[this.index] !== this.generation) throw staleHandle(this.index, 'data');
    return this._data;
  }
}

/** @internal */
export function staleHandle(index: number, operation: string): AllocatorError {
  return new AllocatorError(
    'staleHandle',
    `${operation}: a stale handle of frame ${index} (freed, and possibly reallocated since) is not allowed; expected the handle of a live allocation`,
    Status.invalidParameter,
  );
}

/**
 * A debug-mode canary found overwritten when a frame was freed.
 */
export class CanaryOverwrittenError extends AllocatorError {
  /** The slot index of the frame. */
  readonly frameIndex: number;
  /** The first overwritten byte, relative to the frame's data start (negative = prefix, ≥ frameSize = padding). */
  readonly byteOffset: number;

  constructor(frameIndex: number, byteOffset: number, frameSize: number) {
    const zone = byteOffset < 0 ? 'prefix' : 'padding';
    const at = byteOffset < 0 ? -byteOffset : byteOffset - frameSize;
    super(
      'canaryOverwritten',
      `free: frame ${frameIndex} has its ${zone} canary overwritten at data offset ${byteOffset} (${at} byte(s) ${
        byteOffset < 0 ? 'before the data' : 'after the data end'
      }); expected writes only inside the frame's ${frameSize} bytes`,
      Status.unsuccessful,
    );
    this.frameIndex = frameIndex;
    this.byteOffset = byteOffset;
  }
}
