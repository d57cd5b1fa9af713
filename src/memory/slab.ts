import { AllocatorError } from '../errors.js';
import { Status } from '../status.js';

/**
 * The backing memory of one allocator: one ArrayBuffer (or SharedArrayBuffer) — allocated whole, or resizable and
 * grown on demand up to its final size.
 * @module
 */

interface ResizableArrayBufferConstructor {
  new (byteLength: number, options: { maxByteLength: number }): ArrayBuffer & { resize(byteLength: number): void };
}
interface GrowableSharedArrayBufferConstructor {
  new (byteLength: number, options: { maxByteLength: number }): SharedArrayBuffer & { grow(byteLength: number): void };
}

/** True when this runtime has resizable ArrayBuffers (`new ArrayBuffer(n, { maxByteLength })`). */
export function supportsResizableArrayBuffer(): boolean {
  return typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
}

/** True when this runtime exposes SharedArrayBuffer (browsers: only when cross-origin isolated). */
export function supportsSharedArrayBuffer(): boolean {
  return typeof SharedArrayBuffer === 'function';
}

/** Options of {@link Slab}. */
export interface SlabOptions {
  /** The size the slab may reach. */
  readonly maxByteLength: number;
  /** Bytes committed now (0 … maxByteLength); the rest is committed by {@link Slab.ensure}. */
  readonly initialByteLength: number;
  /** Back the slab with a SharedArrayBuffer (shareable with workers). */
  readonly shared: boolean;
}

/**
 * One allocator's memory. A slab created with `initialByteLength < maxByteLength` is a resizable ArrayBuffer (or a
 * growable SharedArrayBuffer) that {@link Slab.ensure} grows by doubling, never past `maxByteLength`. Views taken on
 * it stay valid while it grows. Where the runtime has no resizable buffers the first `ensure` commits the whole slab.
 */
export class Slab {
  /** The backing buffer (replaced only in the no-resizable-buffer fallback, before any view exists). */
  buffer: ArrayBufferLike;
  /** The size the slab may reach. */
  readonly maxByteLength: number;
  /** True when the slab was backed by a SharedArrayBuffer. */
  readonly shared: boolean;
  /** @internal */
  private readonly _growable: boolean;

  constructor(options: SlabOptions) {
    const { maxByteLength, initialByteLength, shared } = options;
    this.maxByteLength = maxByteLength;
    this.shared = shared;
    if (shared && !supportsSharedArrayBuffer()) {
      throw new AllocatorError(
        'initializeFailed',
        'shared: true is not allowed; expected a runtime with SharedArrayBuffer (cross-origin isolated in browsers)',
        Status.notSupported,
      );
    }
    const lazy = initialByteLength < maxByteLength;
    this._growable = lazy && (shared || supportsResizableArrayBuffer());
    try {
      if (!lazy) {
        this.buffer = shared ? new SharedArrayBuffer(maxByteLength) : new ArrayBuffer(maxByteLength);
      } else if (!this._growable) {
        this.buffer = new ArrayBuffer(0);
      } else if (shared) {
        const Growable = SharedArrayBuffer as unknown as GrowableSharedArrayBufferConstructor;
        this.buffer = new Growable(initialByteLength, { maxByteLength });
      } else {
        const Resizable = ArrayBuffer as unknown as ResizableArrayBufferConstructor;
        this.buffer = new Resizable(initialByteLength, { maxByteLength });
      }
    } catch (cause) {
      throw slabError(maxByteLength, cause);
    }
  }

  /** Bytes committed now. */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /**
   * Makes at least `byteLength` bytes (≤ maxByteLength) usable, growing by doubling. Returns false (and changes
   * nothing) when the runtime refuses the memory — a recoverable shortage for a paged pool.
   */
  ensure(byteLength: number): boolean {
    const current = this.buffer.byteLength;
    if (byteLength <= current) return true;
    if (byteLength > this.maxByteLength) return false;
    const next = Math.min(this.maxByteLength, Math.max(byteLength, current * 2));
    try {
      if (!this._growable) {
        this.buffer = new ArrayBuffer(this.maxByteLength);
      } else if (this.shared) {
        (this.buffer as SharedArrayBuffer & { grow(n: number): void }).grow(next);
      } else {
        (this.buffer as ArrayBuffer & { resize(n: number): void }).resize(next);
      }
    } catch {
      return false;
    }
    return true;
  }
}

function slabError(byteLength: number, cause: unknown): AllocatorError {
  const error = new AllocatorError(
    'initializeFailed',
    `slab: ${byteLength} bytes could not be allocated; expected memory the runtime can provide`,
    Status.insufficientResources,
  );
  (error as { cause?: unknown }).cause = cause;
  return error;
}
