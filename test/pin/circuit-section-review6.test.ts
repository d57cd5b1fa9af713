import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { FrameBuffer } from '../../src/allocator/types.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { setCircuitSections } from '../../src/pin/circuit-section.js';
import { connectPins, disconnectPins, linkInPlace, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { clearPipeSource, setPipeSource } from '../../src/processing/wiring.js';
import { KsReset, KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { pinDescriptor, spyReturns, streamFormat } from './helpers.js';
import {
  assertSame,
  build,
  differential,
  ejecting,
  type Harness,
  type PipeOptions,
  type Routine,
  runAll,
} from './section-harness.js';

// Review 6 of circuit sections (the leaner hop: no callback when none is due, route changes detach at once, the
// requester's active() only after code ran, the hop tried first by StreamPointer.unlock). Each scenario runs the same
// script with sections on and off (section-harness.ts) and compares the log and the final snapshot; each requires the
// section to have formed in the run with sections on.

/** A sink-side routine that ejects up to `budget.n` frames, logging the allocator and requester counts after each. */
function counting(name: string, budget: { n: number }, after?: (h: Harness, k: number) => void): Routine {
  let k = 0;
  return (pin, h) => {
    h.log.push(`run:${name}`);
    h.check();
    while (budget.n > 0) {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      budget.n--;
      if (pin.dataFlow === DataFlow.out && lead.frame!.header.dataUsed === 0) lead.frame!.header.dataUsed = 16;
      const id = h.id(lead.frame);
      lead.unlock(true);
      h.log.push(`${name}:${id}:${h.allocator.outstanding}:${h.requester.outstanding}:${h.requester.stalls}`);
      after?.(h, k++);
    }
    return Status.pending;
  };
}

const pipe: PipeOptions = { frames: 4, transform: true };

describe('circuit sections review 6: the quiet return at the last pin', () => {
  it('a FREEFRAME listener added and removed from inside the sink routine between unlocks', () => {
    assertSame(pipe, (h) => {
      let off: (() => void) | null = null;
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      h.routines.snk = counting('snk', { n: 20 }, (hh, k) => {
        if (k === 2) off = hh.allocator.onFreeFrame(() => hh.log.push(`free:${hh.allocator.outstanding}`));
        if (k === 6) {
          off?.();
          off = null;
        }
        // a listener that removes itself from inside the free it is told of
        if (k === 9) {
          const self = hh.allocator.onFreeFrame(() => {
            hh.log.push('free-once');
            self();
          });
        }
      });
      runAll(h);
      h.check();
      h.work.runAll(100);
    });
  });

  it('a FREEFRAME listener that throws at its third call (added inside the sink routine): the same error, frames and counts', () => {
    assertSame(pipe, (h) => {
      let calls = 0;
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      const inner = counting('snk', { n: 20 }, (hh, k) => {
        if (k === 1) {
          hh.allocator.onFreeFrame(() => {
            calls++;
            hh.log.push(`free:${calls}:${hh.allocator.outstanding}`);
            if (calls === 3) throw new Error('listener');
          });
        }
      });
      h.routines.snk = (pin, hh) => {
        try {
          return inner(pin, hh);
        } catch (error) {
          hh.log.push(`snk-caught:${(error as Error).message}:${pin.queue!.length}:${hh.requester.outstanding}`);
          return Status.pending;
        }
      };
      runAll(h);
      h.check();
      h.work.runAll(100);
      h.log.push(`after:${h.requester.outstanding}:${h.allocator.outstanding}:${h.src.queue!.length}`);
      h.snk.attemptProcessing();
      h.work.runAll(100);
    });
  });

  it('an acquire() waiting on the exhausted allocator (from inside the sink routine): the next return serves it', async () => {
    const served: { allocator: Harness['allocator']; buffers: Promise<FrameBuffer>[] }[] = [];
    const script = (h: Harness) => {
      const buffers: Promise<FrameBuffer>[] = [];
      served.push({ allocator: h.allocator, buffers });
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      h.routines.snk = counting('snk', { n: 10 }, (hh, k) => {
        if (k === 1 || k === 4) {
          // every frame is out (the requester refills only after the routine): this acquire waits
          buffers.push(hh.allocator.acquire());
          hh.log.push(`acquire:${hh.allocator.status().pendingAcquires}:${hh.allocator.outstanding}`);
        }
        hh.log.push(`pending:${hh.allocator.status().pendingAcquires}`);
      });
      runAll(h);
      h.check();
      h.work.runAll(100);
    };
    const { on, off } = differential(pipe, script);
    assert.equal(on.formed, true);
    assert.deepStrictEqual(on.snap, off.snap);
    assert.deepStrictEqual(on.teardown, off.teardown);
    assert.ok((on.snap as { log: string[] }).log.includes('acquire:1:4'), 'the acquire waited with every frame out');
    // the two acquired frames are still out: free them (then nothing is outstanding)
    assert.equal(on.outstanding, 2);
    assert.equal(off.outstanding, 2);
    await Promise.all(
      served.map(async ({ allocator, buffers }) => {
        for (const b of buffers) allocator.free(await b);
        assert.equal(allocator.outstanding, 0);
      }),
    );
  });

  it('a requester with a FrameLedger (debug mode): every return untracks, the ledger reads the same at every step', () => {
    const sizes: number[] = [];
    assertSame({ ...pipe, ledger: true }, (h) => {
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      h.routines.snk = counting('snk', { n: 20 }, (hh) => hh.log.push(`ledger:${hh.ledger!.size}`));
      runAll(h);
      h.check();
      h.work.runAll(100);
      sizes.push(h.ledger!.size);
    });
    assert.ok(
      sizes.every((s) => s > 0),
      'frames were tracked',
    );
  });

  it('two requesters sharing one allocator (a second, one-pin pipe): stalls, the FREEFRAME subscription, the resumes', () => {
    assertSame({ frames: 5, transform: true }, (h) => {
      // a second source pin (unconnected: a one-pin circuit) fed from the same pool
      const f2 = new FilterFactory(
        {
          pinDescriptors: [
            pinDescriptor({
              dataFlow: DataFlow.out,
              communication: Communication.source,
              dispatch: { process: (pin) => h.routines.src2!(pin, h) },
            }),
          ],
          dispatch: null,
        },
        { scheduler: h.work.schedule },
      ).createFilter();
      const src2 = f2.createPin(0, streamFormat);
      h.routines.src2 = (pin, hh) => {
        hh.log.push(`run:src2:${pin.queue!.length}`);
        return Status.pending; // holds its frames until a DPC
      };
      const r2 = setPipeSource(src2, h.allocator, { framesPerTurn: 64 });
      spyReturns(r2, (frame) => h.log.push(`ret2:${h.id(frame)}`));
      src2.setState(KsState.run);
      h.log.push(`r2:${r2.outstanding}:${h.allocator.outstanding}`);
      h.routines.src = ejecting('src', { n: 30 });
      h.routines.mid = ejecting('mid', { n: 30 });
      h.routines.snk = counting('snk', { n: 30 });
      runAll(h);
      h.check();
      h.log.push(`stalls:${h.requester.stalls}:${r2.stalls}`);
      // the second pipe gives frames back one at a time from outside any routine: the first requester (subscribed
      // to FREEFRAME: someone else holds frames) resumes on each
      for (let i = 0; i < 3; i++) {
        const lead = src2.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) break;
        lead.unlock(true);
        h.log.push(`dpc2:${r2.outstanding}:${h.requester.outstanding}:${h.allocator.outstanding}`);
        h.check();
      }
      h.work.runAll(100);
      src2.setState(KsState.stop);
      clearPipeSource(src2);
      h.log.push(`end:${h.allocator.outstanding}`);
    });
  });

  it('allocator.deleteWhenIdle() called from inside the sink routine mid-burst', () => {
    assertSame(pipe, (h) => {
      const deleted: string[] = [];
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      h.routines.snk = counting('snk', { n: 20 }, (hh, k) => {
        if (k === 5) {
          void hh.allocator.deleteWhenIdle().then(() => deleted.push('deleted'));
          hh.log.push(`delete-pending:${hh.allocator.deletePending}`);
        }
      });
      runAll(h);
      h.check();
      h.work.runAll(100);
      h.log.push(`state:${h.allocator.state}:${h.allocator.outstanding}`);
    });
  });

  it('the requester detached (clearPipeSource) from inside the sink routine mid-burst, then a new one set', () => {
    assertSame(pipe, (h) => {
      const make = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester;
      h.routines.src = ejecting('src', { n: 30 });
      h.routines.mid = ejecting('mid', { n: 30 });
      h.routines.snk = counting('snk', { n: 30 }, (hh, k) => {
        if (k === 3) {
          clearPipeSource(hh.src);
          hh.log.push(`cleared:${hh.requester.outstanding}`);
        }
        if (k === 5) {
          hh.requester = make(hh.src);
          hh.log.push(`new:${hh.requester.outstanding}`);
        }
      });
      runAll(h);
      h.check();
      h.work.runAll(100);
      h.ejectOutside(h.snk);
      h.ejectOutside(h.mid!);
      h.ejectOutside(h.src);
      h.work.runAll(100);
    });
  });

  it('the requester replaced (setPipeSource) from inside the source routine run inline by its own fill', () => {
    assertSame(pipe, (h) => {
      const make = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester;
      let runs = 0;
      h.routines.src = (pin, hh) => {
        runs++;
        hh.log.push(`run:src:${runs}:${pin.queue!.length}`);
        if (runs === 3) hh.requester = make(hh.src);
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = 16;
        lead.unlock(true);
        return Status.pending;
      };
      h.routines.mid = ejecting('mid', { n: 3 });
      runAll(h);
      h.check();
      for (let i = 0; i < 4; i++) {
        h.ejectOutside(h.snk);
        h.check();
      }
      h.log.push(`after:${h.requester.outstanding}:${h.allocator.outstanding}`);
    });
  });
});

describe('circuit sections review 6: frames of a replaced requester in a new section', () => {
  it('setPipeSource replaces the requester while its frames wait at the sink: they return to the old one, not quietly to the new', () => {
    const oldCounts: number[][] = [];
    assertSame(pipe, (h) => {
      const make = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester;
      const snk = { n: 0 };
      h.routines.src = ejecting('src', { n: 40 });
      h.routines.mid = ejecting('mid', { n: 40 });
      h.routines.snk = counting('snk', snk);
      runAll(h);
      h.check();
      const old = h.requester;
      // the sink gives one frame back (the new requester then has a free frame to start with)
      h.ejectOutside(h.snk);
      h.requester = make(h.src); // the old one detaches; its frames still wait at the sink
      h.check();
      h.log.push(`replaced:${old.outstanding}:${h.requester.outstanding}:${h.allocator.outstanding}`);
      snk.n = 12;
      h.snk.attemptProcessing();
      h.check();
      h.work.runAll(100);
      h.log.push(`old:${old.outstanding}:new:${h.requester.outstanding}:${h.allocator.outstanding}`);
      oldCounts.push([old.outstanding, h.requester.outstanding]);
    });
    assert.ok(
      oldCounts.every(([o, n]) => o === 0 && n! >= 0),
      `every frame back to its own requester: ${oldCounts}`,
    );
  });

  it('a new requester that has not stalled (its quota yields first) meets the old frames at the sink: they return to the old one', () => {
    const counts: number[][] = [];
    assertSame(pipe, (h) => {
      const snk = { n: 0 };
      h.routines.src = ejecting('src', { n: 40 });
      h.routines.mid = ejecting('mid', { n: 40 });
      h.routines.snk = counting('snk', snk);
      runAll(h);
      h.check();
      const old = h.requester;
      clearPipeSource(h.src);
      h.ejectOutside(h.snk); // one frame back to the detached requester: free
      // one frame per turn: the new requester yields before it stalls, so it never subscribes to FREEFRAME
      const fresh = setPipeSource(h.src, h.allocator, { framesPerTurn: 1 });
      spyReturns(fresh, (frame) => h.log.push(`ret-new:${h.id(frame)}`));
      h.requester = fresh;
      h.check();
      h.log.push(`replaced:${old.outstanding}:${fresh.outstanding}:${fresh.stalls}:${h.allocator.outstanding}`);
      snk.n = 12;
      h.snk.attemptProcessing();
      h.check();
      h.log.push(`back:${old.outstanding}:${fresh.outstanding}`);
      h.work.runAll(100);
      h.log.push(`old:${old.outstanding}:new:${fresh.outstanding}:${h.allocator.outstanding}`);
      counts.push([old.outstanding, fresh.outstanding, fresh.stalls]);
    });
    assert.deepEqual(counts[0], counts[1]);
    assert.equal(counts[0]![0], 0, 'the old frames went back to the old requester');
  });
});

describe('circuit sections review 6: route changes while a hop is on the stack', () => {
  it('the sink, run inline by a DPC hop from the transform, disconnects and reconnects its input, then ejects', () => {
    assertSame(pipe, (h) => {
      let first = true;
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        hh.check();
        if (first) {
          first = false;
          const out = hh.mid!.inPlaceCounterpart!;
          disconnectPins(out);
          assert.equal(hh.attached().includes(true), false, 'detached by the disconnect');
          hh.log.push('disconnected');
          connectPins(out, pin);
        }
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        hh.log.push(`snk:${hh.id(lead.frame)}`);
        lead.unlock(true);
        return Status.pending;
      };
      h.routines.src = ejecting('src', { n: 3 });
      runAll(h);
      h.check();
      h.ejectOutside(h.mid!);
      h.ejectOutside(h.mid!);
      h.routines.mid = ejecting('mid', { n: 20 });
      h.routines.src = ejecting('src', { n: 20 });
      h.src.attemptProcessing();
      h.check();
      h.work.runAll(100);
    });
  });

  it('the transform unlinks its in-place pair from inside its routine between two ejects (frames then end at the transform)', () => {
    assertSame(pipe, (h) => {
      let k = 0;
      const out = h.mid!.inPlaceCounterpart!;
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.snk = ejecting('snk', { n: 20 });
      h.routines.mid = (pin, hh) => {
        hh.log.push('run:mid');
        for (;;) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          if (k === 2) {
            pin.inPlaceCounterpart = null;
            out.inPlaceCounterpart = null;
            assert.equal(hh.attached().includes(true), false, 'detached by the unlink');
            hh.log.push('unlinked');
          }
          if (k === 5) {
            linkInPlace(pin, out);
            hh.log.push('relinked');
          }
          k++;
          hh.log.push(`mid:${hh.id(lead.frame)}`);
          lead.unlock(true);
          if (k > 12) return Status.pending;
        }
      };
      runAll(h);
      h.check();
      h.work.runAll(100);
    });
  });

  it('a route change from inside the source routine run by the requester entry (the fill is on the stack)', () => {
    assertSame(pipe, (h) => {
      let runs = 0;
      h.routines.src = (pin, hh) => {
        runs++;
        hh.log.push(`run:src:${runs}:${pin.queue!.length}`);
        hh.check();
        if (runs === 2) {
          disconnectPins(pin);
          connectPins(pin, hh.mid!);
          assert.equal(hh.attached().includes(true), false, 'detached by the disconnect');
          hh.log.push('reconnected');
        }
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = 16;
        lead.unlock(true);
        return Status.pending;
      };
      h.routines.mid = ejecting('mid', { n: 30 });
      runAll(h);
      h.check();
      for (let i = 0; i < 5; i++) {
        h.ejectOutside(h.snk);
        h.check();
      }
    });
  });
});

