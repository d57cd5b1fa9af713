import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nullSink, patternSource, xorTransform } from '../../src/filters/index.js';
import {
  AllocatorFlags,
  delegateOf,
  type Filter,
  type FilterDescriptor,
  Graph,
  type GraphPipe,
  KsReset,
  KsState,
  MemoryType,
  pipeAllocatorOf,
  RequirementFlags,
  type SinkEndpoint,
  type SinkFrame,
  Status,
  StreamError,
  StreamPointerState,
  simpleFraming,
} from '../../src/index.js';
import { singleInput, splitterOutput, teeDescriptor } from './graph-helpers.js';

interface Rig {
  graph: Graph;
  tee: Filter;
  src: ReturnType<Graph['addSource']>;
  a: SinkEndpoint;
  b: SinkEndpoint;
  c: SinkEndpoint;
  log: { calls: number; sawDelegate: number };
}

/**
 * source → tee (filter-centric splitter) → a, b (read-only user-mode sinks) and → xor (in-place modifier) → c.
 * `modifierFirst` connects the modifier to the first output instance.
 */
function rig(options: { modifierFirst?: boolean; verify?: boolean; maxHeld?: number } = {}): Rig {
  const graph = new Graph({ verifySharedFrames: options.verify === true });
  const log = { calls: 0, sawDelegate: 0 };
  const src = graph.addSource({ id: 'src', frameSize: 8, frames: 3 });
  const tee = graph.addFilter(teeDescriptor({ log }), { id: 'tee' });
  const x = graph.addFilter(xorTransform({ key: 0xff }), { id: 'x' });
  const maxHeld = options.maxHeld ?? 2;
  const a = graph.addSink({ id: 'a', maxHeld });
  const b = graph.addSink({ id: 'b', maxHeld });
  const c = graph.addSink({ id: 'c', maxHeld });
  graph.connect(src, { filter: tee, pin: 0 });
  if (options.modifierFirst) graph.connect({ filter: tee, pin: 1 }, { filter: x, pin: 0 });
  graph.connect({ filter: tee, pin: 1 }, a);
  graph.connect({ filter: tee, pin: 1 }, b);
  if (!options.modifierFirst) graph.connect({ filter: tee, pin: 1 }, { filter: x, pin: 0 });
  graph.connect({ filter: x, pin: 1 }, c);
  return { graph, tee, src, a, b, c, log };
}

const chunk = (n: number): Uint8Array => Uint8Array.from({ length: 8 }, (_, i) => (n * 16 + i) & 0xff);

function readAll(sink: SinkEndpoint): SinkFrame[] {
  const out: SinkFrame[] = [];
  for (let f = sink.tryRead(); f !== null; f = sink.tryRead()) out.push(f);
  return out;
}

/** An in-place splitter (pin-centric, INPLACE_MODIFIER input stamping byte 0 with 0x5a) with `filterFlags`. */
function stampSplitter(filterFlags: number): FilterDescriptor {
  return {
    flags: filterFlags,
    pinDescriptors: [
      singleInput({
        allocatorFraming: simpleFraming(MemoryType.kernelNonPaged, RequirementFlags.inplaceModifier, 0, 0, 1, 64),
        dispatch: {
          process: (pin) => {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            if (lead.frame!.header.dataUsed > 0) lead.frame!.data![0] = 0x5a; // in place, before any consumer
            lead.unlock(true);
            return Status.success;
          },
        },
      }),
      splitterOutput({ instancesPossible: 3 }),
    ],
  };
}

function sharedPipe(graph: Graph): GraphPipe {
  const p = graph.pipes.find((q) => q.delegateBranches.length > 0);
  assert.ok(p, 'a pipe shared by delegate branches');
  return p;
}

/** Stops the graph and checks that every frame of every pipe came back (allocators deleted). */
async function stopAndCheck(graph: Graph): Promise<void> {
  const pipes = [...graph.pipes];
  graph.stop();
  await graph.whenIdle();
  assertNoOutstanding(pipes);
  for (const p of pipes) assert.equal(p.allocator.state, 'deleted');
}

