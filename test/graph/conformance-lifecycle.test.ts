import assert from 'node:assert/strict';
import { test } from 'node:test';
import { patternSource } from '../../src/filters/index.js';
import {
  type AllocatorDispatch,
  Graph,
  KsState,
  MemoryType,
  type Pin,
  StateError,
  Status,
  type StreamPointer,
  StreamPointerState,
  simpleFraming,
} from '../../src/index.js';
import { settle, singleInput } from './graph-helpers.js';

// Conformance: the selected allocator's life (spec §1, §3.4 [I]; docs/graph.md "Pipes at run time") and state
// changes that fail while the graph goes down.

interface Ctx {
  readonly n: number;
  readonly free: Uint8Array[];
}

/** A vendor allocator logging every call with its context number, and the sink pin's state when it was created. */
function loggingVendor(log: string[], sinkState: () => string): AllocatorDispatch<Ctx, Pin> {
  let contexts = 0;
  return {
    initializeAllocator(_pin, framing) {
      const ctx: Ctx = { n: ++contexts, free: [] };
      for (let i = 0; i < framing.frames; i++) ctx.free.push(new Uint8Array(framing.frameSize));
      log.push(`initialize ${ctx.n} (sink ${sinkState()})`);
      return { status: Status.success, context: ctx };
    },
    deleteAllocator(ctx) {
      log.push(`delete ${ctx.n} (${ctx.free.length} free)`);
    },
    allocate(ctx) {
      return ctx.free.pop() ?? null;
    },
    free(ctx, buffer) {
      log.push(`free ${ctx.n}`);
      ctx.free.push(buffer);
    },
  };
}

/** cam (vendor allocator, 3 frames) → sink that clones the first `keep` frames it sees and keeps the clones. */
function holdingGraph(keep: number, refuseStop = { on: false }) {
  const log: string[] = [];
  const clones: StreamPointer<Pin>[] = [];
  const state = { keep };
  let sinkPin: Pin | null = null;
  const vendor = loggingVendor(log, () => (sinkPin === null ? 'none' : String(sinkPin.deviceState)));
  const graph = new Graph({ framesPerTurn: 4 });
  const cam = graph.addFilter(
    patternSource({
      count: 6,
      framing: simpleFraming(MemoryType.kernelNonPaged, 0, 3, 0, 16, 16),
      allocator: vendor as AllocatorDispatch<unknown, Pin>,
    }).descriptor,
    { id: 'cam' },
  );
  const sink = graph.addFilter(
    {
      pinDescriptors: [
        singleInput({
          dispatch: {
            process: (pin) => {
              const lead = pin.getLeadingEdge(StreamPointerState.locked);
              if (lead === null) return Status.pending;
              if (state.keep > 0) {
                state.keep--;
                clones.push(lead.clone());
              }
              lead.unlock(true);
              return Status.success;
            },
            setDeviceState: (_pin, to) => {
              if (refuseStop.on && to === KsState.stop) return Status.insufficientResources;
              return Status.success;
            },
          },
        }),
      ],
    },
    { id: 'sink' },
  );
  const c = graph.connect({ filter: cam, pin: 0 }, { filter: sink, pin: 0 });
  sinkPin = c.input;
  return { graph, log, clones, state };
}

test('the selected vendor allocator is initialized at STOP→ACQUIRE before any pin leaves STOP', async () => {
  const { graph, log } = holdingGraph(0);
  graph.setState(KsState.acquire);
  assert.deepEqual(log, [`initialize 1 (sink ${KsState.stop})`]);
  graph.stop();
  await graph.whenIdle();
  assert.equal(log.at(-1), 'delete 1 (3 free)');
});

test('→STOP: DeleteAllocator waits for the frames a driver still holds (clones kept past STOP), then runs once', async () => {
  const { graph, log, clones } = holdingGraph(2);
  graph.run();
  assert.equal(clones.length, 2);
  graph.stop();
  let idle = false;
  void graph.whenIdle().then(() => {
    idle = true;
  });
  await settle();
  assert.equal(idle, false);
  assert.ok(!log.some((l) => l.startsWith('delete')), 'not deleted while frames are out');
  for (const c of clones) c.delete();
  await settle();
  assert.equal(idle, true);
  assert.equal(log.at(-1), 'delete 1 (3 free)');
  assert.equal(log.filter((l) => l.startsWith('delete')).length, 1);
});

test('running again while the last run’s frames are still out: a new context; the old one is deleted when they return', async () => {
  const { graph, log, clones, state } = holdingGraph(2);
  graph.run();
  graph.stop();
  state.keep = 0;
  graph.run();
  assert.ok(log.includes(`initialize 2 (sink ${KsState.stop})`));
  assert.ok(!log.includes('delete 1 (3 free)'));
  for (const c of clones) c.delete();
  assert.ok(log.includes('delete 1 (3 free)'), 'the first context is deleted once its frames are back');
  const frees = log.slice(log.indexOf('initialize 2 (sink 0)'));
  assert.ok(frees.filter((l) => l === 'free 1').length === 2, 'the old frames went back to the old context');
  graph.stop();
  await graph.whenIdle();
  assert.equal(log.at(-1), 'delete 2 (3 free)');
});

test('a pin refusing ACQUIRE→STOP: the pins that stopped step back, the pipes and allocator stay; a later stop deletes it', async () => {
  const refuse = { on: true };
  const { graph, log } = holdingGraph(0, refuse);
  graph.run();
  assert.throws(
    () => graph.stop(),
    (e: unknown) => e instanceof StateError && e.status === Status.insufficientResources,
  );
  assert.equal(graph.state, KsState.acquire);
  for (const f of graph.filters) for (const p of f.pins(0)) assert.equal(p.deviceState, KsState.acquire);
  assert.equal(graph.pipes.length, 1);
  assert.ok(!log.some((l) => l.startsWith('delete')));
  refuse.on = false;
  graph.stop();
  await graph.whenIdle();
  assert.equal(log.at(-1), 'delete 1 (3 free)');
});
