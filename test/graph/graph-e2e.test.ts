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
  const source = graph.addSource({ id: 'app', from: patternChunks(20, 64), frameSize: 64 });
  const sink = graph.addSink({ id: 'out' });
  graph.connect(source, { filter: xor, pin: 0 });
  graph.connect({ filter: xor, pin: 1 }, { filter: copy, pin: 0 });
  graph.connect({ filter: copy, pin: 1 }, sink);
  const record = graph.negotiate();
  assert.equal(record.pipes.length, 2);
  assert.ok(formatDecisionRecord(record).length > 0);
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
  graph.stop();
  await graph.whenIdle();
  for (const p of pipes) {
    assert.equal(p.allocator.status().allocatedFrames, 0);
    assert.equal(p.allocator.state, 'deleted');
  }
});