function assertNoOutstanding(pipes: readonly GraphPipe[]): void {
  for (const p of pipes) {
    assert.equal(p.allocator.outstanding, 0, `${p.id}: no outstanding frame`);
    assert.equal(p.requester.outstanding, 0, `${p.id}: every frame back at its requester`);
    if (p.fanOut) assert.equal(p.fanOut.inFlight, 0, `${p.id}: no fan-out in flight`);
  }
}

describe('graph splitters: read-only branches share the pipe (DelegateBranch), modifiers get copies (CopySource)', () => {
  it('the record and the live pipes agree: one allocator for the read-only branches, a branchOf pipe for the modifier', async () => {
    const { graph, tee } = rig();
    const record = graph.negotiate();
    assert.deepEqual(
      record.pipes.map((p) => [p.id, p.pins, p.branchOf]),
      [
        ['pipe0', ['src.out0', 'tee.in0'], null],
        ['pipe1', ['tee.out1', 'a.in0', 'b.in0'], null],
        ['pipe2', ['tee.out1', 'x.in0', 'x.out1', 'c.in0'], 'pipe1'],
      ],
    );
    assert.ok((record.pipes[1]!.properties!.flags & AllocatorFlags.multipleOutput) !== 0);
    assert.equal(record.pipes[2]!.requirements[0]!.role, 'copySource');
    graph.run();
    assert.deepEqual(graph.record, record);
    const outs = tee.pins(1);
    const [shared, copy] = [graph.pipes[1]!, graph.pipes[2]!];
    assert.equal(shared.sourcePin, outs[0], 'the delegate is the requester of the shared pipe');
    assert.deepEqual(shared.delegateBranches, [outs[1]]);
    assert.deepEqual(
      shared.pins.map((p) => graph.idOf(p.filter)),
      ['tee', 'a', 'tee', 'b'],
      'each branch instance just before its consumer',
    );
    assert.equal(graph.pipeOf(outs[1]!), shared, 'the delegate branch is in the shared pipe');
    assert.equal(delegateOf(outs[1]!), outs[0]);
    // KSPROPERTY_STREAMALLOCATOR_* on a branch consumer's pin answers from the shared pipe's allocator.
    assert.equal(pipeAllocatorOf(shared.pins[3]!), shared.allocator);
    assert.equal(pipeAllocatorOf(outs[1]!), shared.allocator);
    assert.equal(pipeAllocatorOf(outs[2]!), copy.allocator);
    assert.equal(copy.sourcePin, outs[2], 'the copy branch is the requester of its own pipe');
    assert.notEqual(copy.allocator, shared.allocator);
    const pp = outs.map((p) => tee._processPinOf(p)!);
    assert.deepEqual(
      tee.processPinIndex[1]!.pins.map((q) => q.pin),
      outs,
    );
    assert.equal(pp[0]!.delegateBranch, null);
    assert.equal(pp[0]!.copySource, null);
    assert.equal(pp[1]!.delegateBranch, pp[0], 'DelegateBranch = the first instance');
    assert.equal(pp[1]!.copySource, null);
    assert.equal(pp[2]!.copySource, pp[0], 'CopySource = the process pin copied from');
    assert.equal(pp[2]!.delegateBranch, null);
    await stopAndCheck(graph);
    // Back in STOP the roles are the standalone defaults again (every further instance copies).
    assert.equal(pp[1]!.copySource, pp[0]);
    assert.equal(pp[1]!.delegateBranch, null);
  });

  it('zero copies: every read-only branch sees the same bytes and metadata; the modifier branch sees its own copy', async () => {
    const { graph, src, a, b, c, log } = rig();
    graph.run();
    const shared = sharedPipe(graph);
    const seenA: SinkFrame[] = [];
    const seenB: number[][] = [];
    const seenC: number[][] = [];
    for (let n = 0; n < 6; n++) {
      assert.equal(src.tryWrite({ data: chunk(n), presentationTime: 1000 + n }), true);
      const fa = readAll(a);
      const fb = readAll(b);
      const fc = readAll(c);
      assert.equal(fa.length, 1);
      assert.equal(fb.length, 1);
      assert.equal(fc.length, 1);
      // The same underlying buffer, not a copy.
      assert.equal(fa[0]!.data.buffer, fb[0]!.data.buffer);
      assert.equal(fa[0]!.data.byteOffset, fb[0]!.data.byteOffset);
      assert.notEqual(
        fc[0]!.data.buffer === fa[0]!.data.buffer && fc[0]!.data.byteOffset === fa[0]!.data.byteOffset,
        true,
      );
      assert.equal(fa[0]!.presentationTime.time, 1000 + n);
      assert.equal(fb[0]!.presentationTime.time, 1000 + n);
      assert.equal(fc[0]!.presentationTime.time, 1000 + n);
      seenA.push(fa[0]!);
      seenB.push([...fb[0]!.data]);
      seenC.push([...fc[0]!.data]);
      fa[0]!.release();
      fb[0]!.release();
      fc[0]!.release();
    }
    assert.deepEqual(
      seenB,
      [0, 1, 2, 3, 4, 5].map((n) => [...chunk(n)]),
    );
    assert.deepEqual(
      seenC,
      [0, 1, 2, 3, 4, 5].map((n) => [...chunk(n)].map((v) => v ^ 0xff)),
    );
    assert.equal(seenA.length, 6);
    assert.equal(log.sawDelegate, log.calls, 'pins[0] of the splitter entry is always the delegate');
    assert.equal(shared.fanOut!.fannedOut, 6);
    assert.equal(shared.fanOut!.viewsSent, 12);
    assert.equal(shared.fanOut!.capacity, shared.decision.framing!.frames, 'records built up front, none added');
    await stopAndCheck(graph);
  });

  it('each allocator frame keeps its fan-out record: a branch sink reuses its SinkFrame views (no allocation per frame)', async () => {
    const { graph, src, a, b, c } = rig({ maxHeld: 3 });
    graph.run();
    const seen = new Map<SinkFrame, Uint8Array>();
    let repeats = 0;
    const inFlight = 3; // the pipe's frames minus what the sinks may hold: every frame out at once
    for (let n = 0; n < 24; n += inFlight) {
      for (let k = 0; k < inFlight; k++) assert.equal(src.tryWrite(chunk(n + k)), true);
      const got = [a, b].flatMap((sink) => readAll(sink));
      for (const f of got) {
        const data = f.data;
        const before = seen.get(f);
        if (before === undefined) seen.set(f, data);
        else {
          repeats++;
          assert.equal(data, before, 'the same view of the same buffer');
        }
      }
      // released in an order that rotates from round to round
      const r = (n / inFlight) % got.length;
      for (const f of [...got.slice(r), ...got.slice(0, r)].reverse()) f.release();
      for (const f of readAll(c)) f.release();
    }
    assert.ok(repeats > 0);
    assert.ok(seen.size <= 2 * sharedPipe(graph).decision.framing!.frames);
    assert.equal(sharedPipe(graph).fanOut!.capacity, sharedPipe(graph).decision.framing!.frames);
    await stopAndCheck(graph);
  });

  it('reference-counted fan-out: a shared frame returns to its allocator only when every branch released it', async () => {
    const { graph, src, a, b, c } = rig();
    graph.run();
    const shared = sharedPipe(graph);
    src.tryWrite(chunk(1));
    const fa = a.tryRead()!;
    const fb = b.tryRead()!;
    readAll(c).forEach((f) => {
      f.release();
    });
    const before = shared.requester.outstanding;
    fa.release();
    assert.equal(shared.fanOut!.inFlight, 1, 'b still holds its view');
    assert.equal(shared.requester.outstanding, before, 'not back yet');
    fb.release();
    assert.equal(shared.fanOut!.inFlight, 0);
    await stopAndCheck(graph);
  });

  it('the first instance feeding a modifier: the first read-only instance is the delegate, listed first in the index', async () => {
    const { graph, tee, src, a, b, c, log } = rig({ modifierFirst: true });
    const record = graph.negotiate();
    assert.deepEqual(
      record.pipes.map((p) => [p.pins, p.branchOf]),
      [
        [['src.out0', 'tee.in0'], null],
        [['tee.out1', 'a.in0', 'b.in0'], null],
        [['tee.out1', 'x.in0', 'x.out1', 'c.in0'], 'pipe1'],
      ],
    );
    graph.run();
    const outs = tee.pins(1);
    assert.equal(graph.pipes[1]!.sourcePin, outs[1]);
    assert.equal(graph.pipes[2]!.sourcePin, outs[0]);
    const entry = tee.processPinIndex[1]!;
    assert.deepEqual(
      entry.pins.map((q) => q.pin),
      [outs[1], outs[0], outs[2]],
    );
    assert.equal(entry.pins[1]!.copySource, entry.pins[0]);
    assert.equal(entry.pins[2]!.delegateBranch, entry.pins[0]);
    for (let n = 0; n < 4; n++) {
      src.tryWrite(chunk(n));
      const [fa, fb, fc] = [a.tryRead()!, b.tryRead()!, c.tryRead()!];
      assert.deepEqual([...fa.data], [...chunk(n)]);
      assert.equal(fa.data.buffer, fb.data.buffer);
      assert.deepEqual(
        [...fc.data],
        [...chunk(n)].map((v) => v ^ 0xff),
      );
      for (const f of [fa, fb, fc]) f.release();
    }
    assert.equal(log.sawDelegate, log.calls);
    await stopAndCheck(graph);
    assert.deepEqual(
      tee.processPinIndex[1]!.pins.map((q) => q.pin),
      outs,
      'back to creation order in STOP',
    );
  });

  it('when no branch only reads, the first consumer keeps the splitter frames (no copy) and the others get copies', async () => {
    const graph = new Graph();
    const src = graph.addSource({ id: 'src', frameSize: 8, frames: 3 });
    const tee = graph.addFilter(teeDescriptor(), { id: 'tee' });
    const x = graph.addFilter(xorTransform({ key: 1 }), { id: 'x' });
    const y = graph.addFilter(xorTransform({ key: 2 }), { id: 'y' });
    const c1 = graph.addSink({ id: 'c1' });
    const c2 = graph.addSink({ id: 'c2' });
    graph.connect(src, { filter: tee, pin: 0 });
    graph.connect({ filter: tee, pin: 1 }, { filter: x, pin: 0 });
    graph.connect({ filter: tee, pin: 1 }, { filter: y, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, c1);
    graph.connect({ filter: y, pin: 1 }, c2);
    const record = graph.negotiate();
    assert.deepEqual(
      record.pipes.map((p) => [p.pins, p.branchOf]),
      [
        [['src.out0', 'tee.in0'], null],
        [['tee.out1', 'x.in0', 'x.out1', 'c1.in0'], null],
        [['tee.out1', 'y.in0', 'y.out1', 'c2.in0'], 'pipe1'],
      ],
    );
    graph.run();
    assert.equal(graph.pipes[1]!.sourcePin, tee.pins(1)[0]);
    assert.equal(graph.pipes[2]!.sourcePin, tee.pins(1)[1]);
    src.tryWrite(chunk(3));
    const [f1, f2] = [c1.tryRead()!, c2.tryRead()!];
    assert.deepEqual(
      [...f1.data],
      [...chunk(3)].map((v) => v ^ 1),
    );
    assert.deepEqual(
      [...f2.data],
      [...chunk(3)].map((v) => v ^ 2),
    );
    f1.release();
    f2.release();
    await stopAndCheck(graph);
  });

  it('stopping mid-stream with views held by both branches returns every frame once; the graph runs again', async () => {
    const { graph, src, a, b, c } = rig({ maxHeld: 3 });
    graph.run();
    for (let n = 0; n < 2; n++) src.tryWrite(chunk(n));
    const held = [...readAll(a), ...readAll(b).slice(0, 1)];
    assert.equal(held.length, 3);
    let pipes = [...graph.pipes];
    graph.stop();
    await graph.whenIdle();
    assertNoOutstanding(pipes);
    for (const p of pipes) assert.equal(p.allocator.state, 'deleted');
    for (const f of held) f.release(); // read as released already: no second return
    graph.run();
    src.tryWrite(chunk(9));
    const [fa, fb, fc] = [a.tryRead()!, b.tryRead()!, c.tryRead()!];
    assert.deepEqual([...fa.data], [...chunk(9)]);
    assert.equal(fa.data.buffer, fb.data.buffer);
    for (const f of [fa, fb, fc]) f.release();
    pipes = [...graph.pipes];
    graph.stop();
    await graph.whenIdle();
    assertNoOutstanding(pipes);
  });

  it('a flush (STOP) or a reset of one branch consumer returns its views while the other branch keeps running', async () => {
    const { graph, src, a, b, c } = rig({ maxHeld: 3 });
    graph.run();
    const shared = sharedPipe(graph);
    const bPin = b._endpointFilter.pins(0)[0]!;
    src.tryWrite(chunk(1));
    src.tryWrite(chunk(2));
    readAll(c).forEach((f) => {
      f.release();
    });
    // b is reset: its queued views are cancelled; the frames wait only for a.
    bPin.setResetState(KsReset.begin);
    assert.equal(shared.fanOut!.inFlight, 2);
    src.tryWrite(chunk(3)); // b gets no view while resetting: the frame goes to a alone
    const fa = readAll(a);
    assert.deepEqual(
      fa.map((f) => f.data[0]),
      [chunk(1)[0], chunk(2)[0], chunk(3)[0]],
    );
    for (const f of fa) f.release();
    assert.equal(shared.fanOut!.inFlight, 0, 'every frame back after a released');
    bPin.setResetState(KsReset.end);
    // b's pin is stopped on its own (flush) while a runs.
    src.tryWrite(chunk(4));
    bPin.setState(KsState.stop);
    const f4 = a.tryRead()!;
    assert.equal(f4.data[0], chunk(4)[0]);
    f4.release();
    assert.equal(shared.fanOut!.inFlight, 0);
    src.tryWrite(chunk(5)); // b's consumer in STOP: its view goes straight back
    const f5 = a.tryRead()!;
    f5.release();
    assert.equal(shared.fanOut!.inFlight, 0);
    readAll(c).forEach((f) => {
      f.release();
    });
    await stopAndCheck(graph);
  });

  it('a branch pin closed while the others run: its consumer hands back what it holds, new frames skip it', async () => {
    const { graph, tee, src, a, b, c } = rig({ maxHeld: 3 });
    graph.run();
    const shared = sharedPipe(graph);
    src.tryWrite(chunk(1));
    const fb = b.tryRead()!;
    const branch = tee.pins(1)[1]!;
    branch.close(); // the delegate branch instance goes (its consumer keeps the view it holds)
    src.tryWrite(chunk(2));
    assert.equal(b.tryRead(), null, 'no view for a closed branch');
    for (const f of readAll(a)) f.release();
    assert.equal(shared.fanOut!.inFlight, 1, 'frame 1 waits for b');
    fb.release();
    assert.equal(shared.fanOut!.inFlight, 0);
    readAll(c).forEach((f) => {
      f.release();
    });
    await stopAndCheck(graph);
  });

  it('a branch pin closed while the graph runs: the graph runs again without it (its connection ended)', async () => {
    const { graph, tee, src, a, b, c } = rig({ maxHeld: 3 });
    graph.run();
    tee.pins(1)[1]!.close(); // b's branch
    graph.stop();
    await graph.whenIdle();
    graph.run();
    assert.deepEqual(
      graph.pipes.map((p) => p.decision.pins),
      [
        ['src.out0', 'tee.in0'],
        ['tee.out1', 'a.in0'],
        ['tee.out1', 'x.in0', 'x.out1', 'c.in0'],
      ],
    );
    src.tryWrite(chunk(4));
    const [fa, fc] = [a.tryRead()!, c.tryRead()!];
    assert.deepEqual([...fa.data], [...chunk(4)]);
    assert.deepEqual(
      [...fc.data],
      [...chunk(4)].map((v) => v ^ 0xff),
    );
    assert.equal(b.tryRead(), null);
    fa.release();
    fc.release();
    await stopAndCheck(graph);
  });

  it('the delegate closed while the graph runs: the driver is never handed a frameless delegate (its delegate branches wait as copy branches); every frame comes back', async () => {
    const { graph, tee, src, a, b, c, log } = rig({ maxHeld: 3 });
    graph.run();
    src.tryWrite(chunk(1));
    for (const f of [...readAll(a), ...readAll(b), ...readAll(c)]) f.release();
    const delegate = tee.pins(1)[0]!;
    assert.equal(sharedPipe(graph).fanOut!.delegate, delegate);
    delegate.close();
    const entry = tee.processPinIndex[1]!;
    assert.equal(entry.pins[0]!.delegateBranch, null);
    assert.ok(
      entry.pins.slice(1, entry.count).every((pp) => pp.delegateBranch === null),
      'no delegate branch of a closed delegate',
    );
    const calls = log.calls;
    assert.doesNotThrow(() => src.tryWrite(chunk(2)));
    assert.equal(graph.error, null, 'the driver did not run on a delegate without a frame');
    assert.equal(log.calls, calls, 'the splitter waits: no frame for its new first instance');
    assert.equal(a.tryRead(), null);
    await stopAndCheck(graph);
  });

  /** source → in-place splitter t (pin-centric, INPLACE_MODIFIER input stamping byte 0) → a, b. */
  function inPlaceSplitter(filterFlags: number) {
    const graph = new Graph();
    const src = graph.addSource({ id: 'src', frameSize: 8, frames: 3 });
    const t = graph.addFilter(stampSplitter(filterFlags), { id: 't' });
    const a = graph.addSink({ id: 'a' });
    const b = graph.addSink({ id: 'b' });
    graph.connect(src, { filter: t, pin: 0 });
    graph.connect({ filter: t, pin: 1 }, a);
    graph.connect({ filter: t, pin: 1 }, b);
    return { graph, src, t, a, b };
  }

  it('an in-place splitter (pin-centric, INPLACE_MODIFIER input): the fan-out sits on the input, branches share its frames', async () => {
    const { graph, src, t, a, b } = inPlaceSplitter(0x8);
    const record = graph.negotiate();
    assert.deepEqual(
      record.pipes.map((p) => p.pins),
      [['src.out0', 't.in0', 't.out1', 'a.in0', 'b.in0']],
    );
    graph.run();
    const pipe = graph.pipes[0]!;
    const [input, o0, o1] = [t.pins(0)[0]!, t.pins(1)[0]!, t.pins(1)[1]!];
    assert.equal(input.inPlaceCounterpart, o0, 'the delegate is the in-place output');
    assert.equal(pipe.fanOut!.routePin, input);
    assert.deepEqual(pipe.delegateBranches, [o1]);
    src.tryWrite(chunk(2));
    const [fa, fb] = [a.tryRead()!, b.tryRead()!];
    assert.equal(fa.data.buffer, fb.data.buffer);
    assert.equal(fa.data.byteOffset, fb.data.byteOffset);
    assert.deepEqual([...fb.data], [0x5a, ...chunk(2).subarray(1)]);
    fa.release();
    fb.release();
    await stopAndCheck(graph);
  });

  it('a zero-length end-of-stream frame bypassing an in-place splitter (no RECEIVE_ZERO_LENGTH_SAMPLES) still reaches every branch', async () => {
    const { graph, src, a, b } = inPlaceSplitter(0);
    graph.run();
    src.tryWrite(chunk(1));
    await src.close();
    const counts = [a, b].map((sink) => {
      let n = 0;
      for (let f = sink.tryRead(); f !== null; f = sink.tryRead()) {
        n++;
        f.release();
      }
      return n;
    });
    assert.deepEqual(counts, [1, 1]);
    assert.deepEqual([a.ended, b.ended], [true, true], 'the end of stream reached both branches');
    await stopAndCheck(graph);
  });

  it('a splitter rewired between runs: the delegate is the first instance whose consumer shares the pipe, not the instance linked in place on the previous run', async () => {
    const graph = new Graph();
    const src = graph.addSource({ id: 'src', frameSize: 8, frames: 3 });
    const t = graph.addFilter(stampSplitter(0x8), { id: 't' });
    const a = graph.addSink({ id: 'a' });
    const b = graph.addSink({ id: 'b' });
    graph.connect(src, { filter: t, pin: 0 });
    // o0 is an instance the application made (a disconnect keeps it), connected first: the delegate of run 1
    const probe = graph.connect({ filter: t, pin: 1 }, a);
    const format = probe.output.connectionFormat!;
    graph.disconnect(probe);
    const o0 = t.createPin(1, format);
    graph.connect(o0, a);
    graph.connect({ filter: t, pin: 1 }, b);
    const o1 = t.pins(1)[1]!;
    graph.run();
    assert.equal(sharedPipe(graph).fanOut!.delegate, o0);
    await stopAndCheck(graph);
    // run 2: o0 now feeds an in-place modifier (a copy branch of its own); only b shares the splitter's pipe
    graph.disconnect(o0);
    const x = graph.addFilter(xorTransform({ key: 0xff }), { id: 'x' });
    const c = graph.addSink({ id: 'c' });
    graph.connect(o0, { filter: x, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, c);
    graph.run();
    const input = t.pins(0)[0]!;
    assert.equal(graph.pipes[0]!.fanOut!.delegate, o1, 'the delegate is the instance feeding the read-only consumer');
    assert.equal(input.inPlaceCounterpart, o1, 'the input is linked to the instance feeding the read-only consumer');
    assert.equal(o0.inPlaceCounterpart, null, 'the previous delegate is no longer linked');
    assert.equal(graph.pipeOf(o0)!.sourcePin, o0, 'o0 is the copy branch: the source of its own pipe');
    src.tryWrite(chunk(3));
    const fb = b.tryRead()!;
    assert.deepEqual(
      [...fb.data],
      [0x5a, ...chunk(3).subarray(1)],
      'the read-only consumer sees the bytes the splitter produced, not ones the modifier changed',
    );
    assert.equal(c.tryRead(), null, 'the modifier gets no shared frame (a pin-centric copy branch is not filled)');
    fb.release();
    await stopAndCheck(graph);
  });

  it('all kernel: a kernel source → splitter → two kernel sinks share one default allocator; a modifier branch copies', async () => {
    const graph = new Graph();
    const framing = simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 64, 64);
    const cam = graph.addFilter(patternSource({ count: 20, framing }).descriptor, { id: 'cam' });
    const tee = graph.addFilter(teeDescriptor({ framing: simpleFraming(MemoryType.kernelNonPaged, 0, 3, 0, 64, 64) }), {
      id: 'tee',
    });
    const x = graph.addFilter(xorTransform(), { id: 'x' });
    const sinks = [nullSink(), nullSink(), nullSink()];
    const [s1, s2, s3] = sinks.map((n, k) => graph.addFilter(n.descriptor, { id: `s${k + 1}` }));
    graph.connect({ filter: cam, pin: 0 }, { filter: tee, pin: 0 });
    graph.connect({ filter: tee, pin: 1 }, { filter: s1!, pin: 0 });
    graph.connect({ filter: tee, pin: 1 }, { filter: x, pin: 0 });
    graph.connect({ filter: tee, pin: 1 }, { filter: s2!, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, { filter: s3!, pin: 0 });
    graph.run();
    const record = graph.record!;
    assert.deepEqual(
      record.pipes.map((p) => [p.pins, p.mode, p.allocator!.kind]),
      [
        [['cam.out0', 'tee.in0'], 'kernel', 'default'],
        [['tee.out1', 's1.in0', 's2.in0'], 'kernel', 'default'],
        [['tee.out1', 'x.in0', 'x.out1', 's3.in0'], 'kernel', 'default'],
      ],
    );
    const shared = sharedPipe(graph);
    assert.deepEqual(shared.delegateBranches, [tee.pins(1)[2]]);
    assert.equal(graph.pipes[2]!.sourcePin, tee.pins(1)[1]);
    assert.deepEqual(
      sinks.map((n) => [n.counts.frames, n.counts.bytes, n.counts.endOfStream]),
      [
        [20, 20 * 64, true],
        [20, 20 * 64, true],
        [20, 20 * 64, true],
      ],
    );
    assert.equal(shared.fanOut!.fannedOut, 20);
    await stopAndCheck(graph);
  });

  it('end of stream reaches every branch', async () => {
    const { graph, src, a, b, c } = rig();
    graph.run();
    src.tryWrite(chunk(1));
    void src.close();
    const got = { a: 0, b: 0, c: 0 };
    const drain = async (sink: SinkEndpoint, k: 'a' | 'b' | 'c') => {
      for await (const _f of sink) got[k]++;
    };
    await Promise.all([drain(a, 'a'), drain(b, 'b'), drain(c, 'c')]);
    assert.deepEqual(got, { a: 1, b: 1, c: 1 });
    await stopAndCheck(graph);
  });

  it('debug mode (verifySharedFrames): a read-only consumer writing into a shared frame fails the graph', async () => {
    const { graph, src, a, b, c } = rig({ verify: true });
    graph.run();
    const pipes = [...graph.pipes];
    src.tryWrite(chunk(1));
    readAll(c).forEach((f) => {
      f.release();
    });
    const fa = a.tryRead()!;
    const fb = b.tryRead()!;
    fa.data[0] = 0xee; // a driver bug: a read-only consumer writes
    fa.release();
    fb.release();
    assert.ok(graph.error instanceof StreamError);
    const cause = graph.error.cause;
    assert.ok(cause instanceof StreamError);
    assert.equal(cause.status, Status.invalidDeviceRequest);
    assert.match(cause.message, /read-only branch/);
    await graph.whenIdle();
    assertNoOutstanding(pipes);
  });

  it('without debug mode a write is not detected (documented driver bug): the other branch sees it', async () => {
    const { graph, src, a, b, c } = rig();
    graph.run();
    src.tryWrite(chunk(1));
    const fa = a.tryRead()!;
    const fb = b.tryRead()!;
    fa.data[0] = 0xee;
    assert.equal(fb.data[0], 0xee, 'the same bytes');
    for (const f of [fa, fb, ...readAll(c)]) f.release();
    assert.equal(graph.error, null);
    await stopAndCheck(graph);
  });
});

type GraphOp =
  | { kind: 'write' }
  | { kind: 'read'; sink: number }
  | { kind: 'release'; pick: number }
  | { kind: 'reset'; sink: number }
  | { kind: 'restart' };

const graphOp: fc.Arbitrary<GraphOp> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<GraphOp>({ kind: 'write' }) },
  { weight: 4, arbitrary: fc.nat(2).map<GraphOp>((sink) => ({ kind: 'read', sink })) },
  { weight: 4, arbitrary: fc.nat(30).map<GraphOp>((pick) => ({ kind: 'release', pick })) },
  { weight: 1, arbitrary: fc.nat(2).map<GraphOp>((sink) => ({ kind: 'reset', sink })) },
  { weight: 1, arbitrary: fc.constant<GraphOp>({ kind: 'restart' }) },
);

