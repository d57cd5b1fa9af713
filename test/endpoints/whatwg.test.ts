import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  addReadableStreamSource,
  addWritableStreamSink,
  type FrameRecord,
  readableStreamChunks,
  StreamError,
  StreamHeaderOptionsFlags,
  toReadableFrameStream,
  toReadableStream,
  toWritableStream,
} from '../../src/index.js';
import { bytesOf, chain, concat, settle, stopAndAssertClean, xored } from './helpers.js';

/** Reads a default reader to its end. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) return parts;
    parts.push(r.value);
  }
}

/** Writes `chunks` honouring `writer.ready`, then closes. */
async function writeAll(stream: WritableStream<Uint8Array>, chunks: readonly Uint8Array[]): Promise<void> {
  const writer = stream.getWriter();
  for (const c of chunks) {
    await writer.ready;
    void writer.write(c).catch(() => undefined);
  }
  await writer.close();
}

function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (let k = 0; o < bytes.length; k++) {
    const n = Math.max(1, sizes[k % Math.max(1, sizes.length)] ?? 1);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

describe('WHATWG streams: contents and counts', () => {
  it('a WritableStream into the source and a ReadableStream out of the sink carry the bytes, transformed', async () => {
    const { graph, source, sink } = chain({ frameSize: 16, frames: 3 });
    graph.run();
    const pipes = [...graph.pipes];
    const input = bytesOf(100);
    const chunks = split(input, [7]); // 15 chunks, one frame each
    const [parts] = await Promise.all([readAll(toReadableStream(sink)), writeAll(toWritableStream(source), chunks)]);
    assert.deepEqual(concat(parts), xored(input));
    assert.equal(parts.length, 15); // one chunk per (non-empty) frame
    assert.equal(source.framesWritten, 16); // 15 data frames + the zero-length end-of-stream frame
    assert.equal(source.bytesWritten, 100);
    assert.equal(sink.framesRead, 15);
    assert.equal(sink.bytesRead, 100);
    await stopAndAssertClean(graph, pipes);
  });

  it('a chunk larger than the frame size spans several frames; the last frame is partial', async () => {
    const { graph, source, sink } = chain({ frameSize: 16, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const input = bytesOf(41, 7);
    const [records] = await Promise.all([
      (async () => {
        const reader = toReadableFrameStream(sink).getReader();
        const out: FrameRecord[] = [];
        for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
        return out;
      })(),
      writeAll(toWritableStream(source), [input]),
    ]);
    assert.deepEqual(
      records.map((r) => r.data.byteLength),
      [16, 16, 9],
    );
    assert.deepEqual(concat(records.map((r) => r.data)), xored(input));
    await stopAndAssertClean(graph, pipes);
  });

  it('empty input: close() alone ends the readable with no bytes', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const [parts] = await Promise.all([readAll(toReadableStream(sink)), writeAll(toWritableStream(source), [])]);
    assert.deepEqual(parts, []);
    assert.equal(sink.ended, true);
    assert.equal(source.framesWritten, 1); // the end-of-stream frame
    await stopAndAssertClean(graph, pipes);
  });

  it('frame records keep the stream-header fields and mark the last frame', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const reader = toReadableFrameStream(sink).getReader();
    void writer.write({ data: Uint8Array.of(1, 2, 3), presentationTime: 1000, duration: 500, typeSpecificFlags: 7 });
    void writer.write({
      data: Uint8Array.of(4),
      presentationTime: { time: 3, numerator: 2, denominator: 1 },
      optionsFlags: StreamHeaderOptionsFlags.splicePoint,
      endOfStream: true,
    });
    const a = await reader.read();
    const b = await reader.read();
    const c = await reader.read();
    assert.ok(!a.done && !b.done && c.done);
    assert.deepEqual([...a.value.data], [0xfe, 0xfd, 0xfc]);
    assert.equal(a.value.sequence, 0);
    assert.equal(a.value.typeSpecificFlags, 7);
    assert.deepEqual(a.value.presentationTime, { time: 1000, numerator: 1, denominator: 1 });
    assert.equal(a.value.duration, 500);
    const F = StreamHeaderOptionsFlags;
    assert.equal(a.value.optionsFlags, F.timeValid | F.durationValid);
    assert.equal(a.value.endOfStream, false);
    assert.deepEqual([...b.value.data], [0xfb]);
    assert.equal(b.value.sequence, 1);
    assert.deepEqual(b.value.presentationTime, { time: 3, numerator: 2, denominator: 1 });
    assert.equal(b.value.optionsFlags, F.splicePoint | F.timeValid | F.endOfStream);
    assert.equal(b.value.endOfStream, true);
    await writer.close(); // after an endOfStream chunk: resolves at once
    await stopAndAssertClean(graph, pipes);
  });
});

describe('WHATWG streams: BYOB reads into user memory', () => {
  it('a BYOB reader gets frame bytes copied into its own buffer, across frames and within a frame', async () => {
    const { graph, source, sink } = chain({ frameSize: 10, frames: 4 });
    graph.run();
    const pipes = [...graph.pipes];
    const input = bytesOf(37, 3);
    const writer = toWritableStream(source).getWriter();
    for (const c of split(input, [10])) void writer.write(c); // 4 frames: 10, 10, 10, 7 bytes
    void writer.close();
    await settle();
    const reader = toReadableStream(sink).getReader({ mode: 'byob' });
    // 25 bytes: frames 0 and 1 whole, frame 2 half (kept for the next read)
    let buffer = new ArrayBuffer(25);
    const first = await reader.read(new Uint8Array(buffer));
    assert.ok(!first.done);
    assert.equal(first.value.byteLength, 25);
    assert.equal(first.value.buffer.byteLength, 25); // the reader's buffer (transferred), not pipe memory
    assert.deepEqual(first.value, xored(input).subarray(0, 25));
    assert.equal(sink.held, 1); // frame 2 is half copied out
    buffer = first.value.buffer;
    const second = await reader.read(new Uint8Array(buffer));
    assert.ok(!second.done);
    assert.deepEqual(second.value, xored(input).subarray(25, 37));
    assert.equal(sink.held, 0);
    const end = await reader.read(new Uint8Array(second.value.buffer));
    assert.equal(end.done, true);
    assert.equal(end.value?.byteLength, 0); // a done BYOB read hands the (empty) view back
    await stopAndAssertClean(graph, pipes);
  });

  it('autoAllocateChunkSize: a default reader gets stream-allocated buffers filled from several frames', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 8 });
    graph.run();
    const pipes = [...graph.pipes];
    const input = bytesOf(28, 5);
    const writer = toWritableStream(source, { highWaterMark: 8 }).getWriter();
    for (const c of split(input, [4])) void writer.write(c);
    void writer.close();
    await settle();
    const parts = await readAll(toReadableStream(sink, { autoAllocateChunkSize: 12 }));
    assert.deepEqual(
      parts.map((p) => p.byteLength),
      [12, 12, 4],
    );
    assert.deepEqual(concat(parts), xored(input));
    await stopAndAssertClean(graph, pipes);
  });

  it('an engine without readable byte streams gets a default stream of per-frame copies', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'ReadableByteStreamController');
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    let stream: ReadableStream<Uint8Array>;
    try {
      Object.defineProperty(globalThis, 'ReadableByteStreamController', { value: undefined, configurable: true });
      stream = toReadableStream(sink);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'ReadableByteStreamController', saved);
    }
    assert.throws(() => stream.getReader({ mode: 'byob' }), TypeError); // not a byte stream
    const input = bytesOf(30, 8);
    const [parts] = await Promise.all([readAll(stream), writeAll(toWritableStream(source), split(input, [8]))]);
    assert.deepEqual(
      parts.map((p) => p.byteLength),
      [8, 8, 8, 6],
    );
    assert.deepEqual(concat(parts), xored(input));
    await stopAndAssertClean(graph, pipes);
  });

  it('fast-check: random chunk sizes in, random BYOB read sizes out ⇒ the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 300 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 2, max: 5 }),
        async (length, inSizes, outSizes, frameSize, frames) => {
          const { graph, source, sink } = chain({ frameSize, frames, key: 0x5a });
          graph.run();
          const pipes = [...graph.pipes];
          const input = bytesOf(length, length + 1);
          const reader = toReadableStream(sink).getReader({ mode: 'byob' });
          const read = (async () => {
            const parts: Uint8Array[] = [];
            for (let k = 0; ; k++) {
              const r = await reader.read(new Uint8Array(outSizes[k % outSizes.length]!));
              if (r.done) return parts;
              parts.push(r.value);
            }
          })();
          await writeAll(toWritableStream(source), split(input, inSizes));
          const parts = await read;
          assert.deepEqual(concat(parts), xored(input, 0x5a));
          await stopAndAssertClean(graph, pipes);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('WHATWG streams: back-pressure', () => {
  it('a slow reader stalls the writer: desiredSize 0, bytes in the pipe ≤ its frames, one frame read ⇒ one more frame written', async () => {
    const frames = 3;
    const frameSize = 8;
    const { graph, source, sink } = chain({ frameSize, frames });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const reader = toReadableStream(sink).getReader();
    const input = bytesOf(8 * 10, 9);
    const chunks = split(input, [8]);
    let accepted = 0;
    const produce = (async () => {
      for (const c of chunks) {
        await writer.ready;
        void writer.write(c).then(() => accepted++);
      }
      await writer.close();
    })();
    await settle();
    // nothing read: every frame of the pipe is downstream, one chunk waits for a frame, the writer is told to wait
    assert.equal(source.framesWritten, frames);
    assert.equal(accepted, frames);
    assert.equal(writer.desiredSize, 0);
    assert.equal(source.pendingWrites, 1);
    assert.equal(sink.framesRead, 0); // highWaterMark 0: nothing pulled before a read
    assert.equal(sink.available, frames);
    assert.ok(pipes[0]!.allocator.outstanding <= frames);
    const got: Uint8Array[] = [];
    for (let k = 1; k <= 4; k++) {
      const r = await reader.read();
      assert.ok(!r.done);
      got.push(r.value);
      await settle();
      assert.equal(source.framesWritten, frames + k, `read ${k} frees exactly one frame`);
      assert.equal(sink.available, frames);
      assert.ok(pipes[0]!.allocator.outstanding <= frames);
    }
    for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(r.value);
    await produce;
    assert.deepEqual(concat(got), xored(input));
    await stopAndAssertClean(graph, pipes);
  });

  it('a larger highWaterMark lets that many chunks queue in the WritableStream on top of the pipe', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source, { highWaterMark: 3 }).getWriter();
    const writes = split(bytesOf(40), [4]).map((c) => writer.write(c).catch(() => undefined));
    await settle();
    assert.equal(source.framesWritten, 2);
    assert.equal(writer.desiredSize, 3 - (10 - 2)); // 8 chunks queued or in flight against a highWaterMark of 3
    const reader = toReadableStream(sink).getReader();
    const closed = writer.close();
    const parts = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    await Promise.all([...writes, closed]);
    assert.deepEqual(concat(parts), xored(bytesOf(40)));
    await stopAndAssertClean(graph, pipes);
  });
});

