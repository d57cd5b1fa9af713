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
