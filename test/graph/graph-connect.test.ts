import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nullSink, patternSource } from '../../src/filters/index.js';
import {
  Communication,
  DataFlow,
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  type FilterDescriptor,
  FilterFactory,
  Graph,
  type KsDataFormat,
  type KsDataRange,
  KsState,
  type KsStateValue,
  MemoryType,
  type PinDescriptorEx,
  StateError,
  Status,
  simpleFraming,
} from '../../src/index.js';

const fmt = (subFormat: string, sampleSize = 0): KsDataFormat => ({
  formatSize: 64,
  flags: 0,
  sampleSize,
  majorFormat: DataFormatType.video,
  subFormat,
  specifier: DataFormatSpecifier.none,
});

function pin(over: Partial<PinDescriptorEx>): PinDescriptorEx {
  return {
    dataFlow: DataFlow.in,
    communication: Communication.sink,
    dataRanges: [fmt(DataFormatSubtype.rgb24)],
    instancesPossible: 1,
    instancesNecessary: 0,
    allocatorFraming: null,
    ...over,
  };
}

const outPin = (ranges: KsDataRange[], over: Partial<PinDescriptorEx> = {}) =>
  pin({ dataFlow: DataFlow.out, communication: Communication.source, dataRanges: ranges, ...over });

test('connect: the first output range with a GUID-compatible input range becomes both pins’ connection format', () => {
  const graph = new Graph();
  const a = graph.addFilter({ pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24), fmt(DataFormatSubtype.yuy2)])] });
  const b = graph.addFilter({ pinDescriptors: [pin({ dataRanges: [fmt(DataFormatSubtype.yuy2)] })] });
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.equal(c.format.subFormat, DataFormatSubtype.yuy2);
  assert.equal(c.output.connectionFormat, c.format);
  assert.equal(c.input.connectionFormat, c.format);
  assert.equal(c.output.peer, c.input);
  assert.equal(c.userMode, false);
});

test('connect: setDataFormat noMatch → the next range is tried', () => {
  const graph = new Graph();
  const seen: string[] = [];
  const a = graph.addFilter({
    pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24), fmt(DataFormatSubtype.nv12), fmt(DataFormatSubtype.yuy2)])],
  });
  const b = graph.addFilter({
    pinDescriptors: [
      pin({
        dataRanges: [fmt('00000000-0000-0000-0000-000000000000')].map((r) => ({ ...r, subFormat: r.subFormat })),
        dispatch: {
          setDataFormat: (p) => {
            seen.push(p.connectionFormat!.subFormat);
            return p.connectionFormat!.subFormat === DataFormatSubtype.yuy2 ? Status.success : Status.noMatch;
          },
        },
      }),
    ],
  });
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.deepEqual(seen, [DataFormatSubtype.rgb24, DataFormatSubtype.nv12, DataFormatSubtype.yuy2]);
  assert.equal(c.format.subFormat, DataFormatSubtype.yuy2);
  assert.equal(b.pinCount(0), 1);
  assert.equal(a.pinCount(0), 1);
});

test('connect: the input pin’s intersect handler makes the format (called with the output range as caller range)', () => {
  const graph = new Graph();
  const calls: Array<[unknown, KsDataRange, KsDataRange]> = [];
  const a = graph.addFilter({ pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24)])] });
  const b = graph.addFilter({
    pinDescriptors: [
      pin({
        intersectHandler: (ctx, caller, mine) => {
          calls.push([ctx, caller, mine]);
          return { ...caller, sampleSize: 1234 };
        },
      }),
    ],
  });
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.equal(c.format.sampleSize, 1234);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]![0], b);
  assert.equal(calls[0]![1], a.descriptor.pinDescriptors[0]!.dataRanges[0]);
});

test('connect: no common format → StateError noMatch and no pin instance is left behind', () => {
  const graph = new Graph();
  const a = graph.addFilter({ pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24)])] });
  const b = graph.addFilter({
    pinDescriptors: [pin({ dataRanges: [fmt(DataFormatSubtype.yuy2)] })],
  });
  assert.throws(
    () => graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }),
    (e: unknown) => e instanceof StateError && e.status === Status.noMatch,
  );
  assert.equal(a.pinCount(0), 0);
  assert.equal(b.pinCount(0), 0);
  const d = graph.addFilter({
    pinDescriptors: [pin({ dispatch: { setDataFormat: () => Status.noMatch } })],
  });
  assert.throws(() => graph.connect({ filter: a, pin: 0 }, { filter: d, pin: 0 }), StateError);
  assert.equal(a.pinCount(0), 0);
  assert.equal(d.pinCount(0), 0);
});

