import { Readable } from 'node:stream';
import { takeFrameRecord } from '../endpoints/frame-record.js';
import { argumentError } from '../errors.js';
import type { SinkEndpoint, SinkFrame } from '../index.js';

/** Options of {@link toNodeReadable}. */
export interface ToNodeReadableOptions {
  /**
   * Object mode: one FrameRecord per frame (bytes copied, header fields kept; zero-length frames included). Default
   * false: a byte stream of Buffers (one per non-empty frame, a copy of its valid bytes).
   */
  readonly frames?: boolean;
  /** The Readable's highWaterMark (bytes, or frames in object mode). Default: Node's default. */
  readonly highWaterMark?: number;
}

/**
 * A Node.js Readable of the frames leaving a graph at `sink`. Each frame's valid bytes are copied into a new Buffer
 * (the pipe's frame goes back to the producer at once); `frames: true` gives FrameRecords instead.
 *
 * Back-pressure: frames are read only while the Readable's buffer is below its highWaterMark; beyond that they stay
 * in the pipe and the producer stalls once every frame of the pipe is out. The Readable ends (`'end'`) after the end
 * of stream, is destroyed with the source's abort reason when the source aborts, and `destroy()` cancels the sink
 * (frames then flow through it unread; nothing stays held).
 */
export function toNodeReadable(sink: SinkEndpoint, options: ToNodeReadableOptions = {}): Readable {
  if (sink === null || typeof sink !== 'object' || typeof sink.tryRead !== 'function') {
    throw argumentError('type', 'sink', sink, 'a SinkEndpoint (graph.addSink())');
  }
  if (options === null || typeof options !== 'object') {
    throw argumentError('type', 'options', options, 'a ToNodeReadableOptions object or undefined');
  }
  const frames = options.frames ?? false;
  if (typeof frames !== 'boolean') throw argumentError('type', 'options.frames', frames, 'a boolean');
  let waiting = false;
  let cancelled = false;

  /** Pushes one frame; false when the Readable wants no more now. */
  const push = (readable: Readable, frame: SinkFrame): boolean => {
    if (frames) return readable.push(takeFrameRecord(frame));
    if (frame.dataUsed === 0) {
      frame.release(); // a zero-length push would stall a byte Readable
      return true;
    }
    const bytes = Buffer.from(frame.data); // the copy out of the pipe's memory
    frame.release();
    return readable.push(bytes);
  };

  const pump = (readable: Readable): void => {
    if (waiting || cancelled) return;
    try {
      for (;;) {
        const frame = sink.tryRead();
        if (frame === null) break;
        if (!push(readable, frame)) return;
      }
    } catch (error) {
      readable.destroy(error as Error);
      return;
    }
    if (sink.ended) {
      readable.push(null);
      return;
    }
    waiting = true;
    sink.read().then(
      (r) => {
        waiting = false;
        if (cancelled || readable.destroyed) {
          if (!r.done) r.value.release();
          return;
        }
        if (r.done) readable.push(null);
        else if (push(readable, r.value)) pump(readable);
      },
      (error: unknown) => {
        waiting = false;
        readable.destroy(error as Error);
      },
    );
  };

  const readableOptions: ConstructorParameters<typeof Readable>[0] = {
    objectMode: frames,
    read() {
      pump(this);
    },
    destroy(error, callback) {
      cancelled = true;
      sink.cancel(error ?? undefined);
      callback(error);
    },
  };
  if (options.highWaterMark !== undefined) readableOptions.highWaterMark = options.highWaterMark;
  return new Readable(readableOptions);
}
