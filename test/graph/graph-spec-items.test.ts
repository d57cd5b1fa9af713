import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyTransform, nullSink, patternByte, patternSource } from '../../src/filters/index.js';
import {
  AllocatorError,
  Graph,
  KsState,
  MemoryType,
  NegotiationError,
  RequirementFlags,
  Status,
  simpleFraming,
} from '../../src/index.js';
import { recordingVendor } from './graph-helpers.js';

const kernelFraming = (frames: number, size: number, flags = 0) =>
  simpleFraming(MemoryType.kernelNonPaged, flags, frames, 0, size, size);

/** cam (vendor allocator, optional) → sink (kernel), all kernel-mode. */
function kernelGraph(vendor: ReturnType<typeof recordingVendor> | null, sinkFraming = kernelFraming(0, 256)) {
  const graph = new Graph();
  const src = patternSource({
    count: 10,
    framing: kernelFraming(4, 256),
    allocator: vendor?.dispatch ?? null,
    allocatorCapabilities: {
      memoryTypes: [MemoryType.kernelNonPaged],
      sizeRange: { minFrameSize: 1, maxFrameSize: 4096, stepping: 1 },
      fileAlignment: 0xfff,
      maxFrames: 16,
    },
  });
  const sink = nullSink();
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const dst = graph.addFilter(
    { ...sink.descriptor, pinDescriptors: [{ ...sink.descriptor.pinDescriptors[0]!, allocatorFraming: sinkFraming }] },
    { id: 'sink' },
  );
  graph.connect({ filter: cam, pin: 0 }, { filter: dst, pin: 0 });
  return { graph, src, sink };
}

test('§9 item 1: an unselected vendor allocator is never initialized, allocated from, freed or deleted', async () => {
  const vendor = recordingVendor();
  // The sink insists on allocating (MUST_ALLOCATE): the default allocator sits there, the vendor is not selected.
  const { graph, sink } = kernelGraph(vendor, kernelFraming(0, 256, RequirementFlags.mustAllocate));
  const record = graph.negotiate();
  const pipe = record.pipes[0]!;
  assert.equal(pipe.allocator?.kind, 'default');
  assert.equal(pipe.allocator?.pin, 'sink.in0');
  const vendorCandidate = pipe.candidates.find((c) => c.kind === 'vendor');
  assert.notEqual(vendorCandidate?.outcome, 'selected');
  graph.run();
  assert.equal(sink.counts.frames, 10);
  assert.equal(sink.counts.endOfStream, true);
  const allocator = graph.pipes[0]!.allocator;
  graph.stop();
  await graph.whenIdle();
  assert.equal(allocator.state, 'deleted');
  assert.equal(allocator.status().allocatedFrames, 0);
  assert.deepEqual(vendor.calls, []);
});

test('§9 item 2: no vendor allocator on a pipe with a user-mode end; its frames never reach user mode', async () => {
  const vendor = recordingVendor();
  const graph = new Graph();
  const src = patternSource({ count: 6, framing: kernelFraming(3, 128), allocator: vendor.dispatch });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const app = graph.addSink({ id: 'app' });
  graph.connect({ filter: cam, pin: 0 }, app);
  const pipe = graph.negotiate().pipes[0]!;
  assert.equal(pipe.mode, 'user');
  assert.equal(pipe.allocator?.kind, 'user');
  const rejected = pipe.candidates.find((c) => c.kind === 'vendor');
  assert.equal(rejected?.outcome, 'rejected');
  assert.equal(rejected?.rejections[0]?.rule, 'userModePipe');
  graph.run();
  assert.equal(graph.pipes[0]!.allocator.kind, 'user');
  let n = 0;
  for await (const frame of app) {
    assert.equal(vendor.buffers.has(frame.data), false);
    n++;
  }
  assert.equal(n, 6);
  graph.stop();
  await graph.whenIdle();
  assert.deepEqual(vendor.calls, []);
});