test('connect: bad ends are argument errors naming the argument', () => {
  const graph = new Graph();
  const a = graph.addFilter({ pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24)])] });
  const b = graph.addFilter({ pinDescriptors: [pin({})] });
  assert.throws(() => graph.connect({ filter: b, pin: 0 }, { filter: a, pin: 0 }), /from\.pin/);
  assert.throws(() => graph.connect({ filter: a, pin: 3 }, { filter: b, pin: 0 }), RangeError);
  const other = new Graph().addFilter({ pinDescriptors: [pin({})] });
  assert.throws(() => graph.connect({ filter: a, pin: 0 }, { filter: other, pin: 0 }), /to\.filter/);
  assert.throws(() => graph.addFilter({ pinDescriptors: [] }, { id: 'x.y' }), /options\.id/);
});

test('disconnect: the Disconnect dispatch runs and the pins the graph created are closed; reconnect works', () => {
  const graph = new Graph();
  const events: string[] = [];
  const a = graph.addFilter({ pinDescriptors: [outPin([fmt(DataFormatSubtype.rgb24)])] });
  const b = graph.addFilter({
    pinDescriptors: [
      pin({
        dispatch: { connect: () => void events.push('connect'), disconnect: () => void events.push('disconnect') },
      }),
    ],
  });
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  graph.disconnect(c);
  assert.deepEqual(events, ['connect', 'disconnect']);
  assert.equal(a.pinCount(0), 0);
  assert.equal(graph.connections.length, 0);
  graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.equal(graph.connections.length, 1);
});

test('a pin connected to an endpoint is ConnectionIsExternal; kernel-kernel pins are not', () => {
  const graph = new Graph();
  const k = graph.addFilter(nullSink().descriptor, { id: 'k' });
  const app = graph.addSource({ id: 'app' });
  const c = graph.connect(app, { filter: k, pin: 0 });
  assert.equal(c.userMode, true);
  assert.equal(c.input.connectionIsExternal, true);
  assert.equal(app.pin, c.output);
  graph.disconnect(c);
  assert.equal(app.pin, null);
});

test('connect/addFilter outside STOP fail with invalidDeviceState', () => {
  const graph = new Graph();
  const src = patternSource({ count: 1, framing: simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 8, 8) });
  const a = graph.addFilter(src.descriptor);
  const b = graph.addFilter(nullSink().descriptor);
  graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  graph.pause();
  assert.throws(
    () => graph.addFilter(nullSink().descriptor),
    (e: unknown) => e instanceof StateError && e.status === Status.invalidDeviceState,
  );
  graph.stop();
});

/** a → b → c, each recording its pins' SetDeviceState steps. */
function chain(log: string[], refuse?: { filter: string; to: KsStateValue }) {
  const graph = new Graph();
  const mk = (name: string, pins: PinDescriptorEx[]): FilterDescriptor => ({
    pinDescriptors: pins.map((p) => ({
      ...p,
      dispatch: {
        ...p.dispatch,
        setDeviceState: (_pin, to, from) => {
          if (refuse && refuse.filter === name && refuse.to === to) return Status.insufficientResources;
          log.push(`${name}:${from}>${to}`);
          return Status.success;
        },
      },
    })),
  });
  const framing = simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 8, 8);
  const a = graph.addFilter(mk('a', [outPin([fmt(DataFormatSubtype.rgb24)], { allocatorFraming: framing })]), {
    id: 'a',
  });
  const b = graph.addFilter(mk('b', [pin({}), outPin([fmt(DataFormatSubtype.rgb24)])]), { id: 'b' });
  const c = graph.addFilter(mk('c', [pin({})]), { id: 'c' });
  graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  graph.connect({ filter: b, pin: 1 }, { filter: c, pin: 0 });
  return graph;
}

test('state order: up one step at a time with downstream first; down with upstream first', () => {
  const log: string[] = [];
  const graph = chain(log);
  graph.run();
  assert.deepEqual(log, [
    'c:0>1',
    'b:0>1',
    'b:0>1',
    'a:0>1',
    'c:1>2',
    'b:1>2',
    'b:1>2',
    'a:1>2',
    'c:2>3',
    'b:2>3',
    'b:2>3',
    'a:2>3',
  ]);
  log.length = 0;
  graph.stop();
  assert.deepEqual(log, [
    'a:3>2',
    'b:3>2',
    'b:3>2',
    'c:3>2',
    'a:2>1',
    'b:2>1',
    'b:2>1',
    'c:2>1',
    'a:1>0',
    'b:1>0',
    'b:1>0',
    'c:1>0',
  ]);
  assert.equal(graph.state, KsState.stop);
});