describe('circuit sections review 6: arrival modes of the source and the next pin', () => {
  const modes: [string, PipeOptions][] = [
    [
      'source with INITIATE_PROCESSING_ON_EVERY_ARRIVAL',
      { ...pipe, srcFlags: PinFlags.initiateProcessingOnEveryArrival },
    ],
    ['source with DO_NOT_INITIATE_PROCESSING', { ...pipe, srcFlags: PinFlags.doNotInitiateProcessing }],
    [
      'transform input with INITIATE_PROCESSING_ON_EVERY_ARRIVAL',
      { ...pipe, midFlags: PinFlags.initiateProcessingOnEveryArrival },
    ],
    ['transform input with DO_NOT_INITIATE_PROCESSING', { ...pipe, midFlags: PinFlags.doNotInitiateProcessing }],
    [
      'sink with INITIATE_PROCESSING_ON_EVERY_ARRIVAL',
      { ...pipe, snkFlags: PinFlags.initiateProcessingOnEveryArrival },
    ],
    ['sink with DO_NOT_INITIATE_PROCESSING', { ...pipe, snkFlags: PinFlags.doNotInitiateProcessing }],
    [
      'filter-centric sink with every-arrival source',
      { ...pipe, filterCentricSink: true, srcFlags: PinFlags.initiateProcessingOnEveryArrival },
    ],
    ['two-pin pipe, every-arrival sink', { frames: 4, snkFlags: PinFlags.initiateProcessingOnEveryArrival }],
  ];
  for (const [name, options] of modes) {
    it(`${name}: routines with budgets, DPC ejects on every pin, explicit attempts`, () => {
      assertSame(options, (h) => {
        const src = { n: 6 };
        const mid = { n: 3 };
        const snk = { n: 2 };
        h.routines.src = counting('src', src);
        h.routines.mid = counting('mid', mid);
        h.routines.snk = counting('snk', snk);
        runAll(h);
        h.check();
        for (let round = 0; round < 4; round++) {
          for (const p of h.pins) {
            h.ejectOutside(p);
            h.check();
          }
          src.n += 3;
          mid.n += 2;
          snk.n += 2;
          for (const p of h.pins) p.attemptProcessing();
          h.check();
          h.work.runAll(100);
        }
      });
    });
  }
});

