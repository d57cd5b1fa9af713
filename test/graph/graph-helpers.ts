import type { AllocatorDispatch, AllocatorFraming, Pin, StatusCode } from '../../src/index.js';

/** A vendor allocator (KSALLOCATOR_DISPATCH) that records every call with its arguments. */
export interface RecordingVendor {
  readonly calls: string[];
  readonly framings: AllocatorFraming[];
  readonly pins: Pin[];
  readonly contexts: unknown[];
  readonly buffers: Set<Uint8Array>;
  readonly dispatch: AllocatorDispatch<{ id: number; free: Uint8Array[] }, Pin>;
  /** Makes the next initialize fail with this status. */
  failWith: StatusCode | null;
  /** Makes allocate return null while true. */
  starve: boolean;
}

let nextContext = 1;

export function recordingVendor(): RecordingVendor {
  const v: RecordingVendor = {
    calls: [],
    framings: [],
    pins: [],
    contexts: [],
    buffers: new Set(),
    failWith: null,
    starve: false,
    dispatch: {
      initializeAllocator(pin, framing) {
        v.calls.push('initialize');
        v.pins.push(pin);
        v.framings.push({ ...framing });
        if (v.failWith !== null) return { status: v.failWith };
        const context = { id: nextContext++, free: [] as Uint8Array[] };
        for (let i = 0; i < framing.frames; i++) {
          const b = new Uint8Array(framing.frameSize);
          v.buffers.add(b);
          context.free.push(b);
        }
        v.contexts.push(context);
        return { status: 0, context };
      },
      deleteAllocator(context) {
        v.calls.push('delete');
        v.contexts.push(context);
      },
      allocate(context) {
        v.calls.push('allocate');
        v.contexts.push(context);
        if (v.starve) return null;
        return context.free.pop() ?? null;
      },
      free(context, buffer) {
        v.calls.push('free');
        v.contexts.push(context);
        context.free.push(buffer);
      },
    },
  };
  return v;
}

/** Resolves after pending microtasks and one macrotask turn (endpoint promises settle). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
