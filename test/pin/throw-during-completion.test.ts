import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { setCircuitSections } from '../../src/pin/circuit-section.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { makeFilter, pinDescriptor, streamFormat } from './helpers.js';

/**
 * source (no routine: its frames are ejected from outside any routine, as a DPC would) → sink whose routine, run inline
 * by the arrival, stops the source and throws. The source's queue is completing the ejected frame (draining) when its
 * STOP flush cancels the other frames: those are parked until the completion returns — and it returns by a throw.
 */
function circuit(sections: boolean) {
  setCircuitSections(sections);
  try {
    let src: Pin | null = null;
    const boom = new Error('sink routine failed');
    let throwOnce = true;
    const source = makeFilter([pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source })]);
    const sink = makeFilter([
      pinDescriptor({
        dispatch: {
          process: () => {
            if (throwOnce) {
              throwOnce = false;
              src!.setState(KsState.stop);
              throw boom;
            }
            return 0x103; // pending
          },
        },
      }),
    ]);
    src = source.filter.createPin(0, streamFormat);
    const snk = sink.filter.createPin(0, streamFormat);
    connectPins(src, snk);
    const allocator = createDefaultAllocator();
    allocator.initialize(null, {
      optionsFlags: 0,
      poolType: PoolType.nonPagedPool,
      frames: 3,
      frameSize: 64,
      fileAlignment: FileAlignment.long,
      reserved: 0,
    });
    setPipeSource(src, allocator);
    snk.setState(KsState.run);
    src.setState(KsState.run);
    assert.equal(src.queue!.length, 3, 'the requester primed the source');
    const lead = src.getLeadingEdge(StreamPointerState.locked)!;
    lead.frame!.header.dataUsed = 64; // (a zero-length frame would bypass the sink)
    assert.throws(() => lead.unlock(true), boom);
    return { src, snk, allocator };
  } finally {
    setCircuitSections(true);
  }
}

describe('a completion callback that throws after a STOP flush of the same queue', () => {
  for (const sections of [false, true]) {
    it(`the frames the flush cancelled still return before the error propagates (sections ${sections ? 'on' : 'off'})`, () => {
      const { src, snk, allocator } = circuit(sections);
      assert.equal(src.pipeState, KsState.stop);
      assert.equal(src.queue!.length, 0, 'nothing left parked in the stopped source queue');
      assert.equal(allocator.outstanding, 1, 'only the frame at the sink is out');
      snk.setState(KsState.stop);
      assert.equal(allocator.outstanding, 0);
    });
  }
});
