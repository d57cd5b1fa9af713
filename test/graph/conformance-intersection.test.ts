import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Communication,
  DataFlow,
  type DataFlowValue,
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  Graph,
  GUID_NULL,
  type KsDataFormat,
  type KsDataRange,
  type PinDescriptorEx,
  PinFlags,
  StateError,
  Status,
} from '../../src/index.js';

// Conformance: data-format intersection when connecting (spec §3.1: IntersectHandler NULL ⇒ only SPECIFIER_NONE
// ranges; docs/graph.md "Connections and data-format intersection").

const range = (subFormat: string, specifier: string): KsDataRange => ({
  formatSize: 64,
  flags: 0,
  sampleSize: 0,
  majorFormat: DataFormatType.video,
  subFormat,
  specifier,
});

function pinType(dataFlow: DataFlowValue, ranges: KsDataRange[], over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return {
    dataFlow,
    communication: dataFlow === DataFlow.out ? Communication.source : Communication.sink,
    dataRanges: ranges,
    instancesPossible: 1,
    instancesNecessary: 0,
    allocatorFraming: null,
    ...over,
  };
}

function pair(outRanges: KsDataRange[], inRanges: KsDataRange[], outOver = {}, inOver = {}) {
  const graph = new Graph();
  const a = graph.addFilter({ pinDescriptors: [pinType(DataFlow.out, outRanges, outOver)] }, { id: 'a' });
  const b = graph.addFilter({ pinDescriptors: [pinType(DataFlow.in, inRanges, inOver)] }, { id: 'b' });
  return { graph, a, b };
}

const noMatch = (e: unknown) => e instanceof StateError && e.status === Status.noMatch;

test('intersection without a handler serves only SPECIFIER_NONE ranges: concrete VIDEOINFO ranges do not connect', () => {
  const vi = range(DataFormatSubtype.rgb24, DataFormatSpecifier.videoInfo);
  const { graph, a, b } = pair([vi], [vi]);
  assert.throws(() => graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }), noMatch);
  assert.equal(a.pinCount(0), 0);
  assert.equal(b.pinCount(0), 0);
});

test('intersection without a handler: a wildcard specifier against a concrete VIDEOINFO range does not connect', () => {
  const { graph, a, b } = pair(
    [range(DataFormatSubtype.rgb24, GUID_NULL)],
    [range(DataFormatSubtype.rgb24, DataFormatSpecifier.videoInfo)],
  );
  assert.throws(() => graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }), noMatch);
});

test('intersection without a handler: the next SPECIFIER_NONE range pair is used after a VIDEOINFO pair', () => {
  const none = range(DataFormatSubtype.yuy2, DataFormatSpecifier.none);
  const { graph, a, b } = pair(
    [range(DataFormatSubtype.rgb24, DataFormatSpecifier.videoInfo), none],
    [range(DataFormatSubtype.rgb24, DataFormatSpecifier.videoInfo), none],
  );
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.equal(c.format.subFormat, DataFormatSubtype.yuy2);
  assert.equal(c.format.specifier, DataFormatSpecifier.none);
});

test('intersection with a handler: a VIDEOINFO range pair connects through the handler’s format', () => {
  const vi = range(DataFormatSubtype.rgb24, DataFormatSpecifier.videoInfo);
  const made: KsDataFormat = { ...vi, formatSize: 64 + 88, sampleSize: 640 * 480 * 3 };
  const { graph, a, b } = pair([vi], [vi], {}, { intersectHandler: () => made });
  const c = graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 });
  assert.equal(c.format, made);
});

// Connecting existing pin instances (docs/graph.md: an existing pin's format is used; the other side must accept it).

const wild = range(GUID_NULL, DataFormatSpecifier.none);
const rgb = range(DataFormatSubtype.rgb24, DataFormatSpecifier.none);
const yuy2 = range(DataFormatSubtype.yuy2, DataFormatSpecifier.none);
const nv12 = range(DataFormatSubtype.nv12, DataFormatSpecifier.none);

test('two existing pins: the input is set to the output’s format (SetDataFormat with its old format)', () => {
  const calls: Array<string | undefined> = [];
  const { graph, a, b } = pair(
    [wild],
    [wild],
    {},
    {
      dispatch: {
        setDataFormat: (_pin: unknown, old: KsDataFormat | null) => {
          calls.push(old?.subFormat);
          return Status.success;
        },
      },
    },
  );
  const output = a.createPin(0, rgb);
  const input = b.createPin(0, yuy2);
  calls.length = 0;
  const c = graph.connect(output, input);
  assert.equal(c.format, rgb);
  assert.equal(output.connectionFormat, rgb);
  assert.equal(input.connectionFormat, rgb);
  assert.deepEqual(calls, [DataFormatSubtype.yuy2]);
});

test('two existing pins whose formats the input cannot take: noMatch, the input keeps its format, nothing connected', () => {
  const { graph, a, b } = pair([wild], [yuy2]);
  const output = a.createPin(0, rgb);
  const input = b.createPin(0, yuy2);
  assert.throws(() => graph.connect(output, input), noMatch);
  assert.equal(input.connectionFormat, yuy2);
  assert.equal(output.connectionFormat, rgb);
  assert.equal(output.peer, null);
  assert.equal(graph.connections.length, 0);
});

