import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import { FileAlignment, PoolType } from '../../src/framing/constants.js';
import { CircuitFrame } from '../../src/pin/circuit-frame.js';
import { setCircuitSections } from '../../src/pin/circuit-section.js';
import { connectPins, disconnectPins, type Pin } from '../../src/pin/pin.js';
import { Communication, DataFlow } from '../../src/pin/pin-descriptor.js';
import { PinFlags } from '../../src/pin/pin-flags.js';
import { clearDelegateBranches, setDelegateBranches } from '../../src/processing/splitter-branches.js';
import { setPipeSource } from '../../src/processing/wiring.js';
import { KsReset, KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { makeFilter, pinDescriptor, streamFormat } from './helpers.js';

import { assertSame, differential, type Harness, type PipeOptions, runAll } from './section-harness.js';

// Adversarial review of circuit sections (pin/circuit-section.ts): each scenario runs the same script on a pipe with
// sections on and on one with sections off (the harness in section-harness.ts) and compares the log and the final
// snapshot of every queue, frame and the allocator; each also checks that the section really formed in the "on" run.

describe('circuit sections review: a completion on the hopping queue inside the hop callback (fixed: drains as _completeNow)', () => {
  it('a STOP of the source inside the callback of a hop (sink runs inline after a DPC eject) returns frames in the same order', () => {
    assertSame({ frames: 3 }, (h) => {
      let first = true;
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        if (first) {
          first = false;
          hh.src.setState(KsState.stop); // the source's queued frames are flushed back
          hh.log.push(`outstanding-after-stop:${hh.allocator.outstanding}`);
        }
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        hh.log.push(`snk:${hh.id(lead.frame)}`);
        lead.unlock(true);
        return Status.pending;
      };
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
    });
  });

  it('a reset of the source inside the callback of a hop returns frames in the same order', () => {
    assertSame({ frames: 3 }, (h) => {
      let first = true;
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        if (first) {
          first = false;
          hh.src.setResetState(KsReset.begin);
          hh.log.push(`outstanding-after-reset:${hh.allocator.outstanding}`);
          hh.src.setResetState(KsReset.end);
        }
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.unlock(true);
        return Status.pending;
      };
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
    });
  });
});

/** Sets a routine that ejects (with `act` per frame) while its budget lasts. */
function budgeted(
  h: Harness,
  name: string,
  budget: { n: number },
  act: (lead: NonNullable<ReturnType<Pin['getLeadingEdge']>>, h: Harness) => void = (l) => l.unlock(true),
): void {
  h.routines[name] = (pin, hh) => {
    hh.log.push(`run:${name}`);
    while (budget.n > 0) {
      const lead = pin.getLeadingEdge(StreamPointerState.locked);
      if (lead === null) return Status.pending;
      budget.n--;
      hh.log.push(`${name}:${hh.id(lead.frame)}`);
      if (pin.dataFlow === DataFlow.out && lead.frame!.header.dataUsed === 0) lead.frame!.header.dataUsed = 16;
      act(lead, hh);
    }
    return Status.pending;
  };
}