describe('WHATWG streams: errors, abort and cancel', () => {
  it('a throwing transform errors the writer and the reader with its error', async () => {
    const poison = new Error('poisoned frame');
    const { graph, source, sink } = chain({ frameSize: 8, frames: 3, throwAt: 2, error: poison });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const reader = toReadableStream(sink).getReader();
    const writes = split(bytesOf(40), [8]).map((c) => writer.write(c));
    await assert.rejects(Promise.all(writes), (e) => e === poison);
    await assert.rejects(writer.closed, (e) => e === poison);
    // the sink errors at once: frames queued before the failure are dropped (released), as an errored stream does
    await assert.rejects(reader.read(), (e) => e === poison);
    assert.equal(sink.held, 0);
    assert.equal(graph.failure, poison);
    await stopAndAssertClean(graph, pipes);
  });

  it('writer.abort(reason) cancels a write waiting for frames and errors the reader with the reason', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const writes = split(bytesOf(32), [8]).map((c) =>
      writer.write(c).then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    await settle();
    assert.equal(source.pendingWrites, 1); // stalled: nothing reads
    const reason = new Error('user abort');
    await writer.abort(reason);
    const results = await Promise.all(writes);
    assert.deepEqual(results.slice(0, 2), ['ok', 'ok']);
    assert.ok(results.slice(2).every((r) => r === reason));
    assert.equal(source.closed, true);
    const reader = toReadableStream(sink).getReader();
    await assert.rejects(reader.read(), (e) => e === reason);
    await stopAndAssertClean(graph, pipes);
  });

  it('reader.cancel() releases what the reader holds and lets the writer finish: no stall, nothing outstanding', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const reader = toReadableStream(sink).getReader({ mode: 'byob' });
    const produce = writeAll(
      new WritableStream({ write: (c) => writer.write(c), close: () => writer.close() }),
      split(bytesOf(64), [8]),
    );
    const r = await reader.read(new Uint8Array(3)); // frame 0 partly copied: held
    assert.ok(!r.done);
    assert.equal(sink.held, 1);
    await reader.cancel(new Error('enough'));
    assert.equal(sink.held, 0);
    await produce; // every remaining frame flows through the cancelled sink
    assert.equal(source.framesWritten, 9);
    await stopAndAssertClean(graph, pipes);
  });

  it('cancel of a frame-record stream: the sink lets frames through, nothing held', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const reader = toReadableFrameStream(sink).getReader();
    const pending = reader.read(); // waits: nothing written yet
    await reader.cancel();
    assert.equal((await pending).done, true);
    await writeAll(toWritableStream(source), split(bytesOf(40), [8]));
    assert.equal(sink.held, 0);
    await stopAndAssertClean(graph, pipes);
  });

  it('across STOP: the rest of a partly read frame goes back with the flush; reading resumes at the next run', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writer = toWritableStream(source).getWriter();
    const reader = toReadableStream(sink).getReader({ mode: 'byob' });
    void writer.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const first = await reader.read(new Uint8Array(3));
    assert.deepEqual(first.value && [...first.value], [0xfe, 0xfd, 0xfc]);
    assert.equal(sink.held, 1);
    graph.stop(); // the sink's queue is flushed: the held frame goes back
    await graph.whenIdle();
    assert.equal(pipes[0]!.allocator.state, 'deleted');
    graph.run();
    const pipes2 = [...graph.pipes];
    void writer.write(Uint8Array.of(9, 10));
    void writer.close();
    const second = await reader.read(new Uint8Array(8));
    assert.deepEqual(second.value && [...second.value], [0xf6, 0xf5]); // the old frame's bytes 4–8 are gone
    assert.equal((await reader.read(new Uint8Array(8))).done, true);
    await stopAndAssertClean(graph, pipes2);
  });

  it('stopping the graph after a clean end deletes the allocator with no frame outstanding', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    await Promise.all([readAll(toReadableStream(sink)), writeAll(toWritableStream(source), [bytesOf(20)])]);
    await stopAndAssertClean(graph, pipes);
  });
});

