import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectPins, disconnectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { Collector, makeFilter, pinDescriptor, streamFormat } from './helpers.js';

// A pin caches where its completed frames go next (src/pin/pin.ts `_route`); any change of a peer or an in-place
// counterpart — connect, disconnect, linkInPlace or a direct assignment — must re-route the next frame.

/** A routine that ejects every frame ahead and logs `<name>:<frame context>`. */
function logger(name: string, log: string[]) {
  return (pin: Pin) => {
    for (;;) {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      log.push(`${name}:${String(lead.frame!.context)}`);
      lead.unlock(true);
    }
  };
}

function inputPin(name: string, log: string[]): Pin {
  const pin = makeFilter([pinDescriptor({ dispatch: { process: logger(name, log) } })]).filter.createPin(
    0,
    streamFormat,
  );
  pin.setState(KsState.run);
  return pin;
}

describe('cached circuit routes', () => {
  it('a frame completed after a reconnection goes to the new peer, not the cached one', () => {
    const log: string[] = [];
    const source = makeFilter([
      pinDescriptor({
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dispatch: { process: logger('a', log) },
      }),
    ]).filter.createPin(0, streamFormat);
    const b = inputPin('b', log);
    const c = inputPin('c', log);
    connectPins(source, b);
    source.setState(KsState.run);
    const frames = new Collector();
    frames.feed(source, 2); // a → b (the route is now cached)
    disconnectPins(source);
    connectPins(source, c);
    frames.feed(source, 1); // a → c
    disconnectPins(source);
    frames.feed(source, 1); // a is the end of the circuit now
    assert.deepEqual(log, ['a:0', 'b:0', 'a:1', 'b:1', 'a:2', 'c:2', 'a:3']);
    assert.deepEqual(frames.statuses, [Status.success, Status.success, Status.success, Status.success]);
    assert.equal(frames.outstanding, 0);
  });

  it('an in-place link made or removed after frames flowed re-routes the next frame', () => {
    const log: string[] = [];
    const transform = makeFilter([
      pinDescriptor({ dispatch: { process: logger('t', log) } }),
      pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source }),
    ]).filter;
    const tin = transform.createPin(0, streamFormat);
    const tout = transform.createPin(1, streamFormat);
    const sink = inputPin('s', log);
    connectPins(tout, sink);
    for (const p of [tout, tin]) p.setState(KsState.run);
    const frames = new Collector();
    frames.feed(tin, 1); // not linked: the circuit ends at tin
    linkInPlace(tin, tout);
    frames.feed(tin, 1); // tin → (tout does not process) → sink
    tin.inPlaceCounterpart = null; // a direct assignment also re-routes
    frames.feed(tin, 1);
    assert.deepEqual(log, ['t:0', 't:1', 's:1', 't:2']);
    assert.equal(frames.outstanding, 0);
  });

  it('linkInPlace pairs exclusively: relinking an input to another output unlinks the previous output (no one-sided link)', () => {
    const log: string[] = [];
    const filter = makeFilter([
      pinDescriptor({ dispatch: { process: logger('t', log) } }),
      pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source, instancesPossible: 2 }),
    ]).filter;
    const tin = filter.createPin(0, streamFormat);
    const [o0, o1] = [filter.createPin(1, streamFormat), filter.createPin(1, streamFormat)];
    linkInPlace(tin, o0);
    linkInPlace(tin, o1);
    assert.equal(tin.inPlaceCounterpart, o1);
    assert.equal(o1.inPlaceCounterpart, tin);
    assert.equal(o0.inPlaceCounterpart, null, 'the previous partner no longer points at the input');
    assert.equal(filter._processPinOf(o0)!.inPlaceCounterpart, null);
    // and the other way round: an output relinked to another input
    const filter2 = makeFilter([
      pinDescriptor({ instancesPossible: 2 }),
      pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source }),
    ]).filter;
    const [i0, i1] = [filter2.createPin(0, streamFormat), filter2.createPin(0, streamFormat)];
    const out = filter2.createPin(1, streamFormat);
    linkInPlace(i0, out);
    linkInPlace(i1, out);
    assert.equal(i0.inPlaceCounterpart, null);
    assert.equal(out.inPlaceCounterpart, i1);
  });
});