describe('circuit sections review 6: other unlock paths, statuses, zero-length frames, throws', () => {
  it('advanceOffsetsAndUnlock (partial, then finishing with eject) and unlock(false) in the transform', () => {
    assertSame({ frames: 4, transform: true, receiveZero: true }, (h) => {
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.snk = ejecting('snk', { n: 20 });
      let k = 0;
      h.routines.mid = (pin, hh) => {
        hh.log.push('run:mid');
        for (let i = 0; i < 8; i++) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          const id = hh.id(lead.frame);
          const m = k++ % 4;
          if (m === 0) {
            lead.unlock(false); // stays on the frame
            hh.log.push(`mid:keep:${id}`);
          } else if (m === 1) {
            const s = lead.advanceOffsetsAndUnlock(8, 0, false); // half the data
            hh.log.push(`mid:half:${id}:${s}`);
          } else if (m === 2) {
            const s = lead.advanceOffsetsAndUnlock(lead.offsetIn.remaining, 0, true);
            hh.log.push(`mid:rest:${id}:${s}`);
          } else {
            const s = lead.advanceOffsetsAndUnlock(0, 0, true);
            hh.log.push(`mid:none:${id}:${s}`);
          }
        }
        return Status.pending;
      };
      runAll(h);
      h.check();
      h.work.runAll(100);
      h.mid!.attemptProcessing();
      h.work.runAll(100);
    });
  });

  it('setStatusCode on an unlocked edge of a waiting frame, then ejects: the failure leaves the section (and the circuit)', () => {
    assertSame(pipe, (h) => {
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.snk = counting('snk', { n: 20 });
      let k = 0;
      h.routines.mid = (pin, hh) => {
        hh.log.push('run:mid');
        const edge = pin.getLeadingEdge(StreamPointerState.unlocked)!;
        if (edge.frame !== null && k++ === 1) edge.setStatusCode(Status.unsuccessful);
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        hh.log.push(`mid:${hh.id(lead.frame)}:${lead.frame!.status}`);
        lead.unlock(true);
        return k > 8 ? Status.pending : Status.success;
      };
      runAll(h);
      h.check();
      h.work.runAll(100);
    });
  });

  it('a status set at the sink on each second frame (the quiet return carries it)', () => {
    assertSame(pipe, (h) => {
      h.routines.src = ejecting('src', { n: 20 });
      h.routines.mid = ejecting('mid', { n: 20 });
      let k = 0;
      h.routines.snk = (pin, hh) => {
        for (;;) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null || k > 12) return Status.pending;
          if (k++ % 2 === 1) lead.setStatusCode(Status.deviceNotReady);
          lead.unlock(true);
          hh.log.push(`snk:${hh.allocator.outstanding}`);
        }
      };
      runAll(h);
      h.check();
      h.work.runAll(100);
    });
  });

  it('zero-length frames bypassing the transform while deferred runs wait (every-arrival sink, DPC ejects)', () => {
    assertSame({ ...pipe, snkFlags: PinFlags.initiateProcessingOnEveryArrival }, (h) => {
      let k = 0;
      h.routines.src = (pin, hh) => {
        hh.log.push('run:src');
        for (let i = 0; i < 4; i++) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          lead.frame!.header.dataUsed = k++ % 3 === 0 ? 0 : 16; // every third frame empty
          lead.unlock(true);
        }
        return Status.pending;
      };
      h.routines.mid = counting('mid', { n: 40 });
      h.routines.snk = counting('snk', { n: 40 });
      runAll(h);
      h.check();
      for (let i = 0; i < 6; i++) {
        h.ejectOutside(h.src);
        h.check();
        h.work.runAll(100);
      }
    });
  });

  for (const at of ['src', 'mid', 'snk'] as const) {
    it(`a routine throwing at the ${at} (run inline by a hop, an entry or a DPC), then the pipe runs on`, () => {
      assertSame(pipe, (h) => {
        let calls = 0;
        const budgets = { src: { n: 30 }, mid: { n: 30 }, snk: { n: 30 } };
        const inner = {
          src: counting('src', budgets.src),
          mid: counting('mid', budgets.mid),
          snk: counting('snk', budgets.snk),
        };
        for (const name of ['src', 'mid', 'snk'] as const) {
          h.routines[name] = (pin, hh) => {
            if (name === at && ++calls % 3 === 2) {
              hh.log.push(`throw:${name}`);
              // one eject before the throw, so the throw is inside a section hop's callback further down
              const lead = pin.getLeadingEdge(StreamPointerState.locked);
              if (lead !== null) {
                if (pin.dataFlow === DataFlow.out) lead.frame!.header.dataUsed = 16;
                lead.unlock(true);
              }
              throw new Error(`boom-${name}`);
            }
            return inner[name](pin, hh);
          };
        }
        runAll(h);
        h.check();
        for (let i = 0; i < 6; i++) {
          for (const p of h.pins) {
            try {
              h.ejectOutside(p);
            } catch (error) {
              h.log.push(`caught:${(error as Error).message}`);
            }
            h.check();
          }
          try {
            h.work.runAll(100);
          } catch (error) {
            h.log.push(`work:${(error as Error).message}`);
          }
        }
      });
    });
  }

  it('a vendor allocator whose allocate dispatch ejects at the sink and adds a FREEFRAME listener (re-entrant fill)', () => {
    assertSame({ ...pipe, frames: 5, vendor: true }, (h) => {
      let allocations = 0;
      h.onAllocate = () => {
        allocations++;
        h.log.push(`allocate:${allocations}:${h.src.queue!.length}`);
        if (allocations === 7) h.ejectOutside(h.snk);
        if (allocations === 9) h.allocator.onFreeFrame(() => h.log.push('free'));
      };
      h.routines.src = counting('src', { n: 30 });
      h.routines.mid = counting('mid', { n: 30 });
      h.routines.snk = counting('snk', { n: 4 });
      runAll(h);
      h.check();
      for (let i = 0; i < 4; i++) {
        h.ejectOutside(h.snk);
        h.check();
      }
      h.work.runAll(100);
    });
  });
});

