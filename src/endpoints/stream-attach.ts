import { argumentError } from '../errors.js';
import type { SourceChunk } from '../graph/endpoints/endpoint-types.js';
import type { SinkEndpoint, SinkEndpointOptions } from '../graph/endpoints/sink-endpoint.js';
import type { SourceEndpoint, SourceEndpointOptions } from '../graph/endpoints/source-endpoint.js';
import type { Graph } from '../graph/graph.js';
import { toReadableStream } from './readable-stream.js';

/** A sink endpoint wired to an output (a WritableStream, or a Node Writable with `avstream/node`). */
export interface SinkAttachment {
  /** The sink endpoint: connect it with `graph.connect({ filter, pin }, sink)`. */
  readonly sink: SinkEndpoint;
  /** Resolves when the end of stream reached the output (closed/finished); rejects with the first error. */
  readonly finished: Promise<void>;
}

/** Options of {@link addReadableStreamSource}: those of `graph.addSource()` except `from`. */
export type StreamSourceOptions = Omit<SourceEndpointOptions, 'from'>;

/** Options of {@link addWritableStreamSink}: those of `graph.addSink()` plus the `pipeTo` switches. */
export interface StreamSinkOptions extends SinkEndpointOptions {
  /** Leave the WritableStream open at the end of stream. */
  readonly preventClose?: boolean;
  /** Do not abort the WritableStream when the graph's source aborts. */
  readonly preventAbort?: boolean;
  /** Aborting it stops the transfer (the sink is cancelled, the WritableStream aborted unless preventAbort). */
  readonly signal?: AbortSignal;
}

/**
 * The chunks of a ReadableStream as an async iterable, through a reader (engines without async iteration of
 * ReadableStream, e.g. Safari, work too). Ending the iteration early (`break`, a throw, the consumer's abort)
 * cancels the stream; finishing it releases the reader's lock.
 */
export function readableStreamChunks<T>(stream: ReadableStream<T>): AsyncIterable<T> {
  if (stream === null || typeof stream !== 'object' || typeof stream.getReader !== 'function') {
    throw argumentError('type', 'stream', stream, 'a ReadableStream');
  }
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const reader = stream.getReader();
      let finished = false;
      const finish = (): void => {
        finished = true;
        reader.releaseLock();
      };
      return {
        next: async (): Promise<IteratorResult<T>> => {
          if (finished) return { done: true, value: undefined };
          let r: ReadableStreamReadResult<T>;
          try {
            r = await reader.read();
          } catch (error) {
            finish();
            throw error;
          }
          if (r.done) {
            finish();
            return { done: true, value: undefined };
          }
          return { done: false, value: r.value };
        },
        return: async (): Promise<IteratorResult<T>> => {
          if (!finished) {
            finished = true;
            await reader.cancel().catch(() => undefined);
            reader.releaseLock();
          }
          return { done: true, value: undefined };
        },
        throw: async (error?: unknown): Promise<IteratorResult<T>> => {
          if (!finished) {
            finished = true;
            await reader.cancel(error).catch(() => undefined);
            reader.releaseLock();
          }
          throw error;
        },
      };
    },
  };
}

/**
 * Adds a source endpoint to `graph` fed from a WHATWG ReadableStream (of Uint8Array chunks or frame inits): the
 * source pumps the stream into the graph as frames come free (back-pressure reaches the stream: it is not read
 * faster than the pipe drains) and closes at its end. An error of the stream aborts the source (the graph's sinks
 * error with it); an abort of the source cancels the stream. Connect the returned source with `graph.connect()`.
 */
export function addReadableStreamSource(
  graph: Graph,
  stream: ReadableStream<SourceChunk>,
  options: StreamSourceOptions = {},
): SourceEndpoint {
  const from = readableStreamChunks(stream);
  return graph.addSource({ ...options, from });
}

/**
 * Adds a sink endpoint to `graph` whose bytes are written to a WHATWG WritableStream (`toReadableStream(sink)
 * .pipeTo(stream)`): the writable's back-pressure reaches the pipe; the end of stream closes it (unless
 * preventClose); a source abort aborts it (unless preventAbort). Connect the returned sink with `graph.connect()`.
 */
export function addWritableStreamSink(
  graph: Graph,
  stream: WritableStream<Uint8Array>,
  options: StreamSinkOptions = {},
): SinkAttachment {
  if (stream === null || typeof stream !== 'object' || typeof stream.getWriter !== 'function') {
    throw argumentError('type', 'stream', stream, 'a WritableStream');
  }
  const { preventClose, preventAbort, signal, ...sinkOptions } = options;
  const sink = graph.addSink(sinkOptions);
  const pipeOptions: StreamPipeOptions = {};
  if (preventClose !== undefined) pipeOptions.preventClose = preventClose;
  if (preventAbort !== undefined) pipeOptions.preventAbort = preventAbort;
  if (signal !== undefined) pipeOptions.signal = signal;
  const finished = toReadableStream(sink).pipeTo(stream, pipeOptions);
  finished.catch(() => undefined); // the caller observes it; an unobserved failure is not an unhandled rejection
  return { sink, finished };
}
