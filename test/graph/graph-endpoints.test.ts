import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xorTransform } from '../../src/filters/index.js';
import { Graph, Status, StreamError, StreamHeaderOptionsFlags } from '../../src/index.js';
import { stopAndCheckIdle } from './graph-helpers.js';

/** app (source) → [xor?] → out (sink), frames of `size` bytes, `frames` frames in the pipe. */
function direct(size: number, frames: number, opts: { xor?: boolean; maxHeld?: number } = {}) {
  const graph = new Graph();
  const source = graph.addSource({ id: 'app', frameSize: size, frames });
  const sink = graph.addSink({ id: 'out', ...(opts.maxHeld !== undefined ? { maxHeld: opts.maxHeld } : {}) });
  if (opts.xor) {
    const x = graph.addFilter(xorTransform({ key: 0x0f }), { id: 'x' });
    graph.connect(source, { filter: x, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, sink);
  } else {
    graph.connect(source, sink);
  }
  return { graph, source, sink };
}

const finish = stopAndCheckIdle;

test('source: a write that finds a free frame returns the shared resolved promise (no promise per frame)', async () => {
  const { graph, source, sink } = direct(8, 4, { maxHeld: 0 });
  graph.run();
  const p1 = source.write(new Uint8Array(8));
  const p2 = source.write(new Uint8Array(8));
  assert.equal(p1, p2);
  await p1;
  assert.equal(source.framesWritten, 2);
  assert.equal(sink.available, 2);
  await finish(graph);
});

test('back-pressure: the source waits when every frame is held downstream, and resumes when one is released', async () => {
  const { graph, source, sink } = direct(4, 2);
  graph.run();
  const pipe = graph.pipes[0]!;
  const frames = pipe.decision.framing!.frames;
  const writes: Promise<void>[] = [];
  for (let i = 0; i < frames + 2; i++) writes.push(source.write(new Uint8Array([i, i, i, i])));
  assert.equal(source.framesWritten, frames);
  assert.equal(source.pendingWrites, 2);
  assert.equal(pipe.allocator.status().allocatedFrames, frames);
  const first = sink.tryRead()!;
  assert.deepEqual([...first.data], [0, 0, 0, 0]);
  assert.equal(source.pendingWrites, 2); // read but not released: still held
  first.release();
  assert.equal(source.pendingWrites, 1);
  assert.equal(source.framesWritten, frames + 1);
  for (let i = 1; i < frames + 2; i++) {
    const r = await sink.read();
    assert.equal(r.done, false);
    assert.equal(r.value!.data[0], i);
    r.value!.release();
  }
  await Promise.all(writes);
  await finish(graph);
});

test('a chunk larger than a frame spans several frames; header fields on the first, ENDOFSTREAM on the last', async () => {
  const { graph, source, sink } = direct(16, 4, { maxHeld: 3 });
  graph.run();
  const data = Uint8Array.from({ length: 40 }, (_, i) => i);
  await source.write({ data, presentationTime: 1000, duration: 50, endOfStream: true });
  assert.equal(source.closed, true);
  const got = [];
  for await (const f of sink)
    got.push({ used: f.dataUsed, flags: f.optionsFlags, first: f.data[0], time: f.presentationTime.time });
  assert.deepEqual(
    got.map((g) => [g.used, g.first]),
    [
      [16, 0],
      [16, 16],
      [8, 32],
    ],
  );
  const F = StreamHeaderOptionsFlags;
  assert.equal(got[0]!.flags, F.timeValid | F.durationValid);
  assert.equal(got[0]!.time, 1000);
  assert.equal(got[1]!.flags, 0);
  assert.equal(got[2]!.flags, F.endOfStream);
  assert.equal(sink.ended, true);
  await finish(graph);
});

test('close(): a zero-length ENDOFSTREAM frame ends the sink (not delivered); reads return done', async () => {
  const { graph, source, sink } = direct(4, 2, { xor: true });
  graph.run();
  await source.write(new Uint8Array([1, 2, 3, 4]));
  await source.close();
  await assert.rejects(source.write(new Uint8Array(1)), (e: unknown) => e instanceof StreamError);
  const r1 = await sink.read();
  assert.deepEqual([...r1.value!.data], [1 ^ 15, 2 ^ 15, 3 ^ 15, 4 ^ 15]);
  r1.value!.release();
  assert.deepEqual(await sink.read(), { done: true, value: undefined });
  assert.equal(sink.framesRead, 1);
  await finish(graph);
});

test('from: an async iterable is pumped into the graph, then the stream ends', async () => {
  async function* chunks() {
    for (let i = 0; i < 10; i++) yield new Uint8Array([i]);
  }
  const graph = new Graph();
  const source = graph.addSource({ id: 'app', from: chunks(), frameSize: 1, frames: 2 });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, sink);
  graph.run();
  const seen: number[] = [];
  for await (const f of sink) seen.push(f.data[0]!);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await source.finished;
  await finish(graph);
});

