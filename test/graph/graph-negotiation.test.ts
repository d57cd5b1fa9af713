import assert from 'node:assert/strict';
import { test } from 'node:test';
import { copyTransform, nullSink, patternSource, xorTransform } from '../../src/filters/index.js';
import {
  type AllocatorCapabilities,
  type AllocatorFramingEx,
  type FilterDescriptor,
  Graph,
  KsState,
  MemoryType,
  NegotiationError,
  RequirementFlags,
  Status,
  simpleFraming,
} from '../../src/index.js';
import { recordingVendor, teeDescriptor } from './graph-helpers.js';

const nonPaged = (frames: number, size: number, flags = 0, align = 0): AllocatorFramingEx =>
  simpleFraming(MemoryType.kernelNonPaged, flags, frames, align, size, size);

/** A framing whose physical (hard) range is exactly `size`. */
const hardSize = (frames: number, size: number): AllocatorFramingEx => {
  const f = nonPaged(frames, size);
  f.items[0]!.physicalRange = { minFrameSize: size, maxFrameSize: size, stepping: 1 };
  return f;
};

const CAPS: AllocatorCapabilities = {
  memoryTypes: [MemoryType.kernelNonPaged],
  sizeRange: { minFrameSize: 1, maxFrameSize: 65536, stepping: 1 },
  fileAlignment: 0xfff,
  maxFrames: 32,
};

function withFraming(d: FilterDescriptor, pin: number, framing: AllocatorFramingEx | null): FilterDescriptor {
  return {
    ...d,
    pinDescriptors: d.pinDescriptors.map((p, i) => (i === pin ? { ...p, allocatorFraming: framing } : p)),
  };
}

function camToSink(
  caps: AllocatorCapabilities,
  camFraming: AllocatorFramingEx,
  sinkFraming: AllocatorFramingEx | null,
) {
  const vendor = recordingVendor();
  const graph = new Graph();
  const src = patternSource({ count: 5, framing: camFraming, allocator: vendor.dispatch, allocatorCapabilities: caps });
  const sink = nullSink();
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const dst = graph.addFilter(withFraming(sink.descriptor, 0, sinkFraming), { id: 'sink' });
  graph.connect({ filter: cam, pin: 0 }, { filter: dst, pin: 0 });
  return { graph, vendor, sink, cam, dst };
}

test('negotiate() has no side effect: no allocator is created, no vendor callback runs', () => {
  const { graph, vendor } = camToSink(CAPS, nonPaged(4, 512), null);
  const record = graph.negotiate();
  assert.equal(record.pipes[0]!.allocator?.kind, 'vendor');
  assert.deepEqual(vendor.calls, []);
  assert.equal(graph.pipes.length, 0);
  assert.equal(graph.record, null);
  assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
});

test('vendor allocator chosen on a kernel pipe: initialized with the record framing at its pin, deleted at STOP', async () => {
  const { graph, vendor, sink, cam } = camToSink(CAPS, nonPaged(4, 512), nonPaged(2, 512));
  const record = graph.negotiate();
  const pipe = record.pipes[0]!;
  assert.equal(pipe.mode, 'kernel');
  assert.deepEqual(pipe.allocator, {
    kind: 'vendor',
    id: 'cam.out0',
    pin: 'cam.out0',
    place: 'firstPin',
    mode: 'kernel',
  });
  assert.equal(pipe.requester.pin, 'cam.out0');
  graph.run();
  assert.equal(graph.pipes[0]!.allocator.kind, 'vendor');
  assert.equal(graph.pipes[0]!.allocatorPin, cam.pins(0)[0]);
  assert.deepEqual(vendor.framings[0], pipe.framing);
  assert.equal(sink.counts.frames, 5);
  graph.stop();
  await graph.whenIdle();
  assert.equal(vendor.calls[0], 'initialize');
  assert.equal(vendor.calls.at(-1), 'delete');
  assert.equal(vendor.calls.filter((c) => c === 'allocate').length >= 4, true);
});