describe('graph splitters against a model (fast-check)', () => {
  it('random writes, reads, release orders, consumer resets and restarts: contents agree, every frame comes back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(graphOp, { maxLength: 40 }), async (modifierFirst, ops) => {
        const { graph, src, a, b, c } = rig({ modifierFirst, maxHeld: 3 });
        const sinks = [a, b, c];
        graph.run();
        const held: SinkFrame[] = [];
        let written = 0;
        for (const op of ops) {
          if (op.kind === 'write') {
            if (src.tryWrite(chunk(written))) written++;
          } else if (op.kind === 'read') {
            const f = sinks[op.sink]!.tryRead();
            if (f === null) continue;
            const key = op.sink === 2 ? 0xff : 0;
            const n = (f.data[1]! ^ key) >> 4; // chunk(n)[1] = n * 16 + 1 (the modifier branch xors 0xff)
            assert.deepEqual(
              [...f.data],
              [...chunk(n)].map((v) => v ^ key),
              'a branch sees the bytes written',
            );
            held.push(f);
          } else if (op.kind === 'release') {
            if (held.length === 0) continue;
            held.splice(op.pick % held.length, 1)[0]!.release();
          } else if (op.kind === 'reset') {
            const pin = sinks[op.sink]!._endpointFilter.pins(0)[0]!;
            pin.setResetState(KsReset.begin);
            pin.setResetState(KsReset.end);
          } else {
            const pipes = [...graph.pipes];
            graph.stop();
            assertNoOutstanding(pipes);
            graph.run();
          }
          const shared = graph.pipes.find((p) => p.fanOut !== null)!;
          assert.ok(shared.fanOut!.inFlight <= shared.requester.outstanding);
          assert.ok(shared.allocator.outstanding <= shared.decision.framing!.frames);
        }
        for (const f of held) f.release();
        await stopAndCheck(graph);
        assert.equal(graph.error, null);
      }),
      { numRuns: 60 },
    );
  });
});
