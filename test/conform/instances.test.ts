import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Communication, DataFlow, KsState, StateError, Status } from '../../src/index.js';
import { makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';

describe('conformance: KSPIN_DESCRIPTOR_EX.InstancesNecessary', () => {
  it('InstancesNecessary: every rising state change fails while a pin type lacks its necessary instances (not only leaving STOP); falling ones still work', () => {
    const steps: string[] = [];
    const { filter } = makeFilter([
      pinDescriptor({ instancesNecessary: 1 }),
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: { setDeviceState: (_p, to, from) => void steps.push(`${from}>${to}`) },
      }),
    ]);
    const needed = filter.createPin(0, streamFormat);
    const other = filter.createPin(1, streamFormat);
    other.setState(KsState.pause);
    needed.close(); // the filter now lacks a necessary instance of pin type 0
    const lacking = (e: unknown) => e instanceof StateError && e.status === Status.invalidDeviceState;
    assert.throws(() => other.setState(KsState.run), lacking);
    assert.equal(other.pipeState, KsState.pause, 'nothing moved');
    assert.equal(other.clientState, KsState.pause);
    assert.deepEqual(steps, ['0>1', '1>2']);
    other.setState(KsState.acquire);
    other.setState(KsState.stop);
    assert.deepEqual(steps, ['0>1', '1>2', '2>1', '1>0'], 'going down is never refused');
    filter.createPin(0, streamFormat);
    other.setState(KsState.run);
    assert.equal(other.pipeState, KsState.run);
    other.setState(KsState.stop);
  });
});