test('vendor allocator not chosen with a user-mode end (a source endpoint upstream)', async () => {
  const vendor = recordingVendor();
  const graph = new Graph();
  const app = graph.addSource({ id: 'app', frameSize: 16 });
  const sink = nullSink();
  const dst = graph.addFilter(
    {
      ...sink.descriptor,
      pinDescriptors: [
        {
          ...sink.descriptor.pinDescriptors[0]!,
          dispatch: { ...sink.descriptor.pinDescriptors[0]!.dispatch, allocator: vendor.dispatch },
        },
      ],
    },
    { id: 'sink' },
  );
  graph.connect(app, { filter: dst, pin: 0 });
  const pipe = graph.negotiate().pipes[0]!;
  assert.equal(pipe.allocator?.kind, 'user');
  assert.equal(pipe.candidates.find((c) => c.kind === 'vendor')?.rejections[0]?.rule, 'userModePipe');
  graph.run();
  await app.write(new Uint8Array(16).fill(7));
  await app.close();
  assert.equal(sink.counts.frames, 2); // the data frame and the zero-length end of stream
  assert.equal(sink.counts.endOfStream, true);
  graph.stop();
  await graph.whenIdle();
  assert.deepEqual(vendor.calls, []);
});

for (const [name, caps, camFraming, rule, field, required, offered] of [
  [
    'alignment',
    { ...CAPS, fileAlignment: 0x3 },
    nonPaged(4, 512, 0, 0xff),
    'vendorAlignment',
    'fileAlignment',
    0xff,
    0x3,
  ],
  [
    'frame size',
    { ...CAPS, sizeRange: { minFrameSize: 1, maxFrameSize: 100, stepping: 1 } },
    hardSize(4, 512),
    'vendorFrameSize',
    'frameSize',
    { minFrameSize: 512, maxFrameSize: 512, stepping: 1 },
    { minFrameSize: 1, maxFrameSize: 100, stepping: 1 },
  ],
  [
    'memory type',
    { ...CAPS, memoryTypes: [MemoryType.kernelPaged] },
    nonPaged(4, 512),
    'vendorMemoryType',
    'memoryType',
    MemoryType.kernelNonPaged,
    [MemoryType.kernelPaged],
  ],
] as const) {
  test(`vendor allocator rejected on ${name}: the reason is in the record, the default allocator runs the pipe`, async () => {
    const { graph, vendor, sink } = camToSink(caps as AllocatorCapabilities, camFraming, null);
    const pipe = graph.negotiate().pipes[0]!;
    const candidate = pipe.candidates.find((c) => c.kind === 'vendor')!;
    assert.equal(candidate.outcome, 'rejected');
    const r = candidate.rejections.find((x) => x.rule === rule);
    assert.ok(r, JSON.stringify(candidate.rejections));
    assert.equal(r.field, field);
    assert.equal(r.pin, 'cam.out0');
    assert.deepEqual(r.required, required);
    assert.deepEqual(r.offered, offered);
    assert.equal(pipe.allocator?.kind, 'default');
    graph.run();
    assert.equal(graph.pipes[0]!.allocator.kind, 'default');
    assert.equal(sink.counts.frames, 5);
    graph.stop();
    await graph.whenIdle();
    assert.deepEqual(vendor.calls, []);
  });
}

