import assert from 'node:assert/strict';
import {
  Communication,
  DataFlow,
  FileAlignment,
  type FilterDescriptor,
  Graph,
  type GraphPipe,
  MemoryType,
  type Pin,
  RequirementFlags,
  type SinkEndpoint,
  type SourceEndpoint,
  Status,
  type StatusCode,
  StreamPointerState,
  simpleFraming,
  WILDCARD_DATA_RANGE,
} from '../../src/index.js';

/** Options of {@link xorFilter}. */
export interface XorFilterOptions {
  /** The byte XORed into every valid byte (default 0xff). */
  readonly key?: number;
  /** Throw this error when processing the frame with this index (0-based). */
  readonly throwAt?: number;
  /** The error thrown. */
  readonly error?: unknown;
}

/**
 * An in-place transform written against the public API (pin-centric, INPLACE_MODIFIER): XORs each frame's valid
 * bytes with `key` and passes the frame on. Optionally throws at the `throwAt`-th frame.
 */
export function xorFilter(options: XorFilterOptions = {}): FilterDescriptor {
  const key = (options.key ?? 0xff) & 0xff;
  let n = 0;
  const process = (pin: Pin): StatusCode => {
    const lead = pin.getLeadingEdge(StreamPointerState.locked);
    if (lead === null) return Status.pending;
    if (options.throwAt !== undefined && n === options.throwAt) {
      n++;
      throw options.error ?? new Error(`xor: frame ${options.throwAt} is poisoned`);
    }
    n++;
    const frame = lead.frame!;
    const data = frame.data!;
    for (let i = 0; i < frame.header.dataUsed; i++) data[i]! ^= key;
    lead.unlock(true);
    return Status.success;
  };
  const ranges = [WILDCARD_DATA_RANGE];
  return {
    flags: 0x8, // RECEIVE_ZERO_LENGTH_SAMPLES: the end-of-stream frame passes through
    pinDescriptors: [
      {
        dataFlow: DataFlow.in,
        communication: Communication.sink,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: simpleFraming(
          MemoryType.kernelNonPaged,
          RequirementFlags.inplaceModifier,
          0,
          FileAlignment.byte,
          1,
          0xffffffff,
        ),
        dispatch: { process },
      },
      {
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: null,
      },
    ],
  };
}

/** A graph: user-mode source → in-place XOR → user-mode sink (one user-mode pipe). */
export interface Chain {
  readonly graph: Graph;
  readonly source: SourceEndpoint;
  readonly sink: SinkEndpoint;
}

/** Options of {@link chain}. */
export interface ChainOptions extends XorFilterOptions {
  /** The pipe's frame size. */
  readonly frameSize: number;
  /** The pipe's frame count (the source asks for it). */
  readonly frames: number;
  /** Frames the application may hold at the sink (default 1). */
  readonly maxHeld?: number;
  /** Build the source with this function instead of `graph.addSource({ frameSize, frames })`. */
  readonly addSource?: (graph: Graph, options: { frameSize: number; frames: number }) => SourceEndpoint;
  /** Build the sink with this function instead of `graph.addSink({ maxHeld })`. */
  readonly addSink?: (graph: Graph, options: { maxHeld: number }) => SinkEndpoint;
}

/** Builds (does not run) source → xor → sink. */
export function chain(options: ChainOptions): Chain {
  const graph = new Graph();
  const xor = graph.addFilter(xorFilter(options), { id: 'xor' });
  const sourceOptions = { frameSize: options.frameSize, frames: options.frames };
  const source = options.addSource
    ? options.addSource(graph, sourceOptions)
    : graph.addSource({ id: 'app', ...sourceOptions });
  const maxHeld = options.maxHeld ?? 1;
  const sink = options.addSink ? options.addSink(graph, { maxHeld }) : graph.addSink({ id: 'out', maxHeld });
  graph.connect(source, { filter: xor, pin: 0 });
  graph.connect({ filter: xor, pin: 1 }, sink);
  return { graph, source, sink };
}

/** Frames outstanding in the graph's pipes now (frames taken from their allocators). */
export function outstanding(pipes: readonly GraphPipe[]): number {
  let n = 0;
  for (const p of pipes) n += p.allocator.outstanding;
  return n;
}

/** Lets every queued promise reaction and scheduled microtask run (no clock involved). */
export async function settle(turns = 4): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Stops the graph and asserts every pipe's allocator got all its frames back and was deleted. */
export async function stopAndAssertClean(graph: Graph, pipes: readonly GraphPipe[]): Promise<void> {
  graph.stop();
  await graph.whenIdle();
  assert.ok(pipes.length > 0, 'the graph had pipes');
  for (const p of pipes) {
    assert.equal(p.allocator.outstanding, 0, `${p.id}: no outstanding frames`);
    assert.equal(p.allocator.state, 'deleted', `${p.id}: allocator deleted`);
  }
}

/** Deterministic bytes: byte i of a stream of `length` bytes seeded by `seed`. */
export function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** XORs a copy of `bytes` with `key`. */
export function xored(bytes: Uint8Array, key = 0xff): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key;
  return out;
}

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
