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
