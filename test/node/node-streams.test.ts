import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { copyTransform } from '../../src/filters/index.js';
import {
  type FrameRecord,
  Graph,
  MemoryType,
  StreamError,
  StreamHeaderOptionsFlags,
  simpleFraming,
} from '../../src/index.js';
import { addNodeSink, addNodeSource, toNodeReadable, toNodeWritable } from '../../src/node/index.js';
import { bytesOf, chain, settle, stopAndAssertClean, xored, xorFilter } from '../endpoints/helpers.js';

async function collect(readable: Readable): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readable) parts.push(chunk as Uint8Array);
  return parts;
}

function split(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  for (let k = 0; o < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

describe('Node streams: contents and counts', () => {
  it('Readable.from(chunks) → toNodeWritable(source) … toNodeReadable(sink) carries the bytes, transformed', async () => {
    const { graph, source, sink } = chain({ frameSize: 32, frames: 3 });
    graph.run();
    const pipes = [...graph.pipes];
    const input = bytesOf(1000, 2);
    const [parts] = await Promise.all([
      collect(toNodeReadable(sink)),
      pipeline(Readable.from(split(input, [32])), toNodeWritable(source)),
    ]);
    assert.ok(parts.every((p) => Buffer.isBuffer(p)));
    assert.deepEqual(new Uint8Array(Buffer.concat(parts)), xored(input));
    assert.equal(sink.framesRead, Math.ceil(1000 / 32)); // (a byte Readable may join chunks: count frames)
    assert.equal(source.bytesWritten, 1000);
    assert.equal(sink.bytesRead, 1000);
    await stopAndAssertClean(graph, pipes);
  });

  it('the Writable copies: the caller may reuse its buffer as soon as the write callback ran', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 4 });
    graph.run();
    const pipes = [...graph.pipes];
    const writable = toNodeWritable(source);
    const buffer = Buffer.alloc(4);
    for (let n = 0; n < 3; n++) {
      buffer.fill(n + 1);
      await new Promise<void>((resolve, reject) => writable.write(buffer, (e) => (e ? reject(e) : resolve())));
    }
    writable.end();
    const parts = await collect(toNodeReadable(sink));
    assert.deepEqual(
      [...Buffer.concat(parts)],
      [0xfe, 0xfe, 0xfe, 0xfe, 0xfd, 0xfd, 0xfd, 0xfd, 0xfc, 0xfc, 0xfc, 0xfc],
    );
    await stopAndAssertClean(graph, pipes);
  });

  it('corked writes reach the pipe as one batch (writev), waiting only where frames run out', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 3 });
    graph.run();
    const pipes = [...graph.pipes];
    const writable = toNodeWritable(source);
    assert.equal(typeof (writable as unknown as { _writev?: unknown })._writev, 'function');
    const input = bytesOf(40, 12);
    writable.cork();
    for (const c of split(input, [4, 3, 5])) writable.write(c);
    process.nextTick(() => writable.uncork());
    const reading = collect(toNodeReadable(sink));
    writable.end();
    const parts = await reading;
    assert.deepEqual(new Uint8Array(Buffer.concat(parts)), xored(input));
    assert.equal(source.bytesWritten, 40);
    await stopAndAssertClean(graph, pipes);
  });

  it('object mode: frame inits in, FrameRecords with header fields out', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writable = toNodeWritable(source, { frames: true });
    const readable = toNodeReadable(sink, { frames: true });
    writable.write({ data: Uint8Array.of(1, 2), presentationTime: 10, duration: 5 });
    writable.write(Uint8Array.of());
    writable.end({ data: Uint8Array.of(3), typeSpecificFlags: 9 });
    const records = (await collect(readable)) as unknown as FrameRecord[];
    const F = StreamHeaderOptionsFlags;
    assert.deepEqual(
      records.map((r) => [[...r.data], r.optionsFlags, r.sequence]),
      [
        [[0xfe, 0xfd], F.timeValid | F.durationValid, 0],
        [[], 0, 1], // a zero-length frame is a frame in object mode
        [[0xfc], 0, 2],
      ],
    );
    assert.equal(records[0]!.presentationTime.time, 10);
    assert.equal(records[2]!.typeSpecificFlags, 9);
    await stopAndAssertClean(graph, pipes);
  });

  it('fast-check: random chunk sizes through Node streams ⇒ the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 33 }),
        fc.integer({ min: 2, max: 4 }),
        async (length, sizes, frameSize, frames) => {
          const { graph, source, sink } = chain({ frameSize, frames, key: 0x33 });
          graph.run();
          const pipes = [...graph.pipes];
          const input = bytesOf(length, length + 3);
          const [parts] = await Promise.all([
            collect(toNodeReadable(sink, { highWaterMark: 16 })),
            pipeline(Readable.from(split(input, sizes)), toNodeWritable(source, { highWaterMark: 8 })),
          ]);
          assert.deepEqual(new Uint8Array(Buffer.concat(parts)), xored(input, 0x33));
          await stopAndAssertClean(graph, pipes);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('Node streams: a file through a graph', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'avstream-endpoints-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const size of [10_007, 4096, 1, 0]) {
    it(`file of ${size} bytes → source → in-place XOR → sink → file (frame 256 B${size % 256 ? ', last frame partial' : ''})`, async () => {
      const input = bytesOf(size, size + 5);
      const inPath = join(dir, `in-${size}.bin`);
      const outPath = join(dir, `out-${size}.bin`);
      writeFileSync(inPath, input);
      let attachment: ReturnType<typeof addNodeSink> | undefined;
      const { graph, source, sink } = chain({
        frameSize: 256,
        frames: 4,
        addSource: (g, o) => addNodeSource(g, createReadStream(inPath, { highWaterMark: 1024 }), { id: 'file', ...o }),
        addSink: (g, o) => {
          attachment = addNodeSink(g, createWriteStream(outPath), { id: 'copy', ...o });
          return attachment.sink;
        },
      });
      graph.run();
      const pipes = [...graph.pipes];
      await attachment!.finished;
      await source.finished;
      assert.deepEqual(new Uint8Array(readFileSync(outPath)), xored(input));
      assert.equal(source.bytesWritten, size);
      assert.equal(sink.bytesRead, size);
      // 1 KiB reads in 256-byte frames: every frame full but the last
      assert.equal(sink.framesRead, Math.ceil(size / 256));
      assert.equal(source.framesWritten, Math.ceil(size / 256) + 1); // + the zero-length end-of-stream frame
      await stopAndAssertClean(graph, pipes);
    });
  }
});

