import assert from 'node:assert/strict';
import {
  type AllocatorDispatch,
  type AllocatorFraming,
  type AllocatorFramingEx,
  Communication,
  DataFlow,
  type FilterDescriptor,
  type Graph,
  type Pin,
  type PinDescriptorEx,
  PinFlags,
  Status,
  type StatusCode,
  WILDCARD_DATA_RANGE,
} from '../../src/index.js';

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

/**
 * A filter-centric automatic splitter: the driver copies its input into the delegate (the first process pin of the
 * output entry, DelegateBranch and CopySource null) and stamps the header; AVStream does the branches.
 */
export function teeDescriptor(
  options: {
    log?: { calls: number; sawDelegate: number };
    framing?: AllocatorFramingEx | null;
    instances?: number;
  } = {},
): FilterDescriptor {
  const log = options.log ?? { calls: 0, sawDelegate: 0 };
  return {
    flags: 0x8, // RECEIVE_ZERO_LENGTH_SAMPLES
    dispatch: {
      process: (_f, index) => {
        log.calls++;
        const input = index[0]!.pins[0]!;
        const out = index[1]!.pins[0]!;
        if (out.delegateBranch === null && out.copySource === null) log.sawDelegate++;
        const n = Math.min(input.bytesAvailable, out.bytesAvailable);
        out.data!.set(input.data!.subarray(0, n));
        input.bytesUsed = input.bytesAvailable;
        out.bytesUsed = n;
        out.terminate = true;
        const from = input.streamPointer!.streamHeader!;
        const to = out.streamPointer!.streamHeader!;
        to.optionsFlags = from.optionsFlags;
        to.presentationTime.time = from.presentationTime.time;
        return Status.success;
      },
    },
    pinDescriptors: [
      singleInput(),
      splitterOutput({ instancesPossible: options.instances ?? 4, allocatorFraming: options.framing ?? null }),
    ],
  };
}

/** One input pin type (one instance, necessary), wildcard formats, no framing unless given. */
export function singleInput(over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return {
    dataFlow: DataFlow.in,
    communication: Communication.sink,
    dataRanges: [WILDCARD_DATA_RANGE],
    instancesPossible: 1,
    instancesNecessary: 1,
    allocatorFraming: null,
    ...over,
  };
}

/** A SPLITTER output pin type (up to 4 instances), wildcard formats, no framing unless given. */
export function splitterOutput(over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return {
    dataFlow: DataFlow.out,
    communication: Communication.source,
    dataRanges: [WILDCARD_DATA_RANGE],
    flags: PinFlags.splitter,
    instancesPossible: 4,
    instancesNecessary: 1,
    allocatorFraming: null,
    ...over,
  };
}

/** Stops the graph and checks that every pipe's frames came back and its allocator is deleted. */
export async function stopAndCheckIdle(graph: Graph): Promise<void> {
  const pipes = [...graph.pipes];
  graph.stop();
  await graph.whenIdle();
  for (const p of pipes) {
    assert.equal(p.allocator.status().allocatedFrames, 0, `${p.id}: no outstanding frame`);
    assert.equal(p.allocator.state, 'deleted', `${p.id}: allocator deleted`);
  }
}