describe('WHATWG streams: attaching streams to a graph', () => {
  it('addReadableStreamSource / addWritableStreamSink pipe a ReadableStream through the graph into a WritableStream', async () => {
    const input = bytesOf(77, 11);
    const chunks = split(input, [5, 13, 1]);
    const producer = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    const received: Uint8Array[] = [];
    const consumer = new WritableStream<Uint8Array>({ write: (c) => void received.push(c.slice()) });
    let attachment: ReturnType<typeof addWritableStreamSink> | undefined;
    const { graph } = chain({
      frameSize: 16,
      frames: 3,
      addSource: (g, o) => addReadableStreamSource(g, producer, { id: 'rs', ...o }),
      addSink: (g, o) => {
        attachment = addWritableStreamSink(g, consumer, { id: 'ws', ...o });
        return attachment.sink;
      },
    });
    graph.run();
    const pipes = [...graph.pipes];
    await attachment!.finished;
    assert.deepEqual(concat(received), xored(input));
    await stopAndAssertClean(graph, pipes);
  });

  it('readable.pipeTo(toWritableStream(source)) honours back-pressure: the producer is pulled only as frames free', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    let pulled = 0;
    const producer = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulled === 12) controller.close();
          else controller.enqueue(bytesOf(8, ++pulled));
        },
      },
      { highWaterMark: 0 },
    );
    const piped = producer.pipeTo(toWritableStream(source));
    await settle();
    // the pipe's 2 frames + highWaterMark (1) chunk waiting for a frame: pipeTo waits on writer.ready
    assert.equal(source.framesWritten, 2);
    assert.equal(pulled, 3);
    const parts = await readAll(toReadableStream(sink));
    await piped;
    assert.equal(pulled, 12);
    assert.equal(concat(parts).byteLength, 96);
    await stopAndAssertClean(graph, pipes);
  });

  it('an erroring ReadableStream aborts the source and the WritableStream sink', async () => {
    const failure = new Error('disk on fire');
    let n = 0;
    const producer = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ === 2) controller.error(failure);
        else controller.enqueue(bytesOf(8, n));
      },
    });
    let aborted: unknown = null;
    const consumer = new WritableStream<Uint8Array>({
      abort: (r) => {
        aborted = r;
      },
    });
    let attachment: ReturnType<typeof addWritableStreamSink> | undefined;
    const { graph } = chain({
      frameSize: 8,
      frames: 2,
      addSource: (g, o) => addReadableStreamSource(g, producer, o),
      addSink: (g, o) => {
        attachment = addWritableStreamSink(g, consumer, o);
        return attachment.sink;
      },
    });
    graph.run();
    const pipes = [...graph.pipes];
    await assert.rejects(attachment!.finished, (e) => e === failure);
    assert.equal(aborted, failure);
    assert.equal(graph.failure, failure);
    await stopAndAssertClean(graph, pipes);
  });

  it('aborting a source fed by addReadableStreamSource cancels the ReadableStream', async () => {
    let cancelled: unknown = 'not cancelled';
    const producer = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(bytesOf(8)),
      cancel: (r) => {
        cancelled = r;
      },
    });
    const { graph, source } = chain({
      frameSize: 8,
      frames: 2,
      addSource: (g, o) => addReadableStreamSource(g, producer, o),
    });
    graph.run();
    const pipes = [...graph.pipes];
    await settle(); // the pipe is full; the pump waits on a write
    const reason = new Error('stop feeding');
    source.abort(reason);
    await assert.rejects(source.finished, (e) => e === reason);
    await settle();
    assert.equal(cancelled, undefined); // the iteration's return() cancels the stream
    assert.equal(producer.locked, false);
    await stopAndAssertClean(graph, pipes);
  });

  it('addWritableStreamSink with a signal: aborting it cancels the sink and aborts the WritableStream', async () => {
    const controller = new AbortController();
    let aborted: unknown = null;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const consumer = new WritableStream<Uint8Array>(
      {
        write: () => gate, // a consumer stuck until the test opens the gate
        abort: (r) => {
          aborted = r;
        },
      },
      { highWaterMark: 1 },
    );
    let attachment: ReturnType<typeof addWritableStreamSink> | undefined;
    const { graph, source, sink } = chain({
      frameSize: 8,
      frames: 2,
      addSink: (g, o) => {
        attachment = addWritableStreamSink(g, consumer, { ...o, signal: controller.signal });
        return attachment.sink;
      },
    });
    graph.run();
    const pipes = [...graph.pipes];
    const produced = writeAll(toWritableStream(source), split(bytesOf(64), [8]));
    await settle();
    assert.ok(source.framesWritten < 9); // stalled behind the stuck consumer
    const reason = new Error('user gave up');
    controller.abort(reason);
    open(); // pipeTo finishes the write in flight, then shuts down
    await assert.rejects(attachment!.finished, (e) => e === reason);
    await produced; // the cancelled sink lets the rest through
    assert.equal(source.framesWritten, 9);
    assert.equal(aborted, reason);
    assert.equal(sink.held, 0);
    await stopAndAssertClean(graph, pipes);
  });

  it('readableStreamChunks reads through a reader and cancels the stream when the loop breaks', async () => {
    let cancelled: unknown = 'not cancelled';
    const stream = new ReadableStream<number>({
      start(c) {
        c.enqueue(1);
        c.enqueue(2);
        c.enqueue(3);
      },
      cancel: (r) => {
        cancelled = r;
      },
    });
    const seen: number[] = [];
    for await (const x of readableStreamChunks(stream)) {
      seen.push(x);
      if (x === 2) break;
    }
    assert.deepEqual(seen, [1, 2]);
    assert.equal(cancelled, undefined);
    assert.equal(stream.locked, false);
  });

  it('bad arguments are TypeError/RangeError naming the argument', () => {
    assert.throws(() => toReadableStream(null as never), { name: 'TypeError', message: /^sink: null is not allowed/ });
    assert.throws(() => toWritableStream({} as never), { name: 'TypeError', message: /^source: / });
    const { source, sink } = chain({ frameSize: 8, frames: 2 });
    assert.throws(() => toReadableStream(sink, { highWaterMark: -1 }), {
      name: 'RangeError',
      message: /^options\.highWaterMark: -1 is not allowed; expected an integer ≥ 0/,
    });
    assert.throws(() => toReadableStream(sink, { autoAllocateChunkSize: 0 }), { name: 'RangeError' });
    assert.throws(() => toWritableStream(source, { highWaterMark: 0 }), { name: 'RangeError' });
    assert.throws(() => readableStreamChunks({} as never), { name: 'TypeError', message: /^stream: / });
  });

  it('a failed write reports a StreamError after close', async () => {
    const { graph, source } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    await source.close();
    const writer = toWritableStream(source).getWriter();
    await assert.rejects(writer.write(Uint8Array.of(1)), StreamError);
    await stopAndAssertClean(graph, pipes);
  });
});
