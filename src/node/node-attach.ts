import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { argumentError } from '../errors.js';
import type {
  Graph,
  SinkAttachment,
  SinkEndpointOptions,
  SourceChunk,
  SourceEndpoint,
  StreamSourceOptions,
} from '../index.js';
import { toNodeReadable } from './node-readable.js';

/** Options of {@link addNodeSink}: those of `graph.addSink()` plus an abort signal for the pipeline. */
export interface NodeSinkOptions extends SinkEndpointOptions {
  /** Aborting it destroys the pipeline (the sink is cancelled, the Writable destroyed). */
  readonly signal?: AbortSignal;
}

async function* chunksOf(readable: AsyncIterable<unknown>): AsyncGenerator<SourceChunk> {
  for await (const chunk of readable) {
    yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as SourceChunk);
  }
}

/**
 * Adds a source endpoint to `graph` fed from a Node.js Readable (Buffers, strings, or frame inits in object mode):
 * the source pumps it into the graph as frames come free — the Readable is paused meanwhile (back-pressure) — and
 * closes at its end. An error of the Readable aborts the source (the graph's sinks error with it); an abort of the
 * source destroys the Readable. Connect the returned source with `graph.connect()`.
 */
export function addNodeSource(graph: Graph, readable: Readable, options: StreamSourceOptions = {}): SourceEndpoint {
  if (readable === null || typeof readable !== 'object' || typeof readable[Symbol.asyncIterator] !== 'function') {
    throw argumentError('type', 'readable', readable, 'a Node.js Readable');
  }
  return graph.addSource({ ...options, from: chunksOf(readable) });
}

/**
 * Adds a sink endpoint to `graph` whose bytes are written to a Node.js Writable (`pipeline(toNodeReadable(sink),
 * writable)`): the Writable's back-pressure reaches the pipe; the end of stream ends it; a source abort destroys it.
 * Connect the returned sink with `graph.connect()`; `finished` settles with the pipeline.
 */
export function addNodeSink(graph: Graph, writable: Writable, options: NodeSinkOptions = {}): SinkAttachment {
  if (writable === null || typeof writable !== 'object' || typeof writable.write !== 'function') {
    throw argumentError('type', 'writable', writable, 'a Node.js Writable');
  }
  const { signal, ...sinkOptions } = options;
  const sink = graph.addSink(sinkOptions);
  const finished =
    signal === undefined
      ? pipeline(toNodeReadable(sink), writable)
      : pipeline(toNodeReadable(sink), writable, { signal });
  finished.catch(() => undefined); // observed by the caller through `finished`
  return { sink, finished };
}
