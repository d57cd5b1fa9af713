import {
  type AllocatorDispatch,
  type AllocatorFraming,
  alignUp,
  createDefaultAllocator,
  createUserMemoryAllocator,
  createVendorAllocator,
  FileAlignment,
  type FrameAllocator,
  type FrameBuffer,
  PoolType,
  type StatusCode,
} from '../../src/index.js';

/** A legacy framing: 4 frames of 256 bytes, 16-byte aligned, NonPagedPool unless overridden. */
export function framing(overrides: Partial<AllocatorFraming> = {}): AllocatorFraming {
  return {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames: 4,
    frameSize: 256,
    fileAlignment: FileAlignment.octa,
    reserved: 0,
    ...overrides,
  };
}

/** The context of the example common-buffer vendor allocator. */
export interface CommonBufferContext {
  readonly pin: unknown;
  readonly framing: Readonly<AllocatorFraming>;
  /** The device's common buffer every frame is a slice of. */
  readonly common: ArrayBuffer;
  readonly slices: Uint8Array[];
  readonly free: Uint8Array[];
  deleted: boolean;
}

/** One call the vendor received: its name and the context it was given. */
export interface VendorCall {
  readonly name: 'initializeAllocator' | 'allocate' | 'free' | 'deleteAllocator';
  readonly context?: unknown;
  readonly args: readonly unknown[];
}

/** Options of {@link commonBufferVendor}. */
export interface CommonBufferVendorOptions {
  /** Slices carved (default: framing.frames). */
  readonly capacity?: number;
  /** Fail InitializeAllocator with this status. */
  readonly initStatus?: StatusCode;
  /** Hand out a fresh Uint8Array view object on every allocate (same memory). */
  readonly freshViews?: boolean;
}

/**
 * The example vendor allocator (spec §1, §6 common-buffer DMA): InitializeAllocator carves `frames` slices, each
 * aligned per FileAlignment, out of one common buffer; Allocate pops a slice or returns null when exhausted.
 */
export function commonBufferVendor(options: CommonBufferVendorOptions = {}): {
  dispatch: AllocatorDispatch<CommonBufferContext>;
  calls: VendorCall[];
  contexts: CommonBufferContext[];
} {
  const calls: VendorCall[] = [];
  const contexts: CommonBufferContext[] = [];
  const dispatch: AllocatorDispatch<CommonBufferContext> = {
    initializeAllocator(pin, f) {
      calls.push({ name: 'initializeAllocator', args: [pin, f] });
      if (options.initStatus !== undefined) return { status: options.initStatus };
      const count = options.capacity ?? f.frames;
      const stride = alignUp(f.frameSize, f.fileAlignment);
      const common = new ArrayBuffer(stride * count);
      const slices = Array.from({ length: count }, (_, i) => new Uint8Array(common, i * stride, f.frameSize));
      const context: CommonBufferContext = {
        pin,
        framing: f,
        common,
        slices,
        free: [...slices].reverse(),
        deleted: false,
      };
      contexts.push(context);
      return { status: 0, context };
    },
    deleteAllocator(context) {
      calls.push({ name: 'deleteAllocator', context, args: [] });
      context.deleted = true;
    },
    allocate(context) {
      calls.push({ name: 'allocate', context, args: [] });
      const slice = context.free.pop();
      if (slice === undefined) return null;
      return options.freshViews ? new Uint8Array(slice.buffer, slice.byteOffset, slice.byteLength) : slice;
    },
    free(context, buffer) {
      calls.push({ name: 'free', context, args: [buffer] });
      const slice = context.slices.find((s) => s.byteOffset === buffer.byteOffset);
      if (slice === undefined) throw new Error('vendor: not my buffer');
      context.free.push(slice);
    },
  };
  return { dispatch, calls, contexts };
}

/** A named allocator factory for tests that hold for every allocator kind. */
export interface AllocatorCase {
  readonly name: string;
  readonly poolType: number;
  create(): FrameAllocator;
}

/** Every allocator kind and mode the lifecycle rules must hold for. */
export const ALLOCATOR_CASES: readonly AllocatorCase[] = [
  { name: 'default nonpaged', poolType: PoolType.nonPagedPool, create: () => createDefaultAllocator() },
  { name: 'default paged', poolType: PoolType.pagedPool, create: () => createDefaultAllocator() },
  {
    name: 'default debug',
    poolType: PoolType.nonPagedPool,
    create: () => createDefaultAllocator({ debug: true }),
  },
  {
    name: 'vendor (common buffer)',
    poolType: PoolType.nonPagedPool,
    create: () => createVendorAllocator(commonBufferVendor().dispatch),
  },
  {
    name: 'vendor (fresh views)',
    poolType: PoolType.nonPagedPool,
    create: () => createVendorAllocator(commonBufferVendor({ freshViews: true }).dispatch),
  },
  { name: 'user memory', poolType: PoolType.pagedPool, create: () => createUserMemoryAllocator() },
  { name: 'user memory debug', poolType: PoolType.pagedPool, create: () => createUserMemoryAllocator({ debug: true }) },
];

/** Creates and initializes an allocator of a case with {@link framing}(overrides). */
export function initialized(c: AllocatorCase, overrides: Partial<AllocatorFraming> = {}): FrameAllocator {
  const a = c.create();
  a.initialize({ pin: c.name }, framing({ poolType: c.poolType, ...overrides }));
  return a;
}

/** Allocates n frames (each must succeed). */
export function allocateN(a: FrameAllocator, n: number): FrameBuffer[] {
  const out: FrameBuffer[] = [];
  for (let i = 0; i < n; i++) {
    const f = a.allocate();
    if (f === null) throw new Error(`allocate ${i} returned null`);
    out.push(f);
  }
  return out;
}

/** Lets pending promise reactions run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records how a promise settled. */
export function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const t: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      t.value = value;
      t.settled = true;
    },
    (error: unknown) => {
      t.error = error;
      t.settled = true;
    },
  );
  return t;
}