test('MUST_ALLOCATE placement: the allocator sits at the insisting pin (its vendor allocator there is used)', async () => {
  const camVendor = recordingVendor();
  const sinkVendor = recordingVendor();
  const graph = new Graph();
  const src = patternSource({
    count: 3,
    framing: nonPaged(2, 64),
    allocator: camVendor.dispatch,
    allocatorCapabilities: CAPS,
  });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const sink = nullSink();
  const sd = sink.descriptor.pinDescriptors[0]!;
  const dst = graph.addFilter(
    {
      ...sink.descriptor,
      pinDescriptors: [
        {
          ...sd,
          allocatorFraming: nonPaged(2, 64, RequirementFlags.mustAllocate),
          dispatch: { ...sd.dispatch, allocator: sinkVendor.dispatch, allocatorCapabilities: CAPS },
        },
      ],
    },
    { id: 'sink' },
  );
  graph.connect({ filter: cam, pin: 0 }, { filter: dst, pin: 0 });
  const pipe = graph.negotiate().pipes[0]!;
  assert.deepEqual(pipe.mustAllocate, { pin: 'sink.in0', preference: false });
  assert.equal(pipe.allocator?.pin, 'sink.in0');
  assert.equal(pipe.allocator?.place, 'lastPin');
  assert.equal(pipe.allocator?.kind, 'vendor');
  assert.equal(pipe.requester.pin, 'cam.out0');
  graph.run();
  assert.equal(graph.pipes[0]!.allocatorPin, dst.pins(0)[0]);
  assert.equal(graph.pipes[0]!.sourcePin, cam.pins(0)[0]);
  assert.equal(sinkVendor.pins[0], dst.pins(0)[0]);
  assert.equal(sink.counts.frames, 3);
  graph.stop();
  await graph.whenIdle();
  assert.deepEqual(camVendor.calls, []);
  assert.equal(sinkVendor.calls.at(-1), 'delete');
});

test("decoder compression: the next pipe's frame size is carried through the decoder's ratio", () => {
  const graph = new Graph();
  const src = patternSource({ count: 1, framing: nonPaged(2, 1000) });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const decoderOut = nonPaged(3, 1);
  decoderOut.outputCompression = { ratioNumerator: 4, ratioDenominator: 1, ratioConstantMargin: 0 };
  decoderOut.items[0]!.framingRange.range = { minFrameSize: 1, maxFrameSize: 0xffffffff, stepping: 1 };
  const dec = graph.addFilter(copyTransform({ inputFraming: nonPaged(3, 1000), outputFraming: decoderOut }), {
    id: 'dec',
  });
  const app = graph.addSink({ id: 'app' });
  graph.connect({ filter: cam, pin: 0 }, { filter: dec, pin: 0 });
  graph.connect({ filter: dec, pin: 1 }, app);
  const record = graph.negotiate();
  assert.equal(record.pipes.length, 2);
  const p1 = record.pipes[1]!;
  assert.equal(p1.size.carried?.pin, 'dec.out1');
  assert.equal(p1.size.carried?.size, 4000);
  assert.equal(p1.framing?.frameSize, 4000);
  assert.deepEqual(p1.prevSegments, ['pipe0']);
});

test('splitter branches: a branch into an in-place modifier is the source of its own pipe (branchOf), filled by copy', async () => {
  const graph = new Graph();
  const tee = teeDescriptor({ framing: nonPaged(2, 8), instances: 3 });
  const src = patternSource({ count: 6, framing: nonPaged(2, 8) });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const t = graph.addFilter(tee, { id: 'tee' });
  const x = graph.addFilter(xorTransform({ key: 1 }), { id: 'x' });
  const a = graph.addSink({ id: 'a' });
  const b = graph.addSink({ id: 'b' });
  graph.connect({ filter: cam, pin: 0 }, { filter: t, pin: 0 });
  graph.connect({ filter: t, pin: 1 }, a);
  graph.connect({ filter: t, pin: 1 }, { filter: x, pin: 0 });
  graph.connect({ filter: x, pin: 1 }, b);
  const record = graph.negotiate();
  assert.deepEqual(
    record.pipes.map((p) => p.pins),
    [
      ['cam.out0', 'tee.in0'],
      ['tee.out1', 'a.in0'],
      ['tee.out1', 'x.in0', 'x.out1', 'b.in0'],
    ],
  );
  assert.deepEqual(record.pipes[1]!.prevSegments, ['pipe0']);
  assert.equal(record.pipes[2]!.branchOf, 'pipe1');
  assert.equal(record.pipes[2]!.requirements[0]!.role, 'copySource');
  graph.run();
  const outs = t.pins(1);
  assert.equal(graph.pipes[2]!.sourcePin, outs[1], 'the copy branch instance is the requester of its pipe');
  const branch = t._processPinOf(outs[1]!)!;
  assert.equal(branch.copySource, t._processPinOf(outs[0]!));
  assert.equal(branch.delegateBranch, null);
  const fromA: number[] = [];
  const fromB: number[] = [];
  const readAll = async (sink: typeof a, into: number[]) => {
    for await (const f of sink) into.push(f.data[0]!);
  };
  await Promise.all([readAll(a, fromA), readAll(b, fromB)]);
  assert.equal(fromA.length, 6);
  assert.deepEqual(
    fromB,
    fromA.map((v) => v ^ 1),
  );
  const pipes = [...graph.pipes];
  graph.stop();
  await graph.whenIdle();
  for (const p of pipes) assert.equal(p.allocator.state, 'deleted');
});

