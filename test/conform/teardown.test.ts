import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Frame, KsState, Status, StreamError, StreamRequest } from '../../src/index.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';

describe('conformance: closing a pin completes everything still queued', () => {
  it('a pin closed in STOP with queued frames and a queued request returns them cancelled (nothing outstanding), and Reset runs', () => {
    let resets = 0;
    const frames = new Collector();
    const { filter } = makeFilter([pinDescriptor({ dispatch: { reset: () => void resets++ } })]);
    const pin = filter.createPin(0, streamFormat);
    frames.feed(pin, 2); // I/O queued while the pin is still in STOP
    const request = new StreamRequest([new Frame(null, new Uint8Array(4))]);
    pin.queue!.addRequest(request);
    pin.close();
    assert.equal(frames.outstanding, 0);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled]);
    assert.equal(request.completed, true);
    assert.equal(request.status, Status.cancelled);
    assert.equal(pin.queue!.length, 0);
    assert.equal(resets, 1, 'the queue flush calls Reset');
  });

  it('closing the filter closes its pins the same way', () => {
    const frames = new Collector();
    const { filter } = makeFilter([pinDescriptor({ instancesPossible: 2 })]);
    const a = filter.createPin(0, streamFormat);
    const b = filter.createPin(0, streamFormat);
    frames.feed(a, 1);
    frames.feed(b, 1);
    b.setState(KsState.pause);
    filter.close();
    assert.equal(frames.outstanding, 0);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled]);
  });

  it('an empty pin closed in STOP calls no Reset', () => {
    let resets = 0;
    const { filter } = makeFilter([pinDescriptor({ dispatch: { reset: () => void resets++ } })]);
    filter.createPin(0, streamFormat).close();
    assert.equal(resets, 0);
  });
});

describe('conformance: no I/O into a closed pin', () => {
  it('a closed pin’s queue refuses new frames and requests (StreamError invalidDeviceState), nothing enters', () => {
    const frames = new Collector();
    const { filter } = makeFilter([pinDescriptor()]);
    const pin = filter.createPin(0, streamFormat);
    const queue = pin.queue!;
    pin.close();
    assert.throws(
      () => queue.add(frames.frame()),
      (e: unknown) => e instanceof StreamError && e.status === Status.invalidDeviceState && /closed/.test(e.message),
    );
    const request = new StreamRequest([new Frame(null, new Uint8Array(4))]);
    assert.throws(() => queue.addRequest(request), StreamError);
    assert.equal(request.completed, false, 'the request stays with its submitter');
    assert.equal(queue.length, 0);
  });
});
