import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DATAFLOW_IN,
  DATAFLOW_OUT,
  Frame,
  FrameState,
  KsState,
  type KsStateValue,
  Queue,
  type QueueHost,
  Status,
  StreamPointerState,
} from '../../src/index.js';

const LOCKED = StreamPointerState.locked;

/** A recording queue host. */
function host(dataFlow: number, flags = 0) {
  const completed: unknown[] = [];
  const h: QueueHost = {
    flags,
    dataFlow,
    deviceState: KsState.run as KsStateValue,
    _onArrival: () => {},
    _onFrameComplete: (f: Frame) => {
      completed.push(f.context);
    },
  };
  return { queue: new Queue(h), completed };
}

/** A queue holding `n` frames of `size` bytes with `dataUsed` valid bytes (context = index), its leading edge locked. */
function setup(dataFlow: number, n: number, size: number, dataUsed: number) {
  const { queue, completed } = host(dataFlow);
  const fs = Array.from({ length: n }, (_, i) => {
    const f = new Frame(null, new Uint8Array(size));
    f.header.dataUsed = dataUsed;
    f.context = i;
    queue.add(f);
    return f;
  });
  return { queue, completed, fs, lead: queue.getLeadingEdge(LOCKED)! };
}

describe('conformance: KsStreamPointerAdvanceOffsets with a count of exactly Remaining', () => {
  it('advanceOffsets: InUsed = OffsetIn.Remaining moves an input pin’s pointer to the next frame and relocks it', () => {
    const { completed, fs, lead } = setup(DATAFLOW_IN, 2, 8, 5);
    assert.equal(lead.advanceOffsets(5, 0), Status.success);
    assert.equal(lead.frame, fs[1]);
    assert.equal(lead.locked, true);
    assert.deepEqual(completed, [0]);
    assert.equal(lead.advanceOffsets(5, 0), Status.deviceNotReady, 'the last frame: the relock fails');
    assert.equal(lead.locked, false);
    assert.deepEqual(completed, [0, 1]);
  });

  it('advanceOffsetsAndUnlock: OutUsed = OffsetOut.Remaining advances to the next frame even on an input pin (docs: “If OutUsed is equal to the remaining number of bytes … AVStream advances StreamPointer”)', () => {
    const { queue, completed, fs, lead } = setup(DATAFLOW_IN, 2, 8, 5);
    assert.equal(lead.offsetOut.remaining, 8);
    lead.advanceOffsetsAndUnlock(0, 8);
    assert.equal(lead.frame, fs[1], 'moved on');
    assert.equal(lead.locked, false);
    assert.deepEqual(completed, [0]);
    queue.getLeadingEdge(LOCKED)!.unlock(true);
    assert.deepEqual(completed, [0, 1]);
  });

  it('advanceOffsets: InUsed = OffsetIn.Remaining advances an output pin’s pointer too; a zero count on an already empty offset does not', () => {
    const { completed, fs, lead } = setup(DATAFLOW_OUT, 3, 8, 4);
    // OffsetIn (4 bytes of input data) used up by this call: the frame is finished
    assert.equal(lead.advanceOffsets(4, 2), Status.success);
    assert.equal(lead.frame, fs[1]);
    assert.equal(lead.locked, true);
    assert.deepEqual(completed, [0]);
    // a fresh output frame with no input data: OffsetIn.Remaining is 0 from the start, InUsed 0 is not "used up"
    fs[2]!.header.dataUsed = 0;
    assert.equal(lead.advanceOffsets(4, 0), Status.success);
    assert.equal(lead.frame, fs[2]);
    assert.equal(lead.offsetIn.remaining, 0);
    assert.equal(lead.advanceOffsets(0, 3), Status.success);
    assert.equal(lead.frame, fs[2], 'InUsed 0 on an empty OffsetIn does not move the pointer');
    assert.equal(lead.offsetOut.remaining, 5);
    assert.equal(lead.advanceOffsets(0, 5), Status.deviceNotReady, 'OffsetOut used up: moves, nothing to relock');
    assert.deepEqual(completed, [0, 1, 2]);
    for (const f of fs) assert.equal(f.state, FrameState.idle);
  });
});