describe('circuit sections review: risky scenarios that hold', () => {
  it('the shared ring grows (and wraps) while every window holds frames', () => {
    assertSame({ frames: 40, transform: true }, (h) => {
      const src = { n: 0 };
      const mid = { n: 0 };
      const snk = { n: 0 };
      budgeted(h, 'src', src);
      budgeted(h, 'mid', mid);
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      for (let i = 0; i < 30; i++) {
        src.n += 3;
        h.src.attemptProcessing();
        mid.n += 2;
        h.mid!.attemptProcessing();
        snk.n += i % 3 === 0 ? 2 : 1;
        h.snk.attemptProcessing();
        h.check();
        h.log.push(`lengths:${h.pins.map((p) => p.queue!.length).join(',')}`);
      }
      src.n = mid.n = snk.n = 1000;
      h.src.attemptProcessing();
      h.mid!.attemptProcessing();
      h.snk.attemptProcessing();
      h.log.push(`lengths:${h.pins.map((p) => p.queue!.length).join(',')}`);
    });
  });

  it('a clone made inside the hop callback (sink run inline) detaches; the ejects that follow take the generic path', () => {
    assertSame({ frames: 4 }, (h) => {
      let clone: ReturnType<Pin['getLeadingEdge']> = null;
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        if (clone === null) {
          clone = lead.clone(null);
          clone.unlock(false);
        }
        lead.unlock(true);
        return Status.pending;
      };
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
      clone!.delete();
      h.ejectOutside(h.src);
    });
  });

  it('a sink routine throwing inside the hop callback: the error reaches the eject, the queues stay consistent', () => {
    assertSame({ frames: 3 }, (h) => {
      let throws = 1;
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.unlock(true);
        if (throws-- > 0) throw new Error('sink threw');
        return Status.pending;
      };
      runAll(h);
      h.check();
      try {
        h.ejectOutside(h.src);
      } catch (error) {
        h.log.push(`caught:${(error as Error).message}`);
      }
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
    });
  });

  it('the requester throwing from returnFrame at the last pin (after freeing): same error, same state', () => {
    assertSame({ frames: 3 }, (h) => {
      const budget = { n: 10 };
      budgeted(h, 'snk', budget);
      runAll(h);
      h.check();
      const r = h.requester;
      const back = r.returnFrame.bind(r);
      let throws = 1;
      r._returnQuiet = () => false; // (every return takes returnFrame, the one that throws)
      r.returnFrame = (frame: CircuitFrame) => {
        back(frame);
        if (throws-- > 0) throw new Error('returnFrame threw');
      };
      try {
        h.ejectOutside(h.src);
      } catch (error) {
        h.log.push(`caught:${(error as Error).message}`);
      }
      h.log.push(`lengths:${h.pins.map((p) => p.queue!.length).join(',')}`);
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
    });
  });

  it('a status set by setStatusCode at the last pin (and in the middle) is what the requester gets back', () => {
    assertSame({ frames: 3, transform: true }, (h) => {
      const mid = { n: 100 };
      const snk = { n: 100 };
      let k = 0;
      budgeted(h, 'mid', mid, (lead) => {
        if (k++ === 2) lead.setStatusCode(Status.unsuccessful);
        lead.unlock(true);
      });
      budgeted(h, 'snk', snk, (lead) => {
        if (k % 2 === 0) lead.setStatusCode(Status.deviceNotReady);
        lead.unlock(true);
      });
      runAll(h);
      h.check();
      for (let i = 0; i < 6; i++) h.ejectOutside(h.src);
    });
  });

  it('zero-length frames: bypassing the transform and the sink (no RECEIVE_ZERO_LENGTH_SAMPLES) and not', () => {
    for (const receiveZero of [false, true]) {
      assertSame({ frames: 3, transform: true, receiveZero }, (h) => {
        const mid = { n: 100 };
        const snk = { n: 100 };
        budgeted(h, 'mid', mid);
        budgeted(h, 'snk', snk);
        let k = 0;
        h.routines.src = (pin, hh) => {
          hh.check();
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null || k >= 8) return Status.pending;
          lead.frame!.header.dataUsed = k++ % 3 === 0 ? 0 : 16;
          hh.log.push(`src:${hh.id(lead.frame)}:${lead.frame!.header.dataUsed}`);
          lead.unlock(true);
          return Status.success;
        };
        runAll(h);
        h.check();
      });
    }
  });

  it('a disconnect inside a routine (route epoch) ends the fast path: the frames return from where the circuit now ends', () => {
    assertSame({ frames: 3 }, (h) => {
      const snk = { n: 100 };
      budgeted(h, 'snk', snk);
      let once = true;
      h.routines.src = (pin, hh) => {
        hh.check();
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = 16;
        if (once) {
          once = false;
          disconnectPins(hh.src);
        }
        lead.unlock(true);
        return Status.pending;
      };
      runAll(h);
      h.check();
      h.src.attemptProcessing();
      h.src.attemptProcessing();
      connectPins(h.src, h.snk);
      h.src.attemptProcessing();
    });
  });

  it('a second requester on the sink (a pin inside the section) mid-run', () => {
    assertSame({ frames: 4 }, (h) => {
      const snk = { n: 0 };
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
      const other = createDefaultAllocator();
      other.initialize(null, {
        optionsFlags: 0,
        poolType: PoolType.nonPagedPool,
        frames: 2,
        frameSize: 16,
        fileAlignment: FileAlignment.long,
        reserved: 0,
      });
      const r2 = setPipeSource(h.snk, other, { framesPerTurn: 64 });
      h.log.push(`snk-length:${h.snk.queue!.length}:${r2.outstanding}`);
      snk.n = 100;
      h.snk.attemptProcessing();
      h.ejectOutside(h.src);
      h.log.push(`other:${other.outstanding}:${r2.outstanding}`);
      h.snk.setState(KsState.stop);
      h.log.push(`other:${other.outstanding}:${r2.outstanding}`);
    });
  });

  it('deleteWhenIdle on the allocator mid-run: frames keep coming back, none is allocated again', () => {
    assertSame({ frames: 3 }, (h) => {
      const snk = { n: 100 };
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
      h.allocator.deleteWhenIdle();
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
      h.log.push(`state:${h.allocator.state}`);
    });
  });

  it('frames held by the sink come back after STOP; STOP→RUN forms the section again', () => {
    assertSame({ frames: 3 }, (h) => {
      const snk = { n: 0 };
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
      h.src.setState(KsState.stop);
      h.log.push(`after-src-stop:${h.allocator.outstanding}`);
      h.snk.setState(KsState.stop);
      h.log.push(`after-snk-stop:${h.allocator.outstanding}`);
      h.snk.setState(KsState.run);
      h.src.setState(KsState.run);
      snk.n = 100;
      h.ejectOutside(h.src);
      h.ejectOutside(h.src);
    });
  });

  it('the sink closed from inside the source routine mid-run', () => {
    assertSame({ frames: 3 }, (h) => {
      const snk = { n: 100 };
      budgeted(h, 'snk', snk);
      let k = 0;
      h.routines.src = (pin, hh) => {
        hh.check();
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null || k >= 4) return Status.pending;
        lead.frame!.header.dataUsed = 16;
        if (k++ === 2) hh.snk.close();
        lead.unlock(true);
        return Status.success;
      };
      runAll(h);
      h.check();
    });
  });

  it('a filter-centric sink in the section (its arrival runs the filter inline)', () => {
    assertSame({ frames: 3, filterCentricSink: true }, (h) => {
      const snk = { n: 5 };
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      for (let i = 0; i < 4; i++) h.ejectOutside(h.src);
      snk.n = 100;
      h.snk.filter.attemptProcessing();
    });
  });

  it('an external frame added to the source queue while the section holds (add detaches)', () => {
    assertSame({ frames: 3 }, (h) => {
      const snk = { n: 100 };
      budgeted(h, 'snk', snk);
      runAll(h);
      h.check();
      h.ejectOutside(h.src);
      const returned: string[] = [];
      const sink = {
        returnFrame: (f: CircuitFrame) => {
          returned.push(`x:${f.status}`);
          h.log.push(`xret:${f.status}`);
        },
      };
      const f = new CircuitFrame(sink, null, new Uint8Array(16));
      f.header.dataUsed = 16;
      h.src.queue!.add(f);
      for (let i = 0; i < 4; i++) h.ejectOutside(h.src);
    });
  });

  it('a one-pin section (an unconnected source): a DPC eject returns, refills and runs the source inline', () => {
    assertSame({ frames: 2 }, (h) => {
      disconnectPins(h.src);
      h.snk.setState(KsState.run);
      const src = { n: 3 };
      budgeted(h, 'src', src);
      h.src.setState(KsState.run);
      h.check();
      h.ejectOutside(h.src);
      src.n = 2;
      h.ejectOutside(h.src);
    });
  });
});

