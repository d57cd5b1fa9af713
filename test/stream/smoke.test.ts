import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { KsState, type KsStateValue } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { Frame } from '../../src/stream/frame.js';
import { DATAFLOW_OUT, Queue, type QueueHost } from '../../src/stream/queue.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';

class Host implements QueueHost {
  completed: Frame[] = [];
  arrivals: boolean[] = [];
  constructor(
    readonly flags = 0,
    readonly dataFlow = DATAFLOW_OUT,
    public deviceState: KsStateValue = KsState.run,
  ) {}
  _onArrival(_q: Queue, wasEmpty: boolean): void {
    this.arrivals.push(wasEmpty);
  }
  _onFrameComplete(frame: Frame): void {
    this.completed.push(frame);
  }
}

describe('stream smoke', () => {
  it('a frame arrives, is locked, ejected and completes', () => {
    const host = new Host(PinFlags.enforceFifo);
    const q = new Queue(host);
    const f = new Frame(null, new Uint8Array(16));
    q.add(f);
    assert.deepEqual(host.arrivals, [true]);
    const lead = q.getLeadingEdge(StreamPointerState.locked);
    assert.ok(lead);
    assert.equal(lead.offset.count, 16);
    assert.equal(lead.advanceOffsets(0, 16), Status.deviceNotReady);
    assert.deepEqual(host.completed, [f]);
    assert.equal(q.length, 0);
  });
});
