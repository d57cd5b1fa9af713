import { Writable } from 'node:stream';
import { argumentError } from '../errors.js';
import { type SourceChunk, type SourceEndpoint, Status, StreamError } from '../index.js';

/** Options of {@link toNodeWritable}. */
export interface ToNodeWritableOptions {
  /**
   * Object mode: chunks are Uint8Arrays or `{ data, …header fields }` frame inits (one frame each). Default false:
   * a byte stream (Buffers and strings; strings are encoded by the Writable).
   */
  readonly frames?: boolean;
  /** The Writable's highWaterMark (bytes, or chunks in object mode). Default: Node's default. */
  readonly highWaterMark?: number;
}

/**
 * A Node.js Writable into a graph at `source`: each chunk is **copied** into the pipe's user-memory frames (the
 * caller keeps its Buffer).
 *
 * Back-pressure: a chunk's write callback runs once its bytes are in pipe frames — at once while frames are free,
 * else when downstream hands frames back; meanwhile the Writable buffers further chunks and `write()` returns false
 * past its highWaterMark (wait for `'drain'`, as `pipeline()` does). `end()` → the final callback sends the end of
 * stream; `destroy()` before the end (with or without an error) aborts the source, and the graph's sinks error.
 */
export function toNodeWritable(source: SourceEndpoint, options: ToNodeWritableOptions = {}): Writable {
  if (source === null || typeof source !== 'object' || typeof source.write !== 'function') {
    throw argumentError('type', 'source', source, 'a SourceEndpoint (graph.addSource())');
  }
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, 'a ToNodeWritableOptions object or undefined');
  }
  const frames = options.frames ?? false;
  if (typeof frames !== 'boolean') throw argumentError('type', 'options.frames', frames, 'a boolean');
  let ended = false;
  const writableOptions: ConstructorParameters<typeof Writable>[0] = {
    objectMode: frames,
    write(chunk: SourceChunk, _encoding, callback) {
      let written: boolean;
      try {
        written = source.tryWrite(chunk); // frames free now: no promise
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (written) callback();
      else source.write(chunk).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      // several buffered chunks at once: copy all that fit now, wait only where the pipe is out of frames
      let k = 0;
      const next = (): void => {
        try {
          while (k < chunks.length && source.tryWrite(chunks[k]!.chunk as SourceChunk)) k++;
        } catch (error) {
          callback(error as Error);
          return;
        }
        if (k === chunks.length) callback();
        else source.write(chunks[k++]!.chunk as SourceChunk).then(next, callback);
      };
      next();
    },
    final(callback) {
      source.close().then(() => {
        ended = true;
        callback();
      }, callback);
    },
    destroy(error, callback) {
      if (!ended) {
        source.abort(
          error ?? new StreamError('node writable: destroyed before its end; expected end()', Status.cancelled),
        );
      }
      callback(error);
    },
  };
  if (options.highWaterMark !== undefined) writableOptions.highWaterMark = options.highWaterMark;
  return new Writable(writableOptions);
}