describe('circuit sections review: injection and splitters', () => {
  it('an injecting source (frame-return callback): the requester stays idle, submitted frames take the generic path', () => {
    assertSame(
      { frames: 3 },
      (h) => {
        const snk = { n: 100 };
        budgeted(h, 'snk', snk);
        h.src.registerFrameReturnCallback((_pin, _data, header, context, status) => {
          h.log.push(`injected-back:${String(context)}:${header.dataUsed}:${status}`);
        });
        runAll(h);
        h.check();
        for (let i = 0; i < 3; i++) {
          h.src.submitFrame(new Uint8Array(16), { dataUsed: 16 }, i);
          h.check();
          h.ejectOutside(h.src);
        }
        h.src.setState(KsState.stop);
        h.src.registerFrameReturnCallback(null);
        h.src.setState(KsState.run); // the requester fills again
        h.check();
        for (let i = 0; i < 3; i++) h.ejectOutside(h.src);
      },
      true,
    );
  });

  it('a splitter delegate with a requester: no section while the fan-out is hooked; after clearDelegateBranches and STOP→RUN one forms', () => {
    const script = (enabled: boolean) => {
      setCircuitSections(enabled);
      try {
        const log: string[] = [];
        const split = makeFilter([
          pinDescriptor({
            dataFlow: DataFlow.out,
            communication: Communication.source,
            flags: PinFlags.splitter,
            instancesPossible: 2,
          }),
        ]);
        const down = makeFilter([pinDescriptor({ instancesPossible: 2 })]);
        const outs = [split.filter.createPin(0, streamFormat), split.filter.createPin(0, streamFormat)];
        const ins = [down.filter.createPin(0, streamFormat), down.filter.createPin(0, streamFormat)];
        connectPins(outs[0]!, ins[0]!);
        connectPins(outs[1]!, ins[1]!);
        setDelegateBranches(outs[0]!, [outs[1]!], { frames: 2 });
        const allocator = createDefaultAllocator();
        allocator.initialize(null, {
          optionsFlags: 0,
          poolType: PoolType.nonPagedPool,
          frames: 3,
          frameSize: 16,
          fileAlignment: FileAlignment.long,
          reserved: 0,
        });
        const r = setPipeSource(outs[0]!, allocator, { framesPerTurn: 64 });
        const formed: boolean[] = [];
        const note = () => formed.push(outs[0]!.queue!._section !== null);
        const eject = (p: Pin) => {
          const lead = p.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return log.push('none');
          if (p.dataFlow === DataFlow.out) lead.frame!.header.dataUsed = 8;
          log.push(`${p === outs[0] ? 'd' : 'c'}:${lead.frame!.buffer?.index ?? 'v'}`);
          lead.unlock(true);
          return 0;
        };
        const lengths = () => log.push([...outs, ...ins].map((p) => p.queue!.length).join(','));
        for (const p of [...ins, ...outs]) p.setState(KsState.run);
        note();
        eject(outs[0]!);
        eject(outs[0]!);
        lengths();
        eject(ins[1]!);
        eject(ins[0]!);
        lengths();
        log.push(`out:${allocator.outstanding}`);
        for (const p of [...outs, ...ins]) p.setState(KsState.stop);
        clearDelegateBranches(outs[0]!);
        for (const p of [...ins, ...outs]) p.setState(KsState.run);
        note();
        eject(outs[0]!);
        eject(ins[0]!);
        eject(outs[0]!);
        lengths();
        log.push(`out:${allocator.outstanding}:${r.outstanding}`);
        for (const p of [...outs, ...ins]) p.setState(KsState.stop);
        log.push(`end:${allocator.outstanding}`);
        return { log, formed };
      } finally {
        setCircuitSections(true);
      }
    };
    const on = script(true);
    const off = script(false);
    assert.deepEqual(on.formed, [false, true], 'no section with the fan-out; one after it is cleared');
    assert.deepStrictEqual(on.log, off.log);
    assert.equal(on.log.at(-1), 'end:0');
  });
});

