import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { copyTransform, xorTransform } from '../../src/filters/index.js';
import { Graph, MemoryType, type PinRef, simpleFraming } from '../../src/index.js';

type Stage = { kind: 'xor'; key: number } | { kind: 'copy'; size: number; frames: number };

const stage: fc.Arbitrary<Stage> = fc.oneof(
  fc.record({ kind: fc.constant('xor' as const), key: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('copy' as const),
    size: fc.integer({ min: 1, max: 48 }),
    frames: fc.integer({ min: 1, max: 4 }),
  }),
);

test('property: random chains move every byte in order, end the stream, and give every frame back', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stage, { minLength: 0, maxLength: 5 }),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 0, maxLength: 12 }),
      fc.integer({ min: 1, max: 32 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 3 }),
      async (stages, chunks, sourceSize, sourceFrames, maxHeld) => {
        const graph = new Graph();
        const source = graph.addSource({ frameSize: sourceSize, frames: sourceFrames });
        const sink = graph.addSink({ maxHeld });
        let from: PinRef = source;
        let key = 0;
        for (const s of stages) {
          const descriptor =
            s.kind === 'xor'
              ? xorTransform({ key: s.key })
              : copyTransform({
                  outputFraming: simpleFraming(MemoryType.kernelNonPaged, 0, s.frames, 0, s.size, s.size),
                });
          if (s.kind === 'xor') key ^= s.key;
          const f = graph.addFilter(descriptor);
          graph.connect(from, { filter: f, pin: 0 });
          from = { filter: f, pin: 1 };
        }
        graph.connect(from, sink);
        graph.run();
        const pipes = [...graph.pipes];
        const expected: number[] = [];
        for (const c of chunks) for (const b of c) expected.push(b ^ key);
        const writer = (async () => {
          for (const c of chunks) await source.write(c);
          await source.close();
        })();
        const got: number[] = [];
        const held = [];
        for await (const f of sink) {
          for (const b of f.data) got.push(b);
          // Hold up to maxHeld frames at once (declared), releasing the oldest first.
          if (maxHeld > 0) {
            held.push(f.retain());
            if (held.length >= maxHeld) held.shift()!.release();
          }
        }
        for (const f of held) f.release();
        await writer;
        assert.equal(sink.ended, true);
        assert.deepEqual(got, expected);
        graph.stop();
        await graph.whenIdle();
        for (const p of pipes) {
          assert.equal(p.allocator.status().allocatedFrames, 0);
          assert.equal(p.allocator.state, 'deleted');
        }
      },
    ),
    { numRuns: 40 },
  );
});
