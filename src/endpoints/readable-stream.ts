import { argumentError } from '../errors.js';
import type { SinkEndpoint } from '../graph/endpoints/sink-endpoint.js';
import { type FrameRecord, takeFrameRecord } from './frame-record.js';
import { SinkCursor } from './sink-cursor.js';

/** Options of {@link toReadableStream}. */
export interface ToReadableStreamOptions {
  /**
   * The byte stream's highWaterMark in bytes: how many bytes the stream pulls out of the pipe ahead of the reader.
   * Default 0: frames stay in the pipe (back-pressure on the producer) until a read asks for them.
   */
  readonly highWaterMark?: number;
  /**
   * autoAllocateChunkSize of the byte stream: a default reader's reads are then served like BYOB reads into buffers
   * of this size that the stream allocates (filled from as many frames as fit). Default: none — a default reader gets
   * one chunk per frame (its valid bytes, copied).
   */
  readonly autoAllocateChunkSize?: number;
}

/** Options of {@link toReadableFrameStream}. */
export interface ToReadableFrameStreamOptions {
  /** Frames the stream pulls ahead of the reader (copied out, their pipe frames released). Default 0. */
  readonly highWaterMark?: number;
}

function checkOptions(options: unknown, name: string): void {
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, `a ${name} object or undefined`);
  }
}

function checkCount(value: number | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < min) {
    throw argumentError('range', name, value, `an integer ≥ ${min}`);
  }
  return value;
}

function checkSink(sink: unknown): SinkEndpoint {
  const s = sink as SinkEndpoint | null;
  if (s === null || typeof s !== 'object' || typeof s.read !== 'function' || typeof s.tryRead !== 'function') {
    throw argumentError('type', 'sink', sink, 'a SinkEndpoint (graph.addSink())');
  }
  return s;
}

/**
 * A WHATWG ReadableStream of the bytes leaving a graph at `sink` — a readable **byte stream** (`type: 'bytes'`).
 *
 * - A BYOB reader (`stream.getReader({ mode: 'byob' })`) supplies the memory: frame bytes are copied straight into
 *   the reader's buffer (as many frames as fit and are queued; a frame larger than the buffer is continued by the next
 *   read). This is the user-memory path: one copy, into memory the application owns.
 * - A default reader gets one chunk per frame: a copy of its valid bytes (or, with `autoAllocateChunkSize`, buffers
 *   of that size filled like BYOB reads).
 *
 * Frame boundaries and header fields are not kept (use {@link toReadableFrameStream} for them); zero-length frames
 * carry no bytes. Pipe frames go back to the producer as soon as their bytes are copied out. With the default
 * highWaterMark 0 nothing is pulled before a read: a slow reader leaves the frames in the pipe and the producer stalls
 * once all of them are out (back-pressure). The stream closes after the end of stream, errors with the source's abort
 * reason, and `cancel()` cancels the sink (frames then flow through it unread; nothing stays held).
 *
 * Browser-safe; uses readers only (no async iteration of the stream is needed). On an engine without readable byte
 * streams (no `ReadableByteStreamController`) it is a default stream of per-frame copies, without BYOB readers.
 *
 * @example
 * ```ts
 * const reader = toReadableStream(sink).getReader({ mode: 'byob' });
 * let buffer = new ArrayBuffer(65536);
 * for (;;) {
 *   const { done, value } = await reader.read(new Uint8Array(buffer));
 *   if (done) break;
 *   consume(value); // value views `buffer` (transferred): reuse value.buffer for the next read
 *   buffer = value.buffer;
 * }
 * ```
 */
export function toReadableStream(
  sink: SinkEndpoint,
  options: ToReadableStreamOptions = {},
): ReadableStream<Uint8Array> {
  checkSink(sink);
  checkOptions(options, 'ToReadableStreamOptions');
  const highWaterMark = checkCount(options.highWaterMark, 'options.highWaterMark', 0) ?? 0;
  const autoAllocateChunkSize = checkCount(options.autoAllocateChunkSize, 'options.autoAllocateChunkSize', 1);
  const cursor = new SinkCursor(sink);

  const step = (controller: ReadableByteStreamController): Promise<void> | undefined => {
    if (cursor.cancelled) return undefined;
    const request = controller.byobRequest;
    const view = request?.view ?? null;
    if (request && view !== null) {
      const n = cursor.fill(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      if (n > 0) {
        request.respond(n);
        return undefined;
      }
    } else {
      const chunk = cursor.takeCopy();
      if (chunk !== null) {
        controller.enqueue(chunk);
        return undefined;
      }
    }
    if (cursor.done) {
      controller.close();
      // a pending BYOB read is answered with its empty view once the stream is closed
      controller.byobRequest?.respond(0);
      return undefined;
    }
    return cursor.next().then(() => step(controller));
  };

  if (typeof (globalThis as { ReadableByteStreamController?: unknown }).ReadableByteStreamController !== 'function') {
    // an engine without readable byte streams: a default stream of per-frame copies (no BYOB readers there)
    const pullCopy = (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | undefined => {
      if (cursor.cancelled) return undefined;
      const chunk = cursor.takeCopy();
      if (chunk !== null) {
        controller.enqueue(chunk);
        return undefined;
      }
      if (cursor.done) {
        controller.close();
        return undefined;
      }
      return cursor.next().then(() => pullCopy(controller));
    };
    return new ReadableStream<Uint8Array>(
      { pull: (controller) => pullCopy(controller), cancel: (reason) => cursor.cancel(reason) },
      { highWaterMark, size: (chunk) => chunk.byteLength },
    );
  }
  const source: UnderlyingByteSource = {
    type: 'bytes',
    pull: (controller) => step(controller),
    cancel: (reason) => cursor.cancel(reason),
  };
  if (autoAllocateChunkSize !== undefined) source.autoAllocateChunkSize = autoAllocateChunkSize;
  return new ReadableStream(source, { highWaterMark });
}

/**
 * A WHATWG ReadableStream of the frames leaving a graph at `sink`, one {@link FrameRecord} per frame: its valid
 * bytes copied out (a new buffer per frame) and its stream-header fields (flags, times, end of stream). Zero-length
 * frames are delivered too (e.g. a frame carrying only flags); the zero-length end-of-stream frame closes the stream.
 *
 * Back-pressure, end, errors and cancel as {@link toReadableStream}.
 */
export function toReadableFrameStream(
  sink: SinkEndpoint,
  options: ToReadableFrameStreamOptions = {},
): ReadableStream<FrameRecord> {
  checkSink(sink);
  checkOptions(options, 'ToReadableFrameStreamOptions');
  const highWaterMark = checkCount(options.highWaterMark, 'options.highWaterMark', 0) ?? 0;
  let cancelled = false;
  const step = (controller: ReadableStreamDefaultController<FrameRecord>): Promise<void> | undefined => {
    if (cancelled) return undefined;
    const frame = sink.tryRead();
    if (frame !== null) {
      controller.enqueue(takeFrameRecord(frame));
      return undefined;
    }
    if (sink.ended) {
      controller.close();
      return undefined;
    }
    return sink.read().then((r) => {
      if (cancelled) {
        if (!r.done) r.value.release();
        return;
      }
      if (r.done) controller.close();
      else controller.enqueue(takeFrameRecord(r.value));
    });
  };
  return new ReadableStream<FrameRecord>(
    {
      pull: (controller) => step(controller),
      cancel: (reason) => {
        cancelled = true;
        sink.cancel(reason);
      },
    },
    { highWaterMark, size: () => 1 },
  );
}