/** fast-check runs of the random differential (modest: the machine is shared). */
const RUNS = 150;

describe('circuit sections review 6: random scripts over arrival modes (fast-check differential)', () => {
  it('random flags, budgets, DPC ejects, listeners, route changes and statuses: the same with sections on and off', () => {
    let formed = 0;
    let runs = 0;
    const flag = fc.constantFrom(0, PinFlags.initiateProcessingOnEveryArrival, PinFlags.doNotInitiateProcessing);
    const op = fc.oneof(
      fc.record({ k: fc.constant('dpc' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('attempt' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('budget' as const), pin: fc.nat(3), n: fc.nat(4) }),
      fc.record({ k: fc.constant('listener' as const) }),
      fc.record({ k: fc.constant('reroute' as const) }),
      fc.record({ k: fc.constant('empty' as const), on: fc.boolean() }),
      fc.record({ k: fc.constant('fail' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('work' as const) }),
      fc.record({ k: fc.constant('stop' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('reset' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('replace' as const) }),
      fc.record({ k: fc.constant('style' as const), pin: fc.nat(3), style: fc.nat(2) }),
    );
    fc.assert(
      fc.property(
        fc.record({
          srcFlags: flag,
          midFlags: flag,
          snkFlags: flag,
          transform: fc.boolean(),
          receiveZero: fc.boolean(),
          frames: fc.integer({ min: 1, max: 6 }),
        }),
        fc.array(op, { minLength: 1, maxLength: 25 }),
        (options, ops) => {
          const { on, off } = differential(options, (h) => {
            const names = ['src', 'mid', 'snk'];
            const budgets: Record<string, { n: number }> = { src: { n: 4 }, mid: { n: 4 }, snk: { n: 4 } };
            let empty = false;
            let fail = -1;
            const styles = [0, 0, 0];
            for (const name of names) {
              const inner = counting(name, budgets[name]!);
              h.routines[name] = (pin, hh) => {
                const style = styles[names.indexOf(name)]!;
                if (style !== 0) {
                  // unlock(false) or a partial advanceOffsetsAndUnlock before the usual ejects
                  const l = pin.getLeadingEdge(StreamPointerState.locked);
                  if (l !== null) {
                    if (style === 1) l.unlock(false);
                    else if (pin.dataFlow === DataFlow.in)
                      l.advanceOffsetsAndUnlock(Math.min(4, l.offsetIn.remaining), 0);
                    else l.advanceOffsetsAndUnlock(0, Math.min(4, l.offsetOut.remaining));
                    hh.log.push(`style:${name}:${style}`);
                  }
                }
                const lead = pin.getLeadingEdge(StreamPointerState.unlocked);
                if (fail === hh.pins.indexOf(pin) && lead?.frame) {
                  lead.setStatusCode(Status.unsuccessful);
                  fail = -1;
                }
                if (name === 'src' && lead?.frame) lead.frame.header.dataUsed = empty ? 0 : 16;
                return inner(pin, hh);
              };
            }
            let off: (() => void) | null = null;
            const make = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester;
            runAll(h);
            h.check();
            for (const o of ops) {
              const pin = 'pin' in o ? h.pins[o.pin % h.pins.length]! : null;
              try {
                switch (o.k) {
                  case 'dpc': {
                    const lead = pin!.getLeadingEdge(StreamPointerState.locked);
                    if (lead !== null) {
                      if (pin === h.src) lead.frame!.header.dataUsed = empty ? 0 : 16;
                      lead.unlock(true);
                    }
                    h.log.push(`dpc:${o.pin}`);
                    break;
                  }
                  case 'attempt':
                    pin!.attemptProcessing();
                    break;
                  case 'budget':
                    budgets[names[o.pin % 3]!]!.n += o.n;
                    break;
                  case 'listener':
                    if (off === null) off = h.allocator.onFreeFrame(() => h.log.push('free'));
                    else {
                      off();
                      off = null;
                    }
                    break;
                  case 'reroute': {
                    const up = h.pins.length === 2 ? h.src : h.mid!.inPlaceCounterpart!;
                    disconnectPins(up);
                    connectPins(up, h.snk);
                    break;
                  }
                  case 'empty':
                    empty = o.on;
                    break;
                  case 'fail':
                    fail = o.pin % h.pins.length;
                    break;
                  case 'work':
                    h.work.runAll(100);
                    break;
                  case 'stop':
                    pin!.setState(KsState.stop);
                    pin!.setState(KsState.run);
                    break;
                  case 'reset':
                    pin!.setResetState(KsReset.begin);
                    pin!.setResetState(KsReset.end);
                    break;
                  case 'replace':
                    h.requester = make(h.src);
                    break;
                  case 'style':
                    styles[o.pin % 3] = o.style;
                    break;
                }
              } catch (error) {
                h.log.push(`error:${(error as Error).message}`);
              }
              h.check();
            }
            off?.();
          });
          assert.deepStrictEqual(on.snap, off.snap);
          assert.deepStrictEqual(on.teardown, off.teardown);
          assert.equal(on.outstanding, 0);
          assert.equal(off.outstanding, 0);
          if (on.formed) formed++;
          runs++;
        },
      ),
      { numRuns: RUNS },
    );
    assert.ok(formed > runs / 2, `the section formed in ${formed} of ${runs} runs`);
  });
});

describe('circuit sections review 6: the requester checks active() again after code ran in its fill', () => {
  // A new requester on a running source with the whole pool free fills from outside any routine: its first entry
  // (into the empty queue) runs the source routine inline; the routine holds its frame (so later entries are quiet)
  // and changes what active() reads. The fill must stop exactly where it stops without sections.
  const acts: [string, (h: Harness) => void][] = [
    ['stops its pin', (h) => h.src.setState(KsState.stop)],
    ['begins a reset of its pin', (h) => h.src.setResetState(KsReset.begin)],
    ['closes its pin', (h) => h.src.close()],
    ['calls allocator.deleteWhenIdle()', (h) => void h.allocator.deleteWhenIdle()],
    // (the requester is not registered yet while its constructor fills: detaching it there is tested by the vendor
    // allocator's variant below)
  ];
  for (const [name, act] of acts) {
    it(`the source routine, run inline by the fill's first entry, ${name}`, () => {
      assertSame({ frames: 5, transform: true }, (h) => {
        let runs = 0;
        let actAt = -1;
        h.routines.src = (pin, hh) => {
          runs++;
          hh.log.push(`run:src:${runs}:${pin.queue!.length}`);
          hh.check();
          if (runs === actAt) {
            act(hh);
            hh.log.push(`acted:${pin.queue?.length}:${hh.allocator.outstanding}`);
          }
          return Status.pending; // holds its frames: the entries after this one are quiet
        };
        runAll(h);
        h.check();
        // every frame back (the source stopped and started again: its queue flushed), then a new requester fills
        h.src.setState(KsState.stop);
        clearPipeSource(h.src);
        h.log.push(`idle:${h.allocator.outstanding}`);
        h.src.setState(KsState.run);
        actAt = runs + 1;
        h.requester = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester(h.src);
        h.check();
        h.log.push(`filled:${h.requester.outstanding}:${h.src.queue!.length}:${h.requester.stalls}`);
        if (h.src.isOpen && h.src.resetState === KsReset.begin) h.src.setResetState(KsReset.end);
        h.work.runAll(100);
      });
    });
  }

  const vendorActs: [string, (h: Harness) => void][] = [
    ['calls allocator.deleteWhenIdle()', (h) => void h.allocator.deleteWhenIdle()],
    ['detaches the requester (clearPipeSource)', (h) => clearPipeSource(h.src)],
    ['begins a reset of the source', (h) => h.src.setResetState(KsReset.begin)],
    ['closes the source', (h) => h.src.close()],
    ['stops the source', (h) => h.src.setState(KsState.stop)],
  ];
  for (const [name, act] of vendorActs) {
    it(`a vendor allocator's allocate dispatch that ${name} while the requester refills`, () => {
      assertSame({ frames: 6, transform: true, vendor: true }, (h) => {
        let allocations = 0;
        let actAt = -1;
        h.onAllocate = () => {
          allocations++;
          h.log.push(`allocate:${allocations}:${h.src.queue!.length}`);
          if (allocations === actAt) act(h);
        };
        h.routines.src = ejecting('src', { n: 6 });
        h.routines.mid = ejecting('mid', { n: 6 });
        h.routines.snk = ejecting('snk', { n: 0 });
        runAll(h);
        h.check();
        // the sink gives three frames back inside one routine run (the refill is deferred, then takes them at once)
        actAt = allocations + 2;
        h.routines.snk = ejecting('snk', { n: 3 });
        h.snk.attemptProcessing();
        h.check();
        h.log.push(`after:${h.requester.outstanding}:${h.requester.stalls}:${h.src.queue!.length}`);
        // the frame allocated by the call that acted is not entered into a pin that may not take it: it is freed
        h.log.push(`allocator:${h.allocator.outstanding}:${h.requester.outstanding}`);
        assert.equal(h.allocator.outstanding, h.requester.outstanding, 'every allocated frame is the requester’s');
        if (h.src.isOpen && h.src.resetState === KsReset.begin) h.src.setResetState(KsReset.end);
        h.work.runAll(100);
      });
    });
  }
});

describe('circuit sections review 6: the registry of attached sections', () => {
  it('a running pipe dropped without STOP (a section attached) is collectable, as it is without sections', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const trial = async (enabled: boolean) => {
      setCircuitSections(enabled);
      let ref!: WeakRef<Pin>;
      let attached = false;
      try {
        (() => {
          const h = build({ frames: 4, transform: true });
          h.routines.src = ejecting('src', { n: 40 });
          h.routines.mid = ejecting('mid', { n: 40 });
          runAll(h); // the frames wait at the sink; nothing is stopped
          attached = h.attached().includes(true);
          ref = new WeakRef(h.src);
        })();
      } finally {
        setCircuitSections(true);
      }
      // (a WeakRef's target stays alive until the job that made it ends: collect after a few turns)
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        gc();
      }
      return { attached, collected: ref.deref() === undefined };
    };
    assert.deepEqual(await trial(false), { attached: false, collected: true });
    assert.deepEqual(await trial(true), { attached: true, collected: true });
  });
});
