import type { Guid } from '../framing/guid.js';
import type { AllocatorFraming, FramingRange } from '../framing/types.js';
import type { StatusCode } from '../status.js';

/**
 * The result of {@link AllocatorDispatch.initializeAllocator}: success with the context every later callback
 * receives, or a failure status (which fails the creation, e.g. the STOP→ACQUIRE transition of the pipe).
 */
export type AllocatorInitResult<C> =
  | { readonly status: 0; readonly context: C }
  | { readonly status: StatusCode; readonly context?: undefined };

/**
 * KSALLOCATOR_DISPATCH: a vendor allocator's dispatch table (spec §1).
 *
 * `initializeAllocator` receives the resolved framing in the legacy KSALLOCATOR_FRAMING form and returns the context
 * that avstream passes, unchanged, to `allocate`, `free` and `deleteAllocator`. `allocate` returns one frame's memory
 * (sized per the framing; there is no size argument) or `null` on shortage. After `deleteAllocator` nothing is called.
 *
 * @typeParam C - the allocator context
 * @typeParam P - the pin type passed to `initializeAllocator`
 */
export interface AllocatorDispatch<C = unknown, P = unknown> {
  /** AVStrMiniInitializeAllocator (PFNKSPININITIALIZEALLOCATOR). */
  initializeAllocator(pin: P, framing: Readonly<AllocatorFraming>): AllocatorInitResult<C>;
  /** AVStrMiniDeleteAllocator (PFNKSDELETEALLOCATOR). */
  deleteAllocator(context: C): void;
  /** AVStrMiniAllocate (PFNKSDEFAULTALLOCATE): one frame, or null on shortage. */
  allocate(context: C): Uint8Array | null;
  /** AVStrMiniAllocatorFreeFrame (PFNKSDEFAULTFREE): a buffer earlier returned by `allocate`. */
  free(context: C, buffer: Uint8Array): void;
}

/**
 * What a vendor allocator (a pin's KSALLOCATOR_DISPATCH) declares it can provide — the graph manager's input for
 * accepting or rejecting it (spec §7: "may be rejected on mismatch"). AVStream has no such structure (the vendor's
 * abilities are implied by its driver); avstream makes them explicit so the choice can be explained. Declared next to
 * the dispatch: `PinDispatch.allocatorCapabilities`.
 */
export interface AllocatorCapabilities {
  /** Memory types it can allocate (KSMEMORY_TYPE_* GUIDs; GUID_NULL = any). Non-empty. */
  readonly memoryTypes: readonly Guid[];
  /** Frame sizes it can provide. */
  readonly sizeRange: Readonly<FramingRange>;
  /** The largest FileAlignment mask it honours (2^k − 1). */
  readonly fileAlignment: number;
  /** The most frames it can provide (≥ 1). */
  readonly maxFrames: number;
}

/** The lifecycle state of an allocator. */
export type AllocatorState = 'created' | 'initialized' | 'deleted';

/** Which implementation stands behind an allocator. */
export type AllocatorKind = 'default' | 'vendor' | 'user';

/**
 * KSSTREAMALLOCATOR_STATUS, extended: the creation framing and live counters.
 */
export interface AllocatorStatus {
  /** The legacy framing the allocator was initialized with. */
  readonly framing: Readonly<AllocatorFraming>;
  /** AllocatedFrames: frames outstanding now. */
  readonly allocatedFrames: number;
  /** The most frames ever outstanding at once. */
  readonly highWaterMark: number;
  /** Allocations that found no free frame (a `null` from `allocate`, or a pend of `acquire`). */
  readonly failures: number;
  /** `acquire()` calls waiting for a frame now. */
  readonly pendingAcquires: number;
}

/**
 * One frame's memory handed out by a {@link FrameAllocator}. Handles are pooled: the same object comes back for the
 * same slot (in debug mode a fresh handle per allocation, so a stale one is detected).
 */
export interface FrameBuffer {
  /**
   * The frame's bytes: exactly the framing's frame size (prefix/padding excluded) for the default and user-memory
   * allocators; for a vendor allocator, the vendor's buffer as it returned it (at least the frame size).
   */
  readonly data: Uint8Array;
  /** The allocator the frame belongs to (where it must be freed). */
  readonly allocator: FrameAllocator;
  /** The slot index inside the allocator (stable for the allocator's life). */
  readonly index: number;
}

/**
 * An allocator with its lifecycle enforced: `initialize` once, then `allocate`/`acquire`/`free`, then `delete`.
 * Vendor dispatch tables, the default pool allocator and the user-memory allocator all stand behind this contract.
 */
export interface FrameAllocator {
  /** Which implementation this is. */
  readonly kind: AllocatorKind;
  /** `created` → `initialized` → `deleted`. */
  readonly state: AllocatorState;
  /** The creation framing, once initialized. */
  readonly framing: Readonly<AllocatorFraming> | null;
  /** Frames outstanding now. */
  readonly outstanding: number;
  /**
   * Initializes the allocator with the resolved legacy framing (vendor: calls InitializeAllocator).
   * @throws AllocatorError (`initializeFailed`, carrying the status) when the allocator refuses the framing
   */
  initialize(pin: unknown, framing: Readonly<AllocatorFraming>): void;
  /** Direct allocation (function-table AllocateFrame): a frame, or `null` at once when none is free. O(1). */
  allocate(): FrameBuffer | null;
  /** Returns a frame (and serves the oldest pending `acquire`, then signals FREEFRAME). */
  free(buffer: FrameBuffer): void;
  /**
   * The IRP path (KSMETHOD_STREAMALLOCATOR_ALLOC): resolves with a frame, pending first-come-first-served until one is
   * freed; rejects on abort (`cancelled`) or when the allocator is deleted.
   */
  acquire(signal?: AbortSignal): Promise<FrameBuffer>;
  /** Registers a FREEFRAME listener (called after each free); returns the function that removes it. */
  onFreeFrame(listener: () => void): () => void;
  /** KSPROPERTY_STREAMALLOCATOR_STATUS. */
  status(): AllocatorStatus;
  /**
   * Deletes the allocator (vendor: DeleteAllocator): pending acquires are rejected; nothing may be allocated or freed
   * afterwards. Deleting a created (never initialized) allocator does not call the vendor; a second delete is a no-op.
   * @throws AllocatorError (`framesOutstanding`, nothing changed) while frames are outstanding
   */
  delete(): void;
  /**
   * Deferred delete for pipe teardown: rejects pending acquires and refuses new allocations (`deleted`) at once, keeps
   * accepting frees, and deletes when the last outstanding frame is freed (at once when none is). Resolves then.
   */
  deleteWhenIdle(): Promise<void>;
  /** True between {@link FrameAllocator.deleteWhenIdle} and the deletion it waits for. */
  readonly deletePending: boolean;
  /** `using allocator = …`: calls {@link FrameAllocator.delete}. */
  [Symbol.dispose](): void;
}
