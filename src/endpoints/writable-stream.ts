import { argumentError } from '../errors.js';
import type { SourceChunk } from '../graph/endpoints/endpoint-types.js';
import type { SourceEndpoint } from '../graph/endpoints/source-endpoint.js';

/** Options of {@link toWritableStream}. */
export interface ToWritableStreamOptions {
  /**
   * Chunks the WritableStream queues on top of the pipe (its highWaterMark, counted in chunks). Default 1: the
   * writer's `desiredSize` drops to 0 — and `ready` pends — as soon as one chunk waits for a free frame of the pipe.
   */
  readonly highWaterMark?: number;
}

function checkSource(source: unknown): SourceEndpoint {
  const s = source as SourceEndpoint | null;
  if (s === null || typeof s !== 'object' || typeof s.write !== 'function' || typeof s.close !== 'function') {
    throw argumentError('type', 'source', source, 'a SourceEndpoint (graph.addSource())');
  }
  return s;
}

/**
 * A WHATWG WritableStream into a graph at `source`: each chunk (a Uint8Array, or a `{ data, …header fields }` frame
 * init) is **copied** into the pipe's user-memory frames — the writer keeps its buffer (it is never transferred) and
 * may reuse it once the write resolves.
 *
 * Back-pressure: a write resolves once its bytes are in pipe frames. When every frame of the pipe is downstream, the
 * write waits for one to come back; the stream then holds at most `highWaterMark` more chunks before `desiredSize`
 * reaches 0 and `writer.ready` pends (`pipeTo` waits on it). So a producer never gets more than the pipe's frames
 * plus `highWaterMark` chunks ahead of the consumer.
 *
 * `close()` ends the stream (an ENDOFSTREAM frame after every written chunk). `abort(reason)` aborts the source: a
 * write waiting for frames is cancelled at once (through the controller's signal, where the engine has one) and the
 * graph's sinks error with `reason`. A write that fails — the source was aborted elsewhere, or a filter threw while
 * the written frames moved downstream — errors the stream and aborts the source with that error (the sinks see it).
 *
 * Browser-safe.
 */
export function toWritableStream(
  source: SourceEndpoint,
  options: ToWritableStreamOptions = {},
): WritableStream<SourceChunk> {
  checkSource(source);
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, 'a ToWritableStreamOptions object or undefined');
  }
  const highWaterMark = options.highWaterMark ?? 1;
  if (!Number.isSafeInteger(highWaterMark) || highWaterMark < 1) {
    throw argumentError('range', 'options.highWaterMark', highWaterMark, 'an integer ≥ 1');
  }
  let signal: AbortSignal | undefined;
  return new WritableStream<SourceChunk>(
    {
      start(controller) {
        // WritableStreamDefaultController.signal: aborted by stream.abort() even while a write is in flight
        signal = (controller as { signal?: AbortSignal }).signal;
      },
      write: (chunk) => {
        // a failure while writing (e.g. a filter's process routine threw as the frame moved downstream) aborts the
        // source too, so the graph's sinks error with it instead of waiting for frames that never come
        let written: Promise<void>;
        try {
          written = source.write(chunk, signal);
        } catch (error) {
          source.abort(error);
          throw error;
        }
        return written.catch((error: unknown) => {
          source.abort(error);
          throw error;
        });
      },
      close: () => source.close(),
      abort: (reason) => source.abort(reason),
    },
    { highWaterMark, size: () => 1 },
  );
}
