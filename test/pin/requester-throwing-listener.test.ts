import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { connectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { ManualWorkScheduler } from '../../src/processing/scheduler.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { pinDescriptor, streamFormat } from './helpers.js';

/** source → sink over a pool of `frames`; the source produces `total` frames, the sink consumes every one. */
function pipe(frames: number, total: number) {
  const work = new ManualWorkScheduler();
  let produced = 0;
  let consumed = 0;
  const make = (d: ReturnType<typeof pinDescriptor>) =>
    new FilterFactory({ pinDescriptors: [d] }, { scheduler: work.schedule }).createFilter().createPin(0, streamFormat);
  const src = make(
    pinDescriptor({
      dataFlow: DataFlow.out,
      communication: Communication.source,
      dispatch: {
        process: (pin: Pin) => {
          while (produced < total) {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) break;
            lead.frame!.header.dataUsed = 16;
            produced++;
            lead.unlock(true);
          }
          return Status.pending;
        },
      },
    }),
  );
  const snk = make(
    pinDescriptor({
      dispatch: {
        process: (pin: Pin) => {
          for (;;) {
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            if (lead === null) return Status.pending;
            consumed++;
            lead.unlock(true);
          }
        },
      },
    }),
  );
  connectPins(src, snk);
  const allocator = createDefaultAllocator();
  allocator.initialize(null, {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames,
    frameSize: 16,
    fileAlignment: FileAlignment.long,
    reserved: 0,
  });
  setPipeSource(src, allocator, { framesPerTurn: Number.POSITIVE_INFINITY });
  return {
    src,
    snk,
    allocator,
    work,
    counts: () => ({ produced, consumed }),
  };
}

describe('requester: a FREEFRAME listener that throws', () => {
  for (const frames of [1, 2]) {
    it(`the error reaches the code that freed the frame, and the pipe goes on (pool of ${frames})`, () => {
      const p = pipe(frames, 6);
      let calls = 0;
      const off = p.allocator.onFreeFrame(() => {
        calls++;
        if (calls === 2) throw new Error('listener threw');
      });
      p.snk.setState(KsState.run);
      assert.throws(() => p.src.setState(KsState.run), /listener threw/);
      // the refill the throwing return owed runs as a work item of the source's filter
      p.work.runAll(100);
      assert.deepEqual(p.counts(), { produced: 6, consumed: 6 }, 'every frame produced and consumed');
      assert.equal(calls, 6, 'one FREEFRAME per frame consumed (each freed once)');
      off();
      p.src.setState(KsState.stop);
      p.snk.setState(KsState.stop);
      assert.equal(p.allocator.outstanding, 0, 'every frame back');
    });
  }
});