test('errors propagate: a throwing iterable aborts the source and every sink read rejects with its error', async () => {
  const boom = new Error('camera unplugged');
  async function* chunks() {
    yield new Uint8Array([1]);
    throw boom;
  }
  const graph = new Graph();
  const source = graph.addSource({ id: 'app', from: chunks(), frameSize: 1, frames: 2 });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, sink);
  graph.run();
  await assert.rejects(source.finished, (e) => e === boom);
  assert.equal(graph.failure, boom);
  // Frames written before the failure are let through (released at once), then reads reject.
  await assert.rejects(sink.read(), (e) => e === boom);
  assert.throws(
    () => sink.tryRead(),
    (e) => e === boom,
  );
  await finish(graph);
});

test('AbortSignal cancels a waiting write and a waiting read', async () => {
  const { graph, source, sink } = direct(1, 1, { maxHeld: 0 });
  graph.run();
  const ac = new AbortController();
  const r = sink.read(ac.signal);
  ac.abort(new Error('stop reading'));
  await assert.rejects(r, /stop reading/);
  await source.write(new Uint8Array([1])); // fills the only frame
  const ac2 = new AbortController();
  const w = source.write(new Uint8Array([2]), ac2.signal);
  assert.equal(source.pendingWrites, 1);
  ac2.abort();
  await assert.rejects(w, (e: unknown) => e instanceof Error && e.name === 'AbortError');
  // The aborted write is skipped: the next one goes through once the frame comes back.
  const w3 = source.write(new Uint8Array([3]));
  const f = await sink.read();
  assert.equal(f.value!.data[0], 1);
  f.value!.release();
  await w3;
  const g = sink.tryRead()!;
  assert.equal(g.data[0], 3);
  g.release();
  await finish(graph);
});

test('sink frames: released out of order, retained across for-await iterations, data throws after release', async () => {
  const { graph, source, sink } = direct(2, 4, { maxHeld: 3 });
  graph.run();
  for (let i = 0; i < 3; i++) await source.write(new Uint8Array([i, i]));
  const batch = await sink.readBatch(8);
  assert.equal(batch.length, 3);
  assert.equal(sink.held, 3);
  batch[1]!.release();
  batch[2]!.release();
  assert.equal(sink.held, 1);
  // The trailing edge hands frames back in order: the oldest still held keeps the two released ones out.
  assert.equal(source.desiredFrames, 1);
  batch[0]!.release();
  assert.equal(source.desiredFrames, 4);
  assert.throws(
    () => batch[0]!.data,
    (e: unknown) => e instanceof StreamError && e.status === Status.invalidDeviceState,
  );
  await source.write(new Uint8Array([7, 7]));
  await source.write(new Uint8Array([8, 8]));
  await source.close();
  const kept = [];
  for await (const f of sink) {
    if (f.data[0] === 7) kept.push(f.retain());
    else kept.push(f.copy());
  }
  const retained = kept[0] as { data: Uint8Array; release(): void; released: boolean };
  assert.equal(retained.released, false);
  assert.deepEqual([...retained.data], [7, 7]);
  assert.deepEqual([...(kept[1] as Uint8Array)], [8, 8]);
  retained.release();
  await finish(graph);
});