test('options.format with an existing pin: that pin must accept the format too, else noMatch and it keeps its own', () => {
  const { graph, a, b } = pair([rgb], [wild]);
  const output = a.createPin(0, rgb);
  assert.throws(() => graph.connect(output, { filter: b, pin: 0 }, { format: nv12 }), noMatch);
  assert.equal(output.connectionFormat, rgb);
  assert.equal(b.pinCount(0), 0);
  const ok = pair([wild], [wild]);
  const out2 = ok.a.createPin(0, rgb);
  const c = ok.graph.connect(out2, { filter: ok.b, pin: 0 }, { format: nv12 });
  assert.equal(out2.connectionFormat, nv12);
  assert.equal(c.input.connectionFormat, nv12);
});

test('an existing FIXED_FORMAT input with another format: the connection fails with invalidDeviceRequest', () => {
  const { graph, a, b } = pair([wild], [wild], {}, { flags: PinFlags.fixedFormat });
  const output = a.createPin(0, rgb);
  const input = b.createPin(0, yuy2);
  assert.throws(
    () => graph.connect(output, input),
    (e: unknown) => e instanceof StateError && e.status === Status.invalidDeviceRequest,
  );
  assert.equal(input.connectionFormat, yuy2);
  assert.equal(output.peer, null);
});

// Connections that would close a cycle (the negotiation needs an acyclic graph, docs/negotiation.md §1).

function transform(): PinDescriptorEx[] {
  return [pinType(DataFlow.in, [wild]), pinType(DataFlow.out, [wild])];
}

test('connect refuses a connection closing a cycle (or a filter into itself): TypeError naming `to`, nothing created', () => {
  const graph = new Graph();
  const a = graph.addFilter({ pinDescriptors: transform() }, { id: 'a' });
  const b = graph.addFilter({ pinDescriptors: transform() }, { id: 'b' });
  const c = graph.addFilter({ pinDescriptors: transform() }, { id: 'c' });
  graph.connect({ filter: a, pin: 1 }, { filter: b, pin: 0 });
  graph.connect({ filter: b, pin: 1 }, { filter: c, pin: 0 });
  assert.throws(
    () => graph.connect({ filter: c, pin: 1 }, { filter: a, pin: 0 }),
    (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /^to: .* is not allowed; expected .*cycle/);
      return true;
    },
  );
  assert.throws(() => graph.connect({ filter: c, pin: 1 }, { filter: c, pin: 0 }), /^TypeError: to: /);
  assert.equal(c.pinCount(1), 0);
  assert.equal(a.pinCount(0), 0);
  assert.equal(graph.connections.length, 2);
  assert.doesNotThrow(() => graph.negotiate());
});

// KsPinDataIntersection: the handler is called for each range "until either a match is found or an error occurs".

test('an intersect handler error (not noMatch) stops the intersection: connect fails with that status, nothing created', () => {
  const calls: string[] = [];
  const { graph, a, b } = pair(
    [rgb, yuy2],
    [wild],
    {},
    {
      intersectHandler: (_ctx: unknown, caller: KsDataRange) => {
        calls.push(caller.subFormat);
        return caller.subFormat === DataFormatSubtype.rgb24 ? Status.insufficientResources : caller;
      },
    },
  );
  assert.throws(
    () => graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }),
    (e: unknown) => {
      assert.ok(e instanceof StateError);
      assert.equal(e.status, Status.insufficientResources);
      assert.match(e.message, /intersect handler .*insufficientResources/);
      return true;
    },
  );
  assert.deepEqual(calls, [DataFormatSubtype.rgb24], 'the next range pair is not tried');
  assert.equal(a.pinCount(0), 0);
  assert.equal(b.pinCount(0), 0);
});

test('an intersect handler returning noMatch only skips that pair: the next range pair is tried', () => {
  const { graph, a, b } = pair(
    [rgb, yuy2],
    [wild],
    {},
    {
      intersectHandler: (_ctx: unknown, caller: KsDataRange) =>
        caller.subFormat === DataFormatSubtype.rgb24 ? Status.noMatch : caller,
    },
  );
  assert.equal(graph.connect({ filter: a, pin: 0 }, { filter: b, pin: 0 }).format, yuy2);
});

test('connect: bad options are argument errors naming options / options.format, before anything is created', () => {
  const { graph, a, b } = pair([wild], [wild]);
  const ends = [
    { filter: a, pin: 0 },
    { filter: b, pin: 0 },
  ] as const;
  assert.throws(() => graph.connect(...ends, null as never), /^TypeError: options: null is not allowed/);
  assert.throws(() => graph.connect(...ends, 5 as never), /^TypeError: options: 5 is not allowed/);
  assert.throws(() => graph.connect(...ends, { format: null as never }), /^TypeError: options\.format: null/);
  assert.throws(
    () => graph.connect(...ends, { format: { ...rgb, formatSize: 10 } }),
    /^RangeError: options\.format\.formatSize: 10/,
  );
  assert.equal(a.pinCount(0), 0);
  assert.equal(graph.connections.length, 0);
});
