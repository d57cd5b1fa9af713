import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/index.js';
import { settle, stopAndCheckIdle } from './graph-helpers.js';

// Conformance: user-mode endpoints as an application uses them (docs/graph.md "User-mode endpoints").

/** A source pumping `count` chunks of 8 bytes (frames of 8 bytes, `frames` in the pipe) straight into a sink. */
function pumped(count: number, frames = 2) {
  const graph = new Graph();
  const chunks = Array.from({ length: count }, (_, i) => new Uint8Array(8).fill(i));
  const source = graph.addSource({ id: 'app', from: chunks, frameSize: 8, frames });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, sink);
  return { graph, source, sink };
}

/** A running source → sink graph with 8-byte frames, `frames` in the pipe. */
function running(frames: number) {
  const graph = new Graph();
  const source = graph.addSource({ id: 'app', frameSize: 8, frames });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, sink);
  graph.run();
  return { graph, source, sink };
}

/** Settles a promise's state after a few event-loop turns without ever waiting for it. */
async function stateAfterTurns(p: Promise<unknown>, turns = 5): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  for (let i = 0; i < turns; i++) await settle();
  return state;
}

test('early exit from for-await (break) cancels the sink: the producer finishes, nothing stays outstanding', async () => {
  const { graph, source, sink } = pumped(10);
  graph.run();
  let seen = -1;
  for await (const frame of sink) {
    seen = frame.data[0]!;
    break;
  }
  assert.equal(seen, 0);
  // ReadableStream / Node Readable semantics: leaving the loop early cancels the stream, so upstream never stalls.
  assert.equal(await stateAfterTurns(source.finished), 'resolved');
  assert.equal(sink.held, 0);
  assert.equal((await sink.read()).done, true);
  await stopAndCheckIdle(graph);
});

test('a throw out of the for-await body cancels the sink as well', async () => {
  const { graph, source, sink } = pumped(10);
  graph.run();
  await assert.rejects(async () => {
    for await (const _frame of sink) throw new Error('consumer failed');
  }, /consumer failed/);
  assert.equal(await stateAfterTurns(source.finished), 'resolved');
  assert.equal(sink.held, 0);
  await stopAndCheckIdle(graph);
});

test('frames({ preventCancel: true }): leaving the loop keeps the sink readable from the next frame', async () => {
  const { graph, source, sink } = pumped(4);
  graph.run();
  for await (const frame of sink.frames({ preventCancel: true })) {
    assert.equal(frame.data[0], 0);
    break;
  }
  const rest: number[] = [];
  for await (const frame of sink) rest.push(frame.data[0]!);
  assert.deepEqual(rest, [1, 2, 3]);
  await source.finished;
  await stopAndCheckIdle(graph);
});

test('source: bad stream-header fields of a frame init are RangeError/TypeError naming the field; no frame is used', async () => {
  const { graph, source, sink } = running(2);
  const data = new Uint8Array(4);
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ optionsFlags: -1 }, /chunk\.optionsFlags: -1 is not allowed/],
    [{ optionsFlags: 1.5 }, /chunk\.optionsFlags/],
    [{ optionsFlags: 2 ** 32 }, /chunk\.optionsFlags/],
    [{ typeSpecificFlags: Number.NaN }, /chunk\.typeSpecificFlags/],
    [{ presentationTime: 1.5 }, /chunk\.presentationTime: 1\.5 is not allowed/],
    [{ presentationTime: { time: 10, denominator: 0 } }, /chunk\.presentationTime\.denominator/],
    [{ presentationTime: { time: 10, numerator: -1 } }, /chunk\.presentationTime\.numerator/],
    [{ presentationTime: { time: Number.POSITIVE_INFINITY } }, /chunk\.presentationTime\.time/],
    [{ presentationTime: null }, /chunk\.presentationTime/],
    [{ duration: -0.5 }, /chunk\.duration/],
    [{ endOfStream: 'yes' }, /chunk\.endOfStream/],
  ];
  for (const [fields, message] of bad) {
    assert.throws(() => source.write({ data, ...fields } as never), message, JSON.stringify(fields));
    assert.throws(() => source.tryWrite({ data, ...fields } as never), message, JSON.stringify(fields));
  }
  assert.equal(source.framesWritten, 0);
  assert.equal(graph.failure, null);
  await source.write({ data, presentationTime: { time: 5, numerator: 1, denominator: 2 }, duration: 7 });
  const frame = sink.tryRead()!;
  assert.deepEqual({ ...frame.presentationTime }, { time: 5, numerator: 1, denominator: 2 });
  assert.equal(frame.duration, 7);
  frame.release();
  await stopAndCheckIdle(graph);
});

test('source: pendingWrites counts only writes still waiting (an aborted write no longer counts)', async () => {
  const { graph, source, sink } = running(1);
  while (source.tryWrite(new Uint8Array(8).fill(1))) {
    // fill every frame of the pipe
  }
  const controller = new AbortController();
  const aborted = source.write(new Uint8Array(8).fill(2), controller.signal);
  const kept = source.write(new Uint8Array(8).fill(3));
  assert.equal(source.pendingWrites, 2);
  controller.abort(new Error('changed my mind'));
  await assert.rejects(aborted, /changed my mind/);
  assert.equal(source.pendingWrites, 1);
  const seen: number[] = [];
  for (;;) {
    const frame = sink.tryRead();
    if (frame === null) break;
    seen.push(frame.data[0]!);
    frame.release();
  }
  await kept;
  assert.equal(source.pendingWrites, 0);
  assert.deepEqual(seen.slice(-1), [3]);
  assert.ok(!seen.includes(2), 'the aborted chunk never entered the pipe');
  await stopAndCheckIdle(graph);
});