test('a pin refusing a step: the pins that took it step back, the graph keeps its state', async () => {
  const log: string[] = [];
  const graph = chain(log, { filter: 'a', to: KsState.pause });
  assert.throws(
    () => graph.run(),
    (e: unknown) => e instanceof StateError && e.status === Status.insufficientResources,
  );
  assert.equal(graph.state, KsState.acquire);
  for (const f of graph.filters)
    for (let t = 0; t < f.pinTypeCount; t++) for (const p of f.pins(t)) assert.equal(p.deviceState, KsState.acquire);
  assert.equal(graph.pipes.length, 2);
  graph.stop();
  await graph.whenIdle();
  assert.equal(graph.pipes.length, 0);
});

test('a pin refusing STOP→ACQUIRE: the pipes just created are torn down and their allocators deleted', async () => {
  const log: string[] = [];
  const graph = chain(log, { filter: 'a', to: KsState.acquire });
  assert.throws(() => graph.setState(KsState.acquire), StateError);
  assert.equal(graph.state, KsState.stop);
  assert.equal(graph.pipes.length, 0);
  assert.deepEqual(log, ['c:0>1', 'b:0>1', 'b:0>1', 'b:1>0', 'b:1>0', 'c:1>0']);
  await graph.whenIdle();
  // Nothing stayed hooked: the graph runs normally afterwards.
  const ok = chain([]);
  ok.run();
  assert.equal(ok.pipes.length, 2);
  ok.stop();
  await ok.whenIdle();
});

test('a pin leaving STOP on its own creates the graph’s pipes; the last pin back to STOP tears them down', async () => {
  const graph = new Graph();
  const src = patternSource({ count: 2, framing: simpleFraming(MemoryType.kernelNonPaged, 0, 2, 0, 8, 8) });
  const sink = nullSink();
  const a = graph.addFilter(src.descriptor);
  const b = graph.addFilter(sink.descriptor);
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  c.input.setState(KsState.run);
  c.output.setState(KsState.run);
  assert.equal(graph.pipes.length, 1);
  assert.equal(sink.counts.frames, 2);
  const allocator = graph.pipes[0]!.allocator;
  c.output.setState(KsState.stop);
  assert.equal(graph.pipes.length, 1);
  c.input.setState(KsState.stop);
  assert.equal(graph.pipes.length, 0);
  await graph.whenIdle();
  assert.equal(allocator.state, 'deleted');
});

test('addFilter takes a factory, a descriptor or a filter; removeFilter disconnects and closes', () => {
  const graph = new Graph();
  const factory = new FilterFactory(nullSink().descriptor);
  const a = graph.addFilter(patternSource({ count: 1 }).descriptor, { id: 'a' });
  const b = graph.addFilter(factory, { id: 'b', context: 42 });
  assert.equal(b.context, 42);
  assert.equal(b.factory, factory);
  const own = factory.createFilter();
  const c = graph.addFilter(own, { id: 'c' });
  assert.equal(c, own);
  assert.throws(() => graph.addFilter(own), TypeError);
  assert.throws(() => graph.addFilter(nullSink().descriptor, { id: 'a' }), /options\.id/);
  assert.equal(graph.idOf(b), 'b');
  assert.equal(graph.filterById('c'), c);
  graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  graph.removeFilter(b);
  assert.equal(graph.connections.length, 0);
  assert.equal(a.pinCount(0), 0);
  assert.equal(b.isOpen, false);
  assert.deepEqual(graph.filters, [a, c]);
  graph.removeFilter(c); // not created by the graph: stays open
  assert.equal(c.isOpen, true);
});

test('close(): stops, removes every filter and endpoint, closes what the graph created', async () => {
  const graph = new Graph();
  const a = graph.addFilter(patternSource({ count: 3 }).descriptor);
  const app = graph.addSink();
  graph.connect({ filter: a, pin: 0 }, app);
  graph.run();
  const allocator = graph.pipes[0]!.allocator;
  graph.close();
  await graph.whenIdle();
  assert.equal(allocator.state, 'deleted');
  assert.equal(graph.filters.length, 0);
  assert.equal(a.isOpen, false);
  assert.equal(app.filter.isOpen, false);
  assert.equal(graph.state, KsState.stop);
});
