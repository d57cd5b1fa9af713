import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullSink } from '../../src/filters/index.js';
import type { AllocatorFraming } from '../../src/framing/types.js';
import { Graph } from '../../src/graph/graph.js';
import { ConnectionProperty, PropertySetId } from '../../src/property/constants.js';
import { getProperty, setProperty } from '../../src/property/ks-property.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { anyRange, captureFraming, outputDescriptor } from './helpers.js';

const C = PropertySetId.connection;

function sourceDescriptor() {
  return {
    pinDescriptors: [
      outputDescriptor({
        dataRanges: [anyRange],
        instancesPossible: 1,
        allocatorFraming: captureFraming(),
        dispatch: { process: () => Status.pending },
      }),
    ],
  };
}

describe('properties of pins in a graph', () => {
  it('a STATE set on a graph pin goes to that pin; the graph creates the pipes first, and ALLOCATORFRAMING follows the pipe', async () => {
    const graph = new Graph();
    const src = graph.addFilter(sourceDescriptor(), { id: 'src' });
    const sink = graph.addFilter(nullSink().descriptor, { id: 'sink' });
    const connection = graph.connect({ filter: src, pin: 0 }, { filter: sink, pin: 0 });
    const { output, input } = connection;
    const before = getProperty<AllocatorFraming>(output, C, ConnectionProperty.allocatorFraming);
    assert.equal(before.value!.frames, 2);
    assert.equal(getProperty(input, C, ConnectionProperty.allocatorFraming).status, Status.notFound);

    assert.equal(setProperty(input, C, ConnectionProperty.state, KsState.acquire).status, Status.success);
    assert.equal(setProperty(output, C, ConnectionProperty.state, KsState.acquire).status, Status.success);
    assert.equal(graph.pipes.length, 1, 'the graph created its pipe when a pin left STOP');
    const resolved = graph.pipes[0]!.allocator.framing!;
    for (const pin of [output, input]) {
      const r = getProperty<AllocatorFraming>(pin, C, ConnectionProperty.allocatorFraming);
      assert.equal(r.status, Status.success);
      assert.deepEqual(r.value, resolved);
    }
    const allocator = graph.pipes[0]!.allocator;
    assert.equal(setProperty(output, C, ConnectionProperty.state, KsState.stop).status, Status.success);
    assert.equal(setProperty(input, C, ConnectionProperty.state, KsState.stop).status, Status.success);
    await graph.whenIdle();
    assert.equal(allocator.state, 'deleted');
    assert.equal(allocator.outstanding, 0);
    assert.equal(getProperty(input, C, ConnectionProperty.allocatorFraming).status, Status.notFound);
    assert.deepEqual(getProperty(output, C, ConnectionProperty.allocatorFraming).value, before.value);
  });
});