test('§9 item 3: the context from InitializeAllocator reaches every Allocate/Free/DeleteAllocator unchanged', async () => {
  const vendor = recordingVendor();
  const { graph, sink } = kernelGraph(vendor);
  assert.equal(graph.negotiate().pipes[0]!.allocator?.kind, 'vendor');
  graph.run();
  assert.equal(sink.counts.frames, 10);
  graph.stop();
  await graph.whenIdle();
  assert.equal(vendor.calls[0], 'initialize');
  assert.equal(vendor.calls.at(-1), 'delete');
  const context = vendor.contexts[0];
  assert.ok(vendor.contexts.length > 3);
  for (const c of vendor.contexts) assert.equal(c, context);
});

test('§9 item 4: initialize gets the legacy KSALLOCATOR_FRAMING; its error aborts pipe creation; nothing after delete', async () => {
  const vendor = recordingVendor();
  const { graph } = kernelGraph(vendor);
  const record = graph.negotiate();
  vendor.failWith = Status.insufficientResources;
  assert.throws(
    () => graph.run(),
    (e: unknown) => e instanceof AllocatorError && e.status === Status.insufficientResources,
  );
  // The legacy framing (6 fields), exactly the record's resolved framing.
  assert.deepEqual(Object.keys(vendor.framings[0]!).sort(), [
    'fileAlignment',
    'frameSize',
    'frames',
    'optionsFlags',
    'poolType',
    'reserved',
  ]);
  assert.deepEqual(vendor.framings[0], record.pipes[0]!.framing);
  assert.equal(vendor.pins[0], graph.filterById('cam')!.pins(0)[0]);
  // Pipe creation aborted: the graph and every pin stay in STOP, no pipe, nothing allocated or deleted.
  assert.equal(graph.state, KsState.stop);
  assert.equal(graph.pipes.length, 0);
  for (const f of graph.filters) for (const p of f.pins(0)) assert.equal(p.deviceState, KsState.stop);
  assert.deepEqual(vendor.calls, ['initialize']);
  // A successful run, then stop: DeleteAllocator is the last call, and nothing follows it.
  vendor.failWith = null;
  graph.run();
  graph.stop();
  await graph.whenIdle();
  assert.equal(vendor.calls.at(-1), 'delete');
  const after = vendor.calls.length;
  graph.filterById('cam')!.pins(0)[0]!.queue!.flush(Status.cancelled);
  await graph.whenIdle();
  assert.equal(vendor.calls.length, after);
});

test('§9 item 4: a failing second pipe rolls back the allocator already created for the first', async () => {
  const vendor = recordingVendor();
  const graph = new Graph();
  const app = graph.addSource({ id: 'app', frameSize: 64 });
  const sink = nullSink();
  const copyLike = patternSource({ count: 20, framing: kernelFraming(2, 64), allocator: vendor.dispatch });
  // Two independent pipes: app → sink1 (user memory) and cam → sink2 (vendor, fails).
  const s1 = graph.addFilter(sink.descriptor, { id: 's1' });
  const cam = graph.addFilter(copyLike.descriptor, { id: 'cam' });
  const s2 = graph.addFilter(nullSink().descriptor, { id: 's2' });
  graph.connect(app, { filter: s1, pin: 0 });
  graph.connect({ filter: cam, pin: 0 }, { filter: s2, pin: 0 });
  vendor.failWith = Status.insufficientResources;
  let firstAllocator: unknown = null;
  assert.throws(() => graph.run(), AllocatorError);
  assert.equal(graph.pipes.length, 0);
  assert.equal(firstAllocator, null);
  // Nothing of the failed attempt is still hooked: a good run works and stops cleanly.
  vendor.failWith = null;
  graph.run();
  firstAllocator = graph.pipes[0]!.allocator;
  graph.stop();
  await graph.whenIdle();
  assert.equal((firstAllocator as { state: string }).state, 'deleted');
});

test('§9 item 5: Allocate → NULL is a recoverable shortage: no frame queued, the pipe resumes on a free', async () => {
  const vendor = recordingVendor();
  vendor.starve = true;
  const { graph, src, sink } = kernelGraph(vendor);
  graph.run();
  assert.equal(src.counts.frames, 0);
  assert.equal(graph.filterById('cam')!.pins(0)[0]!.queue!.length, 0);
  assert.ok(graph.pipes[0]!.requester.stalls > 0);
  vendor.starve = false;
  graph.pipes[0]!.requester.fill();
  assert.equal(sink.counts.frames, 10);
  graph.stop();
  await graph.whenIdle();
  assert.equal(vendor.calls.at(-1), 'delete');
});

