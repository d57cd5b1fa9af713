import { AllocatorError, argumentError, describeValue } from '../errors.js';
import type { AllocatorFraming } from '../framing/types.js';
import { ntSuccess, Status, statusName } from '../status.js';
import { AllocatorBase, doubleFree, foreignBuffer, initializeFailed } from './allocator-base.js';
import { PooledFrame } from './frame-handle.js';
import type { AllocatorDispatch, AllocatorKind, FrameBuffer } from './types.js';

/**
 * A vendor allocator (KSALLOCATOR_DISPATCH) behind the common lifecycle.
 *
 * - `initialize` validates the legacy framing, then calls `initializeAllocator(pin, framing)` once; a failure status
 *   (or a throw) is `initializeFailed` carrying the status, and the vendor is never called again for that attempt.
 * - The context it returns reaches every `allocate`/`free`/`deleteAllocator` unchanged.
 * - `allocate` returns null without calling the vendor once `frames` are outstanding.
 * - Vendor buffers map to pooled {@link FrameBuffer} handles (at most `frames` handle objects, found by the buffer's
 *   memory: its ArrayBuffer and byte offset), so a vendor handing out fixed slices costs no allocation per frame.
 * - A vendor buffer that is already outstanding, shorter than the frame size, misaligned per `fileAlignment`,
 *   overlapping an outstanding frame, or not a Uint8Array is a `contractViolation`; a buffer that is not outstanding
 *   is handed back to the vendor's `free` first. A vendor callback that throws is a `contractViolation` carrying the
 *   vendor's error as `cause`.
 *
 * @typeParam C - the vendor's allocator context (what `initializeAllocator` returns)
 * @typeParam P - the pin type passed to `initializeAllocator`
 */
export class VendorAllocator<C = unknown, P = unknown> extends AllocatorBase {
  readonly kind: AllocatorKind = 'vendor';
  /** @internal */
  private readonly _dispatch: AllocatorDispatch<C, P>;
  /** @internal */
  private _context: C | undefined = undefined;
  /** @internal */
  private _handles: PooledFrame[] = [];
  /** @internal */
  private _out: Uint8Array = new Uint8Array(0);
  /** @internal memory identity → handle index: ArrayBuffer → (byteOffset → index) */
  private _bound = new Map<ArrayBufferLike, Map<number, number>>();
  /** @internal the ArrayBuffer each handle is bound to (for unbinding) */
  private _boundBuffer: Array<ArrayBufferLike | undefined> = [];
  /** @internal where the search for a free handle starts */
  private _cursor = 0;
  /** @internal */
  private _frameSize = 0;
  /** @internal */
  private _alignMask = 0;

  constructor(dispatch: AllocatorDispatch<C, P>) {
    super();
    if (dispatch === null || typeof dispatch !== 'object') {
      throw argumentError('type', 'dispatch', dispatch, 'a KSALLOCATOR_DISPATCH object');
    }
    for (const name of ['initializeAllocator', 'deleteAllocator', 'allocate', 'free'] as const) {
      if (typeof dispatch[name] !== 'function') {
        throw argumentError('type', `dispatch.${name}`, dispatch[name], 'a function');
      }
    }
    this._dispatch = dispatch;
  }

  protected _init(pin: unknown, framing: Readonly<AllocatorFraming>): void {
    let result: unknown;
    try {
      result = this._dispatch.initializeAllocator(pin as P, framing);
    } catch (error) {
      throw initializeFailed(
        `initialize: the vendor's initializeAllocator threw (${error instanceof Error ? error.message : String(error)})`,
        Status.unsuccessful,
        error,
      );
    }
    const status = (result as { status?: unknown } | null)?.status;
    if (typeof status !== 'number') {
      throw initializeFailed(
        'initialize: the vendor returned no status; expected { status, context } from initializeAllocator',
        Status.unsuccessful,
      );
    }
    if (!Number.isInteger(status) || status < -0x80000000 || status > 0xffffffff) {
      throw initializeFailed(
        `initialize: the vendor's status ${String(status)} is not allowed; expected an NTSTATUS (a 32-bit integer)`,
        Status.unsuccessful,
      );
    }
    if (!ntSuccess(status)) {
      throw initializeFailed(`initialize: the vendor's initializeAllocator failed with ${statusName(status)}`, status);
    }
    this._context = (result as { context: C }).context;
    this._frameSize = framing.frameSize;
    this._alignMask = framing.fileAlignment;
    this._out = new Uint8Array(framing.frames);
  }

  /** The context the vendor's initializeAllocator returned (until delete). */
  get context(): C | undefined {
    return this._context;
  }

