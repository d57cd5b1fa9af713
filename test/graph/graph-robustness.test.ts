import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullSink, patternSource, xorTransform } from '../../src/filters/index.js';
import { Graph, KsState, ManualWorkScheduler, Status, StreamError, StreamPointerState } from '../../src/index.js';
import { bytesOf, chain, settle, stopAndAssertClean } from '../endpoints/helpers.js';

/** Settles `p` within a few event-loop turns, else reports 'pending' (a wait that never ends fails, not hangs). */
async function outcome<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown } | 'pending'> {
  const tagged = p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  return Promise.race([tagged, settle().then(() => 'pending' as const)]);
}

function assertGraphError(graph: Graph, e: unknown, cause: unknown): void {
  assert.ok(e instanceof StreamError, `a StreamError, got ${String(e)}`);
  assert.equal(e, graph.error);
  assert.equal(e.cause, cause);
  assert.equal(e.status, Status.unsuccessful);
}

describe('graph: processing errors (a filter throws while frames move)', () => {
  it('the write that moved the frame rejects; pending and later reads and writes reject with the graph error; the graph stops with no frame outstanding', async () => {
    const poison = new Error('poisoned frame');
    const { graph, source, sink } = chain({ frameSize: 4, frames: 3, throwAt: 1, error: poison });
    graph.run();
    const pipes = [...graph.pipes];
    const pending = sink.read(); // waits: nothing written yet
    await source.write(bytesOf(4, 1)); // frame 0 passes the filter and satisfies the pending read
    const first = await pending;
    assert.equal(first.done, false);
    const pendingRead = sink.read(); // waits for frame 1
    const failed = await outcome(source.write(bytesOf(4, 2))); // frame 1: the filter throws
    assert.ok(typeof failed === 'object' && 'error' in failed, 'the write rejected');
    assertGraphError(graph, failed.error, poison);
    const r = await outcome(pendingRead);
    assert.ok(typeof r === 'object' && 'error' in r, 'the pending read rejected');
    assert.equal(r.error, graph.error);
    await assert.rejects(sink.read(), (e) => e === graph.error);
    assert.throws(
      () => sink.tryRead(),
      (e) => e === graph.error,
    );
    await assert.rejects(source.write(bytesOf(4, 3)), (e) => e === graph.error);
    assert.equal(graph.state, KsState.stop, 'the graph stopped itself');
    assert.equal(graph.failure, graph.error);
    assert.equal(first.value!.released, true, 'the frame the application held went back with the flush');
    await graph.whenIdle();
    for (const p of pipes) {
      assert.equal(p.allocator.outstanding, 0);
      assert.equal(p.allocator.state, 'deleted');
    }
  });

  it('a throw reached through a frame release (the refill drains a waiting write) enters the error state; release() itself does not throw', async () => {
    const poison = new Error('third frame');
    const { graph, source, sink } = chain({ frameSize: 4, frames: 2, throwAt: 2, error: poison });
    graph.run();
    const pipes = [...graph.pipes];
    assert.equal(pipes[0]!.decision.framing!.frames, 2);
    const w1 = source.write(bytesOf(4, 1));
    const w2 = source.write(bytesOf(4, 2));
    const w3 = source.write(bytesOf(4, 3)); // back-pressure: waits for a frame
    w3.catch(() => undefined); // observed below
    assert.equal(source.pendingWrites, 1);
    await Promise.all([w1, w2]);
    const frame = sink.tryRead()!;
    frame.release(); // the frame goes back, is refilled with chunk 3, the filter throws
    assert.ok(graph.error !== null);
    assertGraphError(graph, graph.error, poison);
    // the waiting write settles: its bytes were copied into the refilled frame before the filter ran on it
    assert.notEqual(await outcome(w3), 'pending');
    await assert.rejects(source.write(bytesOf(4, 4)), (e) => e === graph.error);
    assert.equal(graph.state, KsState.stop);
    await graph.whenIdle();
    for (const p of pipes) assert.equal(p.allocator.outstanding, 0);
  });

  it('a throw inside a scheduled continuation (the requester after its quota) reaches the graph, not the event loop', async () => {
    const manual = new ManualWorkScheduler();
    const seen: Error[] = [];
    const graph = new Graph({ framesPerTurn: 4, yieldScheduler: manual.schedule, onError: (e) => seen.push(e) });
    const src = patternSource({ count: 10 });
    const poison = new Error('sixth frame');
    let n = 0;
    const sink = nullSink();
    const inner = sink.descriptor.pinDescriptors[0]!.dispatch!.process!;
    const throwing = {
      ...sink.descriptor,
      pinDescriptors: [
        {
          ...sink.descriptor.pinDescriptors[0]!,
          dispatch: {
            process: (pin: Parameters<typeof inner>[0]) => {
              if (pin.getLeadingEdge(StreamPointerState.unlocked) !== null && n++ === 5) throw poison;
              return inner(pin);
            },
          },
        },
      ],
    };
    const s = graph.addFilter(src.descriptor, { id: 'src' });
    const k = graph.addFilter(throwing, { id: 'sink' });
    graph.connect({ filter: s, pin: 0 }, { filter: k, pin: 0 });
    graph.run();
    const pipes = [...graph.pipes];
    assert.equal(src.counts.frames, 4, 'one turn: 4 frames');
    assert.equal(graph.error, null);
    manual.runAll(); // the continuation: the sink throws at its sixth frame
    assertGraphError(graph, graph.error, poison);
    assert.deepEqual(seen, [graph.error], 'onError called once');
    assert.equal(graph.state, KsState.stop);
    await graph.whenIdle();
    for (const p of pipes) assert.equal(p.allocator.outstanding, 0);
  });

  it('a throw while the graph rises (a write waiting since STOP is drained into the filter) enters the error state; run() returns and the graph stops', async () => {
    // (the step was accepted; the processing it triggered threw: not a refusal, so no rollback)
    const poison = new Error('at run');
    const { graph, source } = chain({ frameSize: 4, frames: 2, throwAt: 0, error: poison });
    const waiting = source.write(bytesOf(4, 1)); // no pipe yet: waits for the run
    waiting.catch(() => undefined);
    graph.run();
    assertGraphError(graph, graph.error, poison);
    assert.equal(graph.state, KsState.stop);
    // the waiting write settles (its bytes were copied before the filter ran on the frame); later writes reject
    assert.notEqual(await outcome(waiting), 'pending');
    await assert.rejects(source.write(bytesOf(4, 2)), (e) => e === graph.error);
    await graph.whenIdle();
  });

  it('running again clears the error state: the endpoints work again', async () => {
    const poison = new Error('once');
    const { graph, source, sink } = chain({ frameSize: 4, frames: 2, throwAt: 0, error: poison });
    graph.run();
    await assert.rejects(source.write(bytesOf(4, 1)), (e) => e === graph.error);
    assert.equal(graph.state, KsState.stop);
    graph.run();
    assert.equal(graph.error, null);
    const pipes = [...graph.pipes];
    await source.write(bytesOf(4, 2));
    const r = await sink.read();
    assert.equal(r.done, false);
    r.value!.release();
    await stopAndAssertClean(graph, pipes);
  });
});

