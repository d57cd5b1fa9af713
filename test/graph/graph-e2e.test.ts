import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyTransform, patternByte, patternChunks, xorTransform } from '../../src/filters/index.js';
import { formatDecisionRecord, Graph, MemoryType, simpleFraming } from '../../src/index.js';

test('end to end: user-mode source → in-place XOR → copy transform (second pipe) → user-mode sink', async () => {
  const graph = new Graph();
  const xor = graph.addFilter(xorTransform({ key: 0xff }), { id: 'xor' });
  const copy = graph.addFilter(
    copyTransform({ outputFraming: simpleFraming(MemoryType.kernelNonPaged, 0, 3, 0, 64, 64) }),
    { id: 'copy' },
  );
  const source = graph.addSource({ id: 'app', from: patternChunks(20, 64), frameSize: 64, frames: 2 });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, { filter: xor, pin: 0 });
  graph.connect({ filter: xor, pin: 1 }, { filter: copy, pin: 0 });
  graph.connect({ filter: copy, pin: 1 }, sink);
  const record = graph.negotiate();
  assert.equal(record.pipes.length, 2);
  assert.deepEqual(record.pipes[0]!.pins, ['app.out0', 'xor.in0', 'xor.out1', 'copy.in0']);
  assert.deepEqual(record.pipes[1]!.pins, ['copy.out1', 'out.in0']);
  assert.match(formatDecisionRecord(record), /pipe0 \[user\] resolved/);
  graph.run();
  const pipes = [...graph.pipes];
  let n = 0;
  for await (const frame of sink) {
    assert.equal(frame.dataUsed, 64);
    const d = frame.data;
    for (let i = 0; i < 64; i++) assert.equal(d[i], patternByte(n, i) ^ 0xff);
    n++;
  }
  assert.equal(n, 20);
  await source.finished;
  assert.equal(source.framesWritten, 21); // 20 data frames and the zero-length end of stream
  assert.equal(source.bytesWritten, 20 * 64);
  assert.equal(sink.framesRead, 20);
  assert.equal(sink.bytesRead, 20 * 64);
  assert.deepEqual(
    pipes.map((p) => [p.allocator.kind, p.decision.framing!.frameSize, p.decision.framing!.frames]),
    [
      ['user', 64, 2],
      ['user', 64, 3],
    ],
  );
  for (const p of pipes) assert.ok(p.allocator.status().highWaterMark <= p.decision.framing!.frames);
  // The in-place transform's input and output are linked; the copy transform's pins are in different pipes.
  const xorIn = xor.pins(0)[0]!;
  assert.equal(xorIn.inPlaceCounterpart, xor.pins(1)[0]);
  assert.equal(graph.pipeOf(copy.pins(0)[0]!), pipes[0]);
  assert.equal(graph.pipeOf(copy.pins(1)[0]!), pipes[1]);
  graph.stop();
  await graph.whenIdle();
  for (const p of pipes) {
    assert.equal(p.allocator.status().allocatedFrames, 0);
    assert.equal(p.allocator.state, 'deleted');
  }
});
