import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KsReset, type KsResetValue, KsState, Status, StreamError } from '../../src/index.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from '../pin/helpers.js';

describe('conformance: IOCTL_KS_RESET_STATE and the Reset dispatch', () => {
  it('Reset dispatch (AVStrMiniPinReset) runs each time the pin’s reset state changes — at KSRESET_BEGIN and at KSRESET_END — with pin.resetState already the new value', () => {
    const seen: KsResetValue[] = [];
    const frames = new Collector();
    const { filter } = makeFilter([
      pinDescriptor({ dispatch: { process: () => Status.pending, reset: (pin) => void seen.push(pin.resetState) } }),
    ]);
    const pin = filter.createPin(0, streamFormat);
    pin.setState(KsState.pause);
    frames.feed(pin, 2);
    pin.setResetState(KsReset.begin);
    assert.deepEqual(seen, [KsReset.begin]);
    assert.deepEqual(frames.statuses, [Status.cancelled, Status.cancelled], 'queued I/O cancelled');
    pin.setResetState(KsReset.begin);
    assert.deepEqual(seen, [KsReset.begin], 'a repeated BEGIN does not change the reset state');
    assert.throws(
      () => frames.feed(pin, 1),
      (e: unknown) => e instanceof StreamError && e.status === Status.deviceNotReady,
    );
    frames.made--; // never entered
    pin.setResetState(KsReset.end);
    assert.deepEqual(seen, [KsReset.begin, KsReset.end]);
    pin.setResetState(KsReset.end);
    assert.deepEqual(seen, [KsReset.begin, KsReset.end], 'a repeated END does not change it either');
    frames.feed(pin, 1);
    pin.setState(KsState.stop);
    assert.deepEqual(seen, [KsReset.begin, KsReset.end, KsReset.end], 'and the →STOP flush calls Reset');
    assert.equal(frames.outstanding, 0);
  });

  it('filter-centric: the filter’s Reset dispatch (AVStrMiniFilterReset) runs for a pin’s KSRESET_BEGIN and KSRESET_END', () => {
    let filterResets = 0;
    const { filter } = makeFilter([pinDescriptor()], {
      process: () => Status.pending,
      reset: () => void filterResets++,
    });
    const pin = filter.createPin(0, streamFormat);
    pin.setState(KsState.pause);
    pin.setResetState(KsReset.begin);
    assert.equal(filterResets, 1);
    pin.setResetState(KsReset.end);
    assert.equal(filterResets, 2);
    pin.setState(KsState.stop);
  });
});