describe('graph: waits pending when the graph stops for good', () => {
  it('close() rejects a pending read with StreamError invalidDeviceState; later reads reject too', async () => {
    const { graph, sink } = chain({ frameSize: 4, frames: 2 });
    graph.run();
    const pending = sink.read();
    graph.close();
    const r = await outcome(pending);
    assert.ok(typeof r === 'object' && 'error' in r, 'the read settled');
    assert.ok(r.error instanceof StreamError && r.error.status === Status.invalidDeviceState);
    assert.match(r.error.message, /graph\.close\(\)/);
    await assert.rejects(sink.read(), (e) => e === r.error);
  });

  it('stop() then close() rejects a pending write with StreamError invalidDeviceState', async () => {
    const { graph, source } = chain({ frameSize: 4, frames: 2 });
    graph.run();
    const pipes = [...graph.pipes];
    const writes = [1, 2, 3].map((k) => source.write(bytesOf(4, k)));
    assert.equal(source.pendingWrites, 1);
    graph.stop();
    assert.equal(
      await outcome(writes[2]!),
      'pending',
      'across STOP a write keeps waiting (it resumes at the next run)',
    );
    graph.close();
    const r = await outcome(writes[2]!);
    assert.ok(typeof r === 'object' && 'error' in r, 'the write settled');
    assert.ok(r.error instanceof StreamError && r.error.status === Status.invalidDeviceState);
    await assert.rejects(source.write(bytesOf(4, 4)), (e) => e === r.error);
    await graph.whenIdle();
    for (const p of pipes) assert.equal(p.allocator.outstanding, 0);
  });

  it('after the end of stream, a read pending at close() resolves done', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 2 });
    graph.run();
    await source.write({ data: bytesOf(4), endOfStream: true });
    const last = await sink.read();
    assert.equal(last.done, false);
    last.value!.release();
    assert.equal(sink.ended, true);
    graph.close();
    assert.deepEqual(await outcome(sink.read()), { value: { done: true, value: undefined } });
  });

  it('a read pending across stop → run keeps waiting and gets the next frame of the new run', async () => {
    const { graph, source, sink } = chain({ frameSize: 4, frames: 2 });
    graph.run();
    const pending = sink.read();
    graph.stop();
    assert.equal(await outcome(pending), 'pending');
    graph.run();
    const pipes = [...graph.pipes];
    await source.write(bytesOf(4, 9));
    const r = await outcome(pending);
    assert.ok(typeof r === 'object' && 'value' in r && r.value.done === false);
    r.value.value!.release();
    await stopAndAssertClean(graph, pipes);
  });
});

