import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nullSink, patternSource } from '../../src/filters/index.js';
import {
  type FilterDescriptor,
  Graph,
  linkInPlace,
  MemoryType,
  NegotiationError,
  RequirementFlags,
  Status,
  StreamPointerState,
  simpleFraming,
} from '../../src/index.js';
import { singleInput, splitterOutput, stopAndCheckIdle, teeDescriptor } from './graph-helpers.js';

// Conformance: where a pipe starts and ends in the live graph (spec §7; docs/negotiation.md §2 and §4a).

/**
 * An in-place pass-through the driver links itself (KSPROCESSPIN.InPlaceCounterpart), pin-centric: it counts the
 * frames it sees and lets them go on. `modifier` puts INPLACE_MODIFIER in its input framing.
 */
function passThrough(modifier: boolean, seen: { frames: number }): FilterDescriptor {
  const framing = modifier
    ? simpleFraming(MemoryType.kernelNonPaged, RequirementFlags.inplaceModifier, 0, 0, 8, 8)
    : null;
  return {
    pinDescriptors: [
      singleInput({
        allocatorFraming: framing,
        dispatch: {
          process: (pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            seen.frames++;
            lead.unlock(true);
            return Status.success;
          },
        },
      }),
      { ...splitterOutput({ instancesPossible: 1 }), flags: 0 },
    ],
  };
}

/** src (FRAME_INTEGRITY, 8-byte frames) → tap (linked in place) → sink. */
function tapped(modifier: boolean) {
  const graph = new Graph();
  const src = patternSource({
    count: 5,
    framing: simpleFraming(MemoryType.kernelNonPaged, RequirementFlags.frameIntegrity, 2, 0, 8, 8),
  });
  const seen = { frames: 0 };
  const sink = nullSink();
  const a = graph.addFilter(src.descriptor, { id: 'src' });
  const t = graph.addFilter(passThrough(modifier, seen), { id: 'tap' });
  const k = graph.addFilter(sink.descriptor, { id: 'sink' });
  const c1 = graph.connect({ filter: a, pin: 0 }, { filter: t, pin: 0 });
  const c2 = graph.connect({ filter: t, pin: 1 }, { filter: k, pin: 0 });
  linkInPlace(c1.input, c2.output);
  return { graph, seen, sink };
}

test('an in-place counterpart without INPLACE_MODIFIER is a read-only tap: it keeps the pipe and its frame integrity', async () => {
  const { graph, seen, sink } = tapped(false);
  const tap = graph.describe().filters.find((f) => f.id === 'tap')!;
  assert.equal(tap.pins[0]!.inPlaceCounterpart, 'out1');
  assert.equal(tap.pins[0]!.readOnly, true);
  const record = graph.negotiate();
  assert.equal(record.pipes.length, 1);
  const pipe = record.pipes[0]!;
  assert.deepEqual(
    pipe.requirements.map((r) => `${r.pin} ${r.role}`),
    ['src.out0 source', 'tap.in0 readOnlyInput', 'tap.out1 inPlaceOutput', 'sink.in0 sink'],
  );
  assert.equal(pipe.properties!.flags & 0x100, 0, 'no NO_FRAME_INTEGRITY');
  graph.run();
  assert.equal(seen.frames, 5);
  assert.equal(sink.counts.frames, 5);
  await stopAndCheckIdle(graph);
});

test('an in-place counterpart with INPLACE_MODIFIER modifies: FRAME_INTEGRITY upstream fails naming the modifier', () => {
  const { graph } = tapped(true);
  assert.equal(graph.describe().filters.find((f) => f.id === 'tap')!.pins[0]!.readOnly, undefined);
  assert.throws(
    () => graph.negotiate(),
    (e: unknown) => e instanceof NegotiationError && e.rule === 'frameIntegrity' && e.pin === 'tap.in0',
  );
});

test('a splitter branch into a read-only tap shares the splitter’s pipe (no copy pipe) and both branches see every frame', async () => {
  const graph = new Graph();
  const source = graph.addSource({ id: 'app', frameSize: 8, frames: 2 });
  const tee = graph.addFilter(teeDescriptor(), { id: 'tee' });
  const seen = { frames: 0 };
  const tap = graph.addFilter(passThrough(false, seen), { id: 'tap' });
  const viaTap = graph.addSink({ id: 'a', maxHeld: 0 });
  const direct = graph.addSink({ id: 'b', maxHeld: 0 });
  graph.connect(source, { filter: tee, pin: 0 });
  const toTap = graph.connect({ filter: tee, pin: 1 }, { filter: tap, pin: 0 });
  const fromTap = graph.connect({ filter: tap, pin: 1 }, viaTap);
  graph.connect({ filter: tee, pin: 1 }, direct);
  linkInPlace(toTap.input, fromTap.output);
  const record = graph.negotiate();
  assert.deepEqual(
    record.pipes.map((p) => p.branchOf),
    record.pipes.map(() => null),
    'no pipe fed by copies',
  );
  const shared = record.pipes.find((p) => p.pins.includes('tap.in0'))!;
  assert.ok(shared.pins.includes('b.in0'), 'the direct branch shares the tap’s pipe');
  graph.run();
  const got: number[][] = [[], []];
  for (let i = 0; i < 4; i++) {
    await source.write(new Uint8Array(8).fill(i + 1));
    for (const [k, sink] of [viaTap, direct].entries()) {
      const frame = sink.tryRead()!;
      got[k]!.push(frame.data[0]!);
      frame.release();
    }
  }
  assert.deepEqual(got, [
    [1, 2, 3, 4],
    [1, 2, 3, 4],
  ]);
  assert.equal(seen.frames, 4);
  await stopAndCheckIdle(graph);
});