test('a consumer keeping no references reuses the same SinkFrame objects and views (no allocation per frame)', async () => {
  const { graph, source, sink } = direct(4, 2);
  graph.run();
  const objects = new Set<unknown>();
  const views = new Set<unknown>();
  for (let i = 0; i < 20; i++) {
    await source.write(new Uint8Array([i, 0, 0, 0]));
    const f = sink.tryRead()!;
    assert.equal(f.data[0], i);
    objects.add(f);
    views.add(f.data);
    f.release();
  }
  assert.ok(objects.size <= graph.pipes[0]!.decision.framing!.frames);
  assert.equal(views.size, objects.size);
  await finish(graph);
});

test('stop with frames held by the application: they go back, every allocator is deleted', async () => {
  const { graph, source, sink } = direct(4, 3, { xor: true, maxHeld: 2 });
  graph.run();
  await source.write(new Uint8Array(4));
  await source.write(new Uint8Array(4));
  const a = sink.tryRead()!;
  const b = sink.tryRead()!;
  assert.equal(sink.held, 2);
  await finish(graph);
  assert.equal(a.released, true);
  assert.equal(b.released, true);
  b.release(); // harmless after stop
  // A new run works with the same endpoints.
  graph.run();
  await source.write(new Uint8Array([5, 5, 5, 5]));
  const c = await sink.read();
  assert.equal(c.value!.data[0], 5 ^ 15);
  c.value!.release();
  await finish(graph);
});

test('cancel(): held frames are released and later frames pass at once (upstream never stalls)', async () => {
  const { graph, source, sink } = direct(1, 2);
  graph.run();
  await source.write(new Uint8Array([1]));
  const f = sink.tryRead()!;
  sink.cancel();
  assert.equal(f.released, true);
  for (let i = 0; i < 10; i++) await source.write(new Uint8Array([i]));
  assert.equal(source.framesWritten, 11);
  assert.deepEqual(await sink.read(), { done: true, value: undefined });
  await finish(graph);
});

test('tryWrite never waits and never writes part of a chunk', async () => {
  const { graph, source, sink } = direct(4, 2, { maxHeld: 1 });
  assert.equal(source.tryWrite(new Uint8Array(4)), false); // not running: no frames
  graph.run();
  assert.equal(source.desiredFrames, 2);
  assert.equal(source.tryWrite(new Uint8Array(12)), false); // needs 3 frames
  assert.equal(source.framesWritten, 0);
  assert.equal(source.tryWrite(new Uint8Array(8)), true);
  assert.equal(source.tryWrite(new Uint8Array(1)), false);
  assert.equal(sink.available, 2);
  await finish(graph);
});

test('a write waiting across STOP resumes at the next run', async () => {
  const { graph, source, sink } = direct(2, 1, { maxHeld: 0 });
  graph.run();
  await source.write(new Uint8Array([1, 1]));
  const waiting = source.write(new Uint8Array([2, 2]));
  assert.equal(source.pendingWrites, 1);
  await finish(graph); // the queued frame is flushed back; the write keeps waiting
  assert.equal(source.pendingWrites, 1);
  graph.run();
  await waiting;
  const f = sink.tryRead()!;
  assert.deepEqual([...f.data], [2, 2]);
  f.release();
  await finish(graph);
});

test('ready(): resolves at once while a frame is free, else when one comes back', async () => {
  const { graph, source, sink } = direct(1, 1, { maxHeld: 0 });
  graph.run();
  assert.equal(source.ready(), source.ready()); // the shared resolved promise
  await source.write(new Uint8Array([1]));
  let resolved = false;
  const r = source.ready().then(() => {
    resolved = true;
  });
  await Promise.resolve();
  assert.equal(resolved, false);
  sink.tryRead()!.release();
  await r;
  assert.equal(resolved, true);
  assert.equal(graph.pipeOf(source.pin!), graph.pipes[0]);
  assert.equal(graph.pipeOf(sink.pin!), graph.pipes[0]);
  await finish(graph);
  assert.equal(graph.pipeOf(source.pin!), null);
});