describe("graph: the per-turn quota does not bound the application's own synchronous writes", () => {
  it('a synchronous tryWrite/tryRead loop longer than framesPerTurn never finds the source empty', async () => {
    const manual = new ManualWorkScheduler();
    const graph = new Graph({ framesPerTurn: 8, yieldScheduler: manual.schedule });
    const source = graph.addSource({ frameSize: 16, frames: 4 });
    const x = graph.addFilter(xorTransform({ key: 0xff }));
    const sink = graph.addSink();
    graph.connect(source, { filter: x, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, sink);
    graph.run();
    const pipes = [...graph.pipes];
    const chunk = new Uint8Array(16).fill(1);
    for (let i = 0; i < 100; i++) {
      // each write is a user-mode request: a new turn for the source's requester (docs/graph.md)
      assert.equal(source.tryWrite(chunk), true, `write ${i}`);
      const frame = sink.tryRead();
      assert.ok(frame !== null, `read ${i}`);
      assert.equal(frame.data[0], 0xfe);
      frame.release();
    }
    graph.stop();
    manual.runAll();
    await graph.whenIdle();
    for (const p of pipes) {
      assert.equal(p.allocator.outstanding, 0);
      assert.equal(p.allocator.state, 'deleted');
    }
  });
});

describe('graph: an endless kernel source does not hang run()', () => {
  function endless(options: ConstructorParameters<typeof Graph>[0]) {
    const graph = new Graph(options);
    const src = patternSource(); // no count: never pends while frames are free
    const sink = nullSink();
    const s = graph.addFilter(src.descriptor, { id: 'src' });
    const x = graph.addFilter(xorTransform(), { id: 'xor' });
    const k = graph.addFilter(sink.descriptor, { id: 'sink' });
    graph.connect({ filter: s, pin: 0 }, { filter: x, pin: 0 });
    graph.connect({ filter: x, pin: 1 }, { filter: k, pin: 0 });
    return { graph, src, sink };
  }

  it('run() returns after one quota; each continuation runs one more quota; stop() ends it', async () => {
    const manual = new ManualWorkScheduler();
    const { graph, src, sink } = endless({ framesPerTurn: 64, yieldScheduler: manual.schedule });
    graph.run(); // returns: the requester stopped after 64 frames
    const pipes = [...graph.pipes];
    assert.equal(src.counts.frames, 64);
    assert.equal(sink.counts.frames, 64);
    assert.equal(manual.pending, 1, 'one scheduled continuation per burst');
    manual.runOne();
    assert.equal(sink.counts.frames, 128);
    assert.equal(manual.pending, 1);
    await settle(1); // a new turn: the quota is reset too
    manual.runOne();
    assert.equal(sink.counts.frames, 192);
    graph.stop();
    manual.runAll(); // the continuation finds the pipe gone and does nothing
    assert.equal(sink.counts.frames, 192);
    assert.equal(manual.pending, 0);
    await graph.whenIdle();
    for (const p of pipes) {
      assert.equal(p.allocator.outstanding, 0);
      assert.equal(p.allocator.state, 'deleted');
    }
  });

  it('run({ signal }): aborting the signal stops an endless graph; an aborted signal does not start it', async () => {
    const manual = new ManualWorkScheduler();
    const { graph, sink } = endless({ framesPerTurn: 16, yieldScheduler: manual.schedule });
    const controller = new AbortController();
    graph.run({ signal: controller.signal });
    const pipes = [...graph.pipes];
    manual.runOne();
    assert.equal(sink.counts.frames, 32);
    controller.abort(new Error('enough'));
    assert.equal(graph.state, KsState.stop);
    manual.runAll();
    assert.equal(sink.counts.frames, 32);
    await graph.whenIdle();
    for (const p of pipes) assert.equal(p.allocator.outstanding, 0);
    const reason = new Error('already');
    assert.throws(
      () => graph.run({ signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.equal(graph.state, KsState.stop);
  });

  it('with the default scheduler processing goes on asynchronously between event-loop turns until stop()', async () => {
    const { graph, sink } = endless({ framesPerTurn: 32 });
    graph.run();
    const pipes = [...graph.pipes];
    assert.equal(sink.counts.frames, 32);
    await settle(); // other macrotasks run while the graph streams
    assert.ok(sink.counts.frames > 32, 'processing continued after run() returned');
    graph.stop();
    const stoppedAt = sink.counts.frames;
    await settle();
    assert.equal(sink.counts.frames, stoppedAt);
    await graph.whenIdle();
    for (const p of pipes) assert.equal(p.allocator.outstanding, 0);
  });
});