test('frame budget: a graph that would deadlock is caught before RUN, naming the holders', () => {
  const graph = new Graph();
  // The camera's DMA ring has 3 frames at most; the consumer keeps 4 → the pipe could never move again.
  const src = patternSource({ count: 5, framing: nonPaged(2, 64), frameHolding: { maxFrames: 3 } });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const app = graph.addSink({ id: 'app', maxHeld: 4 });
  graph.connect({ filter: cam, pin: 0 }, app);
  assert.throws(
    () => graph.run(),
    (e: unknown) =>
      e instanceof NegotiationError &&
      e.rule === 'frameBudget' &&
      e.pin === 'app.in0' &&
      e.status === Status.insufficientResources,
  );
  assert.equal(graph.state, KsState.stop);
  assert.equal(cam.pins(0)[0]!.deviceState, KsState.stop);
});

test('frame budget: the count is raised above what the holders keep, and the graph runs without stalling', async () => {
  const graph = new Graph();
  const src = patternSource({ count: 12, framing: nonPaged(2, 64) });
  const cam = graph.addFilter(src.descriptor, { id: 'cam' });
  const app = graph.addSink({ id: 'app', maxHeld: 3 });
  graph.connect({ filter: cam, pin: 0 }, app);
  const pipe = graph.negotiate().pipes[0]!;
  assert.equal(pipe.frames.held, 3);
  assert.equal(pipe.frames.frames, 4);
  assert.equal(pipe.frames.budgetRaise, 2);
  graph.run();
  // The consumer keeps 3 frames before releasing any: with 4 frames the source still moves.
  const kept = [];
  for (let i = 0; i < 3; i++) {
    const r = await app.read();
    assert.equal(r.done, false);
    kept.push(r.value!);
  }
  assert.equal(src.counts.frames, 4);
  for (const f of kept) f.release();
  let n = 3;
  for await (const _ of app) n++;
  assert.equal(n, 12);
  graph.stop();
  await graph.whenIdle();
});

test('describe(): the instance framing after KsEdit, user-mode ends and declared holdings', () => {
  const graph = new Graph();
  const src = patternSource({ framing: nonPaged(2, 64) });
  const pd = src.descriptor.pinDescriptors[0]!;
  const cam = graph.addFilter(
    {
      ...src.descriptor,
      pinDescriptors: [
        {
          ...pd,
          dispatch: {
            ...pd.dispatch,
            create: (pin) => {
              pin.editAllocatorFraming().items[0]!.frames = 7;
            },
          },
        },
      ],
    },
    { id: 'cam' },
  );
  const app = graph.addSink({ id: 'app', maxHeld: 2 });
  graph.connect({ filter: cam, pin: 0 }, app);
  const d = graph.describe();
  assert.equal(d.filters[0]!.pins[0]!.allocatorFraming!.items[0]!.frames, 7);
  assert.equal(pd.allocatorFraming!.items[0]!.frames, 2);
  assert.equal(d.filters[1]!.userMode, true);
  assert.deepEqual(d.filters[1]!.pins[0]!.frameHolding, { trailingWindow: 2 });
  assert.deepEqual(d.connections, [{ from: 'cam.out0', to: 'app.in0' }]);
  assert.equal(graph.negotiate().pipes[0]!.frames.frames, 7);
});