describe('circuit sections review: nested completions (property)', () => {
  it('DPC-style ejects on any pin, routines run inline with budgets, STOP/RUN and resets of any pin from inside a routine: the same as without sections', () => {
    const step = fc.oneof(
      fc.record({ k: fc.constant('dpc' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('budget' as const), pin: fc.nat(3), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ k: fc.constant('attempt' as const), pin: fc.nat(3) }),
      fc.record({ k: fc.constant('inside' as const), pin: fc.nat(3), what: fc.constantFrom('stop', 'reset', 'cycle') }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        fc.array(step, { maxLength: 14 }),
        (frames, transform, steps) => {
          const { on, off } = differential({ frames, transform }, (h) => {
            const budgets = h.pins.map(() => ({ n: 0 }));
            // what the next routine run does first (once) to some pin: stop it, reset it, or stop and restart it
            let pending: { pin: Pin; what: string } | null = null;
            h.pins.forEach((pin, i) => {
              const name = pin === h.src ? 'src' : pin === h.snk ? 'snk' : pin === h.mid ? 'mid' : 'out';
              budgeted(h, name, budgets[i]!);
              const inner = h.routines[name]!;
              h.routines[name] = (p, hh) => {
                hh.check();
                const todo = pending;
                pending = null;
                if (todo !== null) {
                  hh.log.push(`inside:${todo.what}`);
                  if (todo.what === 'reset') {
                    todo.pin.setResetState(KsReset.begin);
                    todo.pin.setResetState(KsReset.end);
                  } else {
                    todo.pin.setState(KsState.stop);
                    if (todo.what === 'cycle') todo.pin.setState(KsState.run);
                  }
                  hh.log.push(`outstanding:${hh.allocator.outstanding}`);
                }
                return inner(p, hh);
              };
            });
            runAll(h);
            h.check();
            for (const s of steps) {
              const pin = h.pins[s.pin % h.pins.length]!;
              try {
                if (s.k === 'dpc') h.ejectOutside(pin);
                else if (s.k === 'budget') budgets[s.pin % h.pins.length]!.n += s.n;
                else if (s.k === 'attempt') pin.attemptProcessing();
                else pending = { pin, what: s.what };
              } catch (error) {
                h.log.push(`error:${(error as Error).message}`);
              }
              h.log.push(`len:${h.pins.map((p) => p.queue!.length).join(',')}:${h.allocator.outstanding}`);
            }
          });
          assert.deepStrictEqual(on.snap, off.snap);
          assert.equal(on.outstanding, 0);
          assert.equal(off.outstanding, 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

type BroadAct = 'eject' | 'partial' | 'fail' | 'zero' | 'clone' | 'throw' | 'advance';
type BroadStep =
  | { k: 'dpc'; pin: number; act: BroadAct }
  | { k: 'budget'; pin: number; n: number }
  | { k: 'act'; pin: number; act: BroadAct }
  | { k: 'attempt'; pin: number }
  | { k: 'inside'; pin: number; what: string }
  | { k: 'delClone' };

/** One case of the broad property: the same steps on a pipe with sections on and off. */
function broadCase(options: PipeOptions, steps: readonly BroadStep[]) {
  type Act = BroadAct;
  const { on, off } = differential(options, (h) => {
    const acts: Act[] = h.pins.map(() => 'eject');
    const budgets = h.pins.map(() => ({ n: 0 }));
    const clones: NonNullable<ReturnType<Pin['getLeadingEdge']>>[] = [];
    const extra = { made: 0 };
    const doAct = (pin: Pin, lead: NonNullable<ReturnType<Pin['getLeadingEdge']>>, a: Act) => {
      const f = lead.frame!;
      if (pin.dataFlow === DataFlow.out && f.header.dataUsed === 0) f.header.dataUsed = 16;
      h.log.push(`act:${h.pins.indexOf(pin)}:${h.id(f)}:${a}`);
      switch (a) {
        case 'eject':
          lead.unlock(true);
          break;
        case 'partial': {
          const use = Math.max(1, lead.offset.remaining >> 1);
          const out = pin.dataFlow === DataFlow.out;
          h.log.push(`partial:${out ? lead.advanceOffsetsAndUnlock(0, use) : lead.advanceOffsetsAndUnlock(use, 0)}`);
          break;
        }
        case 'fail':
          lead.setStatusCode(Status.unsuccessful);
          lead.unlock(true);
          break;
        case 'zero':
          f.header.dataUsed = 0;
          lead.unlock(true);
          break;
        case 'clone': {
          const c = lead.clone((p) => {
            h.log.push('cancelCb');
            p.delete();
          });
          c.unlock();
          clones.push(c);
          lead.unlock(true);
          break;
        }
        case 'throw':
          lead.unlock(true);
          throw new Error('routine threw');
        case 'advance': {
          h.log.push(`advance:${lead.advance()}`);
          if (lead.locked) lead.unlock(false);
          break;
        }
      }
    };
    let pending: { pin: Pin; what: string } | null = null;
    const inside = (todo: { pin: Pin; what: string }) => {
      h.log.push(`inside:${todo.what}`);
      const p = todo.pin;
      switch (todo.what) {
        case 'reset':
          p.setResetState(KsReset.begin);
          p.setResetState(KsReset.end);
          break;
        case 'stop':
          p.setState(KsState.stop);
          break;
        case 'cycle':
          p.setState(KsState.stop);
          p.setState(KsState.run);
          break;
        case 'unlink':
          if (h.snk.peer !== null) disconnectPins(h.snk.peer);
          break;
        case 'relink': {
          const last = h.mid === null ? h.src : h.mid.inPlaceCounterpart!;
          if (last.peer === null && h.snk.peer === null) connectPins(last, h.snk);
          break;
        }
        case 'delClone': {
          const c = clones.find((x) => !x.deleted);
          c?.delete();
          break;
        }
        case 'close':
          // (the source is never closed: its requester's frames would have nowhere to start)
          if (p !== h.src) p.close();
          break;
        case 'requester': {
          // a new requester on the pin (the old one of that pin detaches; its frames still come back to it)
          const make = (h as unknown as { newRequester: (pin: Pin) => Harness['requester'] }).newRequester;
          if (p === h.src) h.requester = make(p);
          else if (p.isOpen) h.others.push(setPipeSource(p, h.allocator, { framesPerTurn: 64 }));
          break;
        }
        case 'deleteWhenIdle':
          h.allocator.deleteWhenIdle();
          break;
        case 'add': {
          if (p.pipeState === KsState.stop || p.resetState === KsReset.begin) break;
          const sink = { returnFrame: (f: CircuitFrame) => h.log.push(`xret:${f.status}`) };
          const f = new CircuitFrame(sink, null, new Uint8Array(16));
          f.header.dataUsed = 16;
          f.context = extra.made++;
          p.queue!.add(f);
          break;
        }
      }
    };
    h.pins.forEach((pin, i) => {
      const name = pin === h.src ? 'src' : pin === h.snk ? 'snk' : pin === h.mid ? 'mid' : 'out';
      h.routines[name] = (p, hh) => {
        hh.check();
        hh.log.push(`run:${i}`);
        const todo = pending;
        pending = null;
        if (todo !== null) inside(todo);
        while (budgets[i]!.n > 0) {
          const lead = p.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          budgets[i]!.n--;
          doAct(p, lead, acts[i]!);
        }
        return Status.pending;
      };
    });
    runAll(h);
    h.check();
    for (const s of steps) {
      try {
        if (s.k === 'delClone') {
          const c = clones.find((x) => !x.deleted);
          c?.delete();
        } else {
          const i = s.pin % h.pins.length;
          const pin = h.pins[i]!;
          if (s.k === 'dpc') {
            if (!pin.isOpen) continue;
            const lead = pin.getLeadingEdge(StreamPointerState.locked);
            h.log.push(`dpc:${i}:${h.id(lead?.frame ?? null)}`);
            if (lead !== null) doAct(pin, lead, s.act);
          } else if (s.k === 'budget') budgets[i]!.n += s.n;
          else if (s.k === 'act') acts[i] = s.act;
          else if (s.k === 'attempt') {
            if (pin.filter.filterCentric) pin.filter.attemptProcessing();
            else pin.attemptProcessing();
          } else pending = { pin, what: s.what };
        }
      } catch (error) {
        h.log.push(`error:${(error as Error).message}`);
      }
      h.log.push(`len:${h.pins.map((p) => p.queue!.length).join(',')}:${h.allocator.outstanding}`);
    }
    // (teardown in `differential` stops every pin: nothing is left for a routine to do then — no pending step, no
    // budget — and the clones go first so every frame comes back)
    pending = null;
    for (const b of budgets) b.n = 0;
    for (const c of clones) if (!c.deleted) c.delete();
  });
  return { on, off };
}

export { broadCase };

describe('circuit sections review: broad property', () => {
  it('every act in routines and outside them, steps from inside routines, clones deleted later: the same as without sections', () => {
    const act = fc.constantFrom<BroadAct>(
      'eject',
      'eject',
      'eject',
      'partial',
      'fail',
      'zero',
      'clone',
      'throw',
      'advance',
    );
    const step = fc.oneof(
      fc.record({ k: fc.constant('dpc' as const), pin: fc.nat(3), act }),
      fc.record({ k: fc.constant('budget' as const), pin: fc.nat(3), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ k: fc.constant('act' as const), pin: fc.nat(3), act }),
      fc.record({ k: fc.constant('attempt' as const), pin: fc.nat(3) }),
      fc.record({
        k: fc.constant('inside' as const),
        pin: fc.nat(3),
        what: fc.constantFrom(
          'stop',
          'reset',
          'cycle',
          'unlink',
          'relink',
          'delClone',
          'add',
          'close',
          'requester',
          'deleteWhenIdle',
        ),
      }),
      fc.record({ k: fc.constant('delClone' as const) }),
    );
    const shape = fc.record({
      frames: fc.integer({ min: 1, max: 4 }),
      transform: fc.boolean(),
      receiveZero: fc.boolean(),
      filterCentricSink: fc.boolean(),
      outProcesses: fc.boolean(),
    });
    let formed = 0;
    let runs = 0;
    fc.assert(
      fc.property(shape, fc.array(step, { maxLength: 16 }), (options, steps) => {
        const { on, off } = broadCase(options, steps);
        runs++;
        if (on.formed) formed++;
        assert.deepStrictEqual(on.snap, off.snap);
        assert.deepStrictEqual(on.teardown, off.teardown);
        assert.equal(on.outstanding, 0);
        assert.equal(off.outstanding, 0);
      }),
      { numRuns: 300 },
    );
    // (the runs must exercise sections: most form one at some point)
    assert.ok(formed > runs / 2, `a section formed in ${formed} of ${runs} runs`);
  });
});