test('§9 item 6: outstanding frames never exceed the resolved Frames (the source stalls instead)', async () => {
  const graph = new Graph();
  const src = patternSource({ count: 50, framing: kernelFraming(3, 32) });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const app = graph.addSink({ id: 'app', maxHeld: 2 });
  graph.connect({ filter: cam, pin: 0 }, app);
  graph.run();
  const pipe = graph.pipes[0]!;
  const frames = pipe.decision.framing!.frames;
  let n = 0;
  let maxOut = 0;
  for await (const f of app) {
    maxOut = Math.max(maxOut, pipe.allocator.status().allocatedFrames);
    assert.ok(f.dataUsed > 0);
    n++;
  }
  assert.equal(n, 50);
  assert.ok(maxOut <= frames);
  assert.equal(pipe.allocator.status().highWaterMark <= frames, true);
  graph.stop();
  await graph.whenIdle();
  assert.equal(pipe.allocator.status().allocatedFrames, 0);
});

test('a failed negotiation fails STOP→ACQUIRE with the NegotiationError; the graph stays in STOP', () => {
  const graph = new Graph({ negotiation: { enforceInputPinRanges: true } });
  const src = patternSource({
    framing: simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 100, 100),
  });
  const cam = graph.addFilter(
    {
      ...src.descriptor,
      pinDescriptors: [
        {
          ...src.descriptor.pinDescriptors[0]!,
          allocatorFraming: {
            ...src.descriptor.pinDescriptors[0]!.allocatorFraming!,
            items: [
              {
                ...src.descriptor.pinDescriptors[0]!.allocatorFraming!.items[0]!,
                physicalRange: { minFrameSize: 100, maxFrameSize: 100, stepping: 1 },
              },
            ],
          },
        },
      ],
    },
    { id: 'cam' },
  );
  const sinkFraming = simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 200, 200);
  sinkFraming.items[0]!.physicalRange = { minFrameSize: 200, maxFrameSize: 200, stepping: 1 };
  const sink = nullSink();
  const dst = graph.addFilter(
    { ...sink.descriptor, pinDescriptors: [{ ...sink.descriptor.pinDescriptors[0]!, allocatorFraming: sinkFraming }] },
    { id: 'sink' },
  );
  graph.connect({ filter: cam, pin: 0 }, { filter: dst, pin: 0 });
  assert.throws(
    () => graph.setState(KsState.acquire),
    (e: unknown) =>
      e instanceof NegotiationError &&
      e.pin === 'sink.in0' &&
      e.rule === 'physicalRange' &&
      e.record.failures.length > 0,
  );
  assert.equal(graph.state, KsState.stop);
  assert.equal(graph.pipes.length, 0);
});

test('§9 item 2: a vendor allocator on the kernel pipe before a copy: its frames stay there, user mode gets copies', async () => {
  const vendor = recordingVendor();
  const graph = new Graph();
  const src = patternSource({ count: 8, framing: kernelFraming(3, 32), allocator: vendor.dispatch });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const copy = graph.addFilter(copyTransform(), { id: 'copy' });
  const app = graph.addSink({ id: 'app' });
  graph.connect({ filter: cam, pin: 0 }, { filter: copy, pin: 0 });
  graph.connect({ filter: copy, pin: 1 }, app);
  const record = graph.negotiate();
  assert.deepEqual(
    record.pipes.map((p) => [p.mode, p.allocator?.kind]),
    [
      ['kernel', 'vendor'],
      ['user', 'user'],
    ],
  );
  graph.run();
  let n = 0;
  for await (const frame of app) {
    assert.equal(vendor.buffers.has(frame.data), false);
    for (const b of vendor.buffers) assert.notEqual(frame.data.buffer, b.buffer);
    assert.equal(frame.data[5], patternByte(n, 5));
    n++;
  }
  assert.equal(n, 8);
  graph.stop();
  await graph.whenIdle();
  assert.equal(vendor.calls[0], 'initialize');
  assert.equal(vendor.calls.at(-1), 'delete');
});