describe('Node streams: a file through two pipes', () => {
  it('file → source → in-place XOR → copy transform (second pipe) → sink → file; both allocators deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'avstream-endpoints-'));
    try {
      const size = 3001;
      const input = bytesOf(size, 77);
      const inPath = join(dir, 'in.bin');
      const outPath = join(dir, 'out.bin');
      writeFileSync(inPath, input);
      const graph = new Graph();
      const source = addNodeSource(graph, createReadStream(inPath, { highWaterMark: 512 }), {
        frameSize: 256,
        frames: 3,
      });
      const xor = graph.addFilter(xorFilter({ key: 0x0f }), { id: 'xor' });
      const copy = graph.addFilter(
        copyTransform({ outputFraming: simpleFraming(MemoryType.kernelNonPaged, 0, 3, 0, 100, 100) }),
        { id: 'copy' },
      );
      const { sink, finished } = addNodeSink(graph, createWriteStream(outPath));
      graph.connect(source, { filter: xor, pin: 0 });
      graph.connect({ filter: xor, pin: 1 }, { filter: copy, pin: 0 });
      graph.connect({ filter: copy, pin: 1 }, sink);
      graph.run();
      const pipes = [...graph.pipes];
      assert.equal(pipes.length, 2);
      await finished;
      assert.deepEqual(new Uint8Array(readFileSync(outPath)), xored(input, 0x0f));
      assert.equal(sink.bytesRead, size);
      // one frame per second-pipe frame, the last partial (the negotiation carries pipe0's size through the copy)
      assert.equal(sink.framesRead, Math.ceil(size / pipes[1]!.decision.framing!.frameSize));
      await stopAndAssertClean(graph, pipes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Node streams: back-pressure', () => {
  it('a slow reader stalls the Writable: callbacks pend, write() returns false, one frame read ⇒ one frame written', async () => {
    const frames = 3;
    const { graph, source, sink } = chain({ frameSize: 8, frames });
    graph.run();
    const pipes = [...graph.pipes];
    const writable = toNodeWritable(source, { highWaterMark: 16 });
    const readable = toNodeReadable(sink, { highWaterMark: 0 });
    const input = bytesOf(8 * 8, 4);
    let done = 0;
    const results = split(input, [8]).map((c) => writable.write(c, () => done++));
    await settle();
    assert.equal(source.framesWritten, frames); // the pipe's frames are all downstream
    assert.equal(done, frames);
    assert.equal(sink.framesRead, 0); // highWaterMark 0: nothing pulled before a read
    assert.equal(sink.available, frames);
    assert.ok(results.includes(false)); // the Writable asked for 'drain'
    assert.equal(writable.writableNeedDrain, true);
    assert.ok(pipes[0]!.allocator.outstanding <= frames);
    for (let k = 1; k <= 3; k++) {
      const chunk = readable.read() as Buffer | null; // highWaterMark 0: exactly one frame per read()
      assert.deepEqual(chunk && new Uint8Array(chunk), xored(input.subarray(8 * (k - 1), 8 * k)));
      await settle();
      assert.equal(source.framesWritten, frames + k, `read ${k} freed exactly one frame`);
      assert.equal(sink.available, frames);
      assert.ok(pipes[0]!.allocator.outstanding <= frames);
    }
    writable.end();
    const rest = await collect(readable);
    assert.ok(rest.length > 0);
    assert.equal(sink.bytesRead, input.length);
    await stopAndAssertClean(graph, pipes);
  });
});

describe('Node streams: errors, destroy', () => {
  it('a throwing transform fails the pipeline on both sides with its error', async () => {
    const poison = new Error('poisoned frame');
    const { graph, source, sink } = chain({ frameSize: 8, frames: 3, throwAt: 1, error: poison });
    graph.run();
    const pipes = [...graph.pipes];
    const readable = toNodeReadable(sink);
    const consumed = collect(readable);
    await assert.rejects(pipeline(Readable.from(split(bytesOf(64), [8])), toNodeWritable(source)), (e) => e === poison);
    await assert.rejects(consumed, (e) => e === poison);
    assert.equal(graph.failure, poison);
    await stopAndAssertClean(graph, pipes);
  });

  it('destroying the Writable before end() aborts the source: the sink side errors (StreamError cancelled)', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writable = toNodeWritable(source);
    writable.on('error', () => undefined);
    writable.write(Buffer.alloc(8));
    writable.destroy();
    await settle();
    assert.equal(source.closed, true);
    await assert.rejects(collect(toNodeReadable(sink)), (e) => e instanceof StreamError && e.status === 0xc0000120);
    await stopAndAssertClean(graph, pipes);
  });

  it('destroying the Writable with an error aborts the source with that error', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const failure = new Error('upstream broke');
    const writable = toNodeWritable(source);
    writable.on('error', () => undefined);
    writable.destroy(failure);
    await settle();
    await assert.rejects(collect(toNodeReadable(sink)), (e) => e === failure);
    await stopAndAssertClean(graph, pipes);
  });

  it('destroying the Readable cancels the sink: held frames released, the producer finishes, nothing outstanding', async () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const readable = toNodeReadable(sink, { highWaterMark: 0 });
    const produced = pipeline(Readable.from(split(bytesOf(80), [8])), toNodeWritable(source));
    await settle();
    assert.equal(source.framesWritten, 2); // stalled
    readable.destroy();
    await produced; // the cancelled sink lets every frame through
    assert.equal(source.framesWritten, 11);
    assert.equal(sink.held, 0);
    await stopAndAssertClean(graph, pipes);
  });

  it('an erroring source Readable aborts the graph and destroys the sink Writable', async () => {
    const failure = new Error('read failed');
    const input = new PassThrough();
    const received: Buffer[] = [];
    let attachment: ReturnType<typeof addNodeSink> | undefined;
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        received.push(chunk);
        cb();
      },
    });
    const { graph } = chain({
      frameSize: 8,
      frames: 2,
      addSource: (g, o) => addNodeSource(g, input, o),
      addSink: (g, o) => {
        attachment = addNodeSink(g, out, o);
        return attachment.sink;
      },
    });
    graph.run();
    const pipes = [...graph.pipes];
    input.write(Buffer.alloc(8, 1));
    await settle();
    input.destroy(failure);
    await assert.rejects(attachment!.finished, (e) => e === failure);
    assert.equal(out.destroyed, true);
    assert.equal(graph.failure, failure);
    await stopAndAssertClean(graph, pipes);
  });

  it('aborting a source fed by addNodeSource destroys the Readable', async () => {
    const input = new Readable({ read() {} });
    const { graph, source } = chain({
      frameSize: 8,
      frames: 2,
      addSource: (g, o) => addNodeSource(g, input, o),
    });
    graph.run();
    const pipes = [...graph.pipes];
    for (let n = 0; n < 4; n++) input.push(Buffer.alloc(8, n));
    await settle(); // the pipe is full; the pump waits on a write
    assert.equal(source.framesWritten, 2);
    const reason = new Error('stop feeding');
    source.abort(reason);
    await assert.rejects(source.finished, (e) => e === reason);
    await settle();
    assert.equal(input.destroyed, true);
    await stopAndAssertClean(graph, pipes);
  });

  it('string chunks of an encoded Readable are fed as their UTF-8 bytes', async () => {
    const input = Readable.from(['hé', 'llo']);
    const { graph, sink } = chain({
      frameSize: 8,
      frames: 2,
      key: 0,
      addSource: (g, o) => addNodeSource(g, input, o),
    });
    graph.run();
    const pipes = [...graph.pipes];
    const out = await collect(toNodeReadable(sink));
    assert.equal(Buffer.concat(out).toString('utf8'), 'héllo');
    await stopAndAssertClean(graph, pipes);
  });

  it('bad arguments are TypeErrors naming the argument', () => {
    const { graph, source, sink } = chain({ frameSize: 8, frames: 2 });
    assert.throws(() => toNodeReadable(null as never), { name: 'TypeError', message: /^sink: / });
    assert.throws(() => toNodeWritable(undefined as never), { name: 'TypeError', message: /^source: / });
    assert.throws(() => toNodeReadable(sink, { frames: 1 as never }), {
      name: 'TypeError',
      message: /^options\.frames/,
    });
    assert.throws(() => toNodeWritable(source, null as never), { name: 'TypeError', message: /^options: / });
    assert.throws(() => addNodeSource(graph, {} as never), { name: 'TypeError', message: /^readable: / });
    assert.throws(() => addNodeSink(graph, {} as never), { name: 'TypeError', message: /^writable: / });
  });
});

describe('avstream/node entry', () => {
  it('resolves through the package exports and exposes the Node adapters', async () => {
    const node = await import('avstream/node');
    for (const name of ['toNodeReadable', 'toNodeWritable', 'addNodeSource', 'addNodeSink']) {
      assert.equal(typeof (node as Record<string, unknown>)[name], 'function', name);
    }
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    assert.deepEqual(pkg.exports['./node'], { types: './dist/node/index.d.ts', default: './dist/node/index.js' });
  });

  it('the browser entry does not load node: modules (the Node adapters are absent from it)', async () => {
    const core = await import('avstream');
    assert.equal((core as Record<string, unknown>).toNodeReadable, undefined);
    assert.equal(typeof core.toReadableStream, 'function');
  });
});