  _take(): FrameBuffer | null {
    let buffer: Uint8Array | null;
    try {
      buffer = this._dispatch.allocate(this._context as C);
    } catch (error) {
      throw vendorThrew('allocate', error);
    }
    if (buffer === null || buffer === undefined) return null;
    if (!(buffer instanceof Uint8Array)) {
      throw new AllocatorError(
        'contractViolation',
        `allocate: the vendor returned ${typeof buffer}; expected a Uint8Array or null`,
        Status.invalidDeviceRequest,
      );
    }
    const index = this._bound.get(buffer.buffer)?.get(buffer.byteOffset);
    if (index !== undefined && this._out[index] === 1) {
      throw new AllocatorError(
        'contractViolation',
        `allocate: the vendor returned the buffer of frame ${index} again while it is outstanding; expected a buffer not handed out`,
        Status.invalidDeviceRequest,
      );
    }
    if (buffer.byteLength < this._frameSize || (buffer.byteOffset & this._alignMask) !== 0) {
      this._giveBack(buffer);
      throw new AllocatorError(
        'contractViolation',
        `allocate: a vendor buffer of ${buffer.byteLength} bytes at byte offset ${buffer.byteOffset} is not allowed; expected at least ${this._frameSize} bytes aligned to ${this._alignMask + 1}`,
        Status.invalidDeviceRequest,
      );
    }
    // New memory (or a known start with another length): it must not overlap a frame that is outstanding. Checked
    // only then, so a vendor cycling fixed slices pays nothing per frame.
    if (index === undefined || this._handles[index]!.data.byteLength !== buffer.byteLength) {
      const overlapped = this._overlapping(buffer, index);
      if (overlapped >= 0) {
        this._giveBack(buffer);
        throw new AllocatorError(
          'contractViolation',
          `allocate: a vendor buffer (bytes ${buffer.byteOffset}…${buffer.byteOffset + buffer.byteLength - 1}) overlapping outstanding frame ${overlapped} is not allowed; expected memory not handed out`,
          Status.invalidDeviceRequest,
        );
      }
    }
    const i = index ?? this._bind(buffer);
    const handle = this._handles[i]!;
    handle.data = buffer;
    this._out[i] = 1;
    return handle;
  }

  /** The index of an outstanding frame (other than `except`) whose memory overlaps `buffer`, or −1. */
  private _overlapping(buffer: Uint8Array, except: number | undefined): number {
    const start = buffer.byteOffset;
    const end = start + buffer.byteLength;
    for (let i = 0; i < this._handles.length; i++) {
      if (i === except || this._out[i] !== 1) continue;
      const data = this._handles[i]!.data;
      if (data.buffer !== buffer.buffer) continue;
      if (start < data.byteOffset + data.byteLength && data.byteOffset < end) return i;
    }
    return -1;
  }

  /** Hands a refused buffer back to the vendor's `free` (the vendor did hand it out). */
  private _giveBack(buffer: Uint8Array): void {
    try {
      this._dispatch.free(this._context as C, buffer);
    } catch (error) {
      throw vendorThrew('free', error);
    }
  }

  /** Binds a new memory identity to a handle that is not outstanding (creating handles up to `frames`). */
  private _bind(buffer: Uint8Array): number {
    let i: number;
    if (this._handles.length < this._limit) {
      i = this._handles.length;
      this._handles.push(new PooledFrame(this, i, buffer));
    } else {
      // Some handle is free (outstanding < frames): reuse the next one after the cursor, dropping its old binding.
      const n = this._handles.length;
      i = this._cursor;
      while (this._out[i] === 1) i = (i + 1) % n;
      this._cursor = (i + 1) % n;
      const old = this._handles[i]!.data;
      const owner = this._boundBuffer[i];
      if (owner !== undefined) {
        const offsets = this._bound.get(owner);
        offsets?.delete(old.byteOffset);
        if (offsets?.size === 0) this._bound.delete(owner);
      }
    }
    let offsets = this._bound.get(buffer.buffer);
    if (offsets === undefined) {
      offsets = new Map();
      this._bound.set(buffer.buffer, offsets);
    }
    offsets.set(buffer.byteOffset, i);
    this._boundBuffer[i] = buffer.buffer;
    return i;
  }

  _give(buffer: FrameBuffer): AllocatorError | null {
    const i = buffer.index;
    if (this._handles[i] !== buffer) throw foreignBuffer(buffer);
    if (this._out[i] === 0) throw doubleFree(i);
    try {
      this._dispatch.free(this._context as C, buffer.data);
    } catch (error) {
      throw vendorThrew('free', error); // the frame stays outstanding: free may be retried
    }
    this._out[i] = 0;
    return null;
  }

  protected _destroy(): void {
    const context = this._context as C;
    this._context = undefined;
    this._handles = [];
    this._bound = new Map();
    this._boundBuffer = [];
    try {
      this._dispatch.deleteAllocator(context);
    } catch (error) {
      throw vendorThrew('deleteAllocator', error); // the allocator is deleted all the same
    }
  }
}

/** A vendor callback threw: AVStream's callbacks cannot fail that way, so it is a contract violation (cause kept). */
function vendorThrew(callback: 'allocate' | 'free' | 'deleteAllocator', cause: unknown): AllocatorError {
  const message = cause instanceof Error ? cause.message : describeValue(cause);
  const error = new AllocatorError(
    'contractViolation',
    `${callback === 'deleteAllocator' ? 'delete' : callback}: the vendor's ${callback} threw (${message}); expected it to return`,
    Status.invalidDeviceRequest,
  );
  (error as { cause?: unknown }).cause = cause;
  return error;
}

/**
 * Wraps a vendor's KSALLOCATOR_DISPATCH table in the common allocator lifecycle (see {@link VendorAllocator}).
 *
 * @example
 * ```ts
 * const allocator = createVendorAllocator({
 *   initializeAllocator: (pin, framing) => ({ status: 0, context: makePool(framing) }),
 *   deleteAllocator: (pool) => pool.release(),
 *   allocate: (pool) => pool.take(),
 *   free: (pool, buffer) => pool.give(buffer),
 * });
 * ```
 */
export function createVendorAllocator<C, P = unknown>(dispatch: AllocatorDispatch<C, P>): VendorAllocator<C, P> {
  return new VendorAllocator(dispatch);
}
