import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectPins, disconnectPins } from '../../src/pin/pin.js';
import { KsState } from '../../src/state.js';
import { Status } from '../../src/status.js';
import { StreamPointerState } from '../../src/stream/stream-pointer.js';
import { assertSame, differential, ejecting, type Harness, runAll } from './section-harness.js';

// The hop's quiet paths (pin/circuit-section.ts, docs/processing.md "Circuit sections"): a frame that leaves the
// circuit goes back to the requester without a callback when only bookkeeping is due, an arrival the next pin ignores
// runs no callback, and the requester checks its pin again only after an entry whose arrival ran code. Each scenario
// runs with sections on and off (the review harness) and must read the same at every logged point.

describe('circuit sections: quiet returns and arrivals', () => {
  it('inside the sink routine, right after unlock(true), the frame is back on the allocator (quiet return)', () => {
    const quietReturns: number[] = [];
    const script = (h: Harness) => {
      const quiet = h.requester._returnQuiet.bind(h.requester);
      let n = 0;
      h.requester._returnQuiet = (frame) => {
        const ok = quiet(frame);
        if (ok) n++;
        return ok;
      };
      const budget = { n: 12 };
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        while (budget.n > 0) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          budget.n--;
          const before = hh.allocator.outstanding;
          lead.unlock(true);
          hh.log.push(`back:${before}->${hh.allocator.outstanding}:${hh.requester.outstanding}`);
        }
        return Status.pending;
      };
      h.routines.src = ejecting('src', { n: 12 });
      h.routines.mid = ejecting('mid', { n: 12 });
      runAll(h);
      h.check();
      quietReturns.push(n);
    };
    assertSame({ frames: 4, transform: true }, script);
    assert.ok(quietReturns[0]! > 0, 'the run with sections took the quiet return');
    assert.equal(quietReturns[1], 0, 'the run without took returnFrame only');
    const { on } = differential({ frames: 4, transform: true }, script);
    const backs = (on.snap as { log: string[] }).log.filter((l) => l.startsWith('back:'));
    assert.equal(backs.length, 12);
    for (const b of backs) {
      const [before, after] = b.slice(5).split(':')[0]!.split('->').map(Number);
      assert.equal(after, before! - 1, `${b}: one frame fewer outstanding as unlock(true) returns`);
    }
  });

  it('an application FREEFRAME listener on the allocator: every return takes returnFrame and the listener runs at the unlock', () => {
    assertSame({ frames: 3, transform: true }, (h) => {
      const off = h.allocator.onFreeFrame(() => h.log.push(`freeframe:${h.allocator.outstanding}`));
      h.routines.src = ejecting('src', { n: 9 });
      h.routines.mid = ejecting('mid', { n: 9 });
      h.routines.snk = (pin, hh) => {
        hh.log.push('run:snk');
        for (;;) {
          const lead = pin.getLeadingEdge(StreamPointerState.locked);
          if (lead === null) return Status.pending;
          hh.log.push(`snk:${hh.id(lead.frame)}`);
          lead.unlock(true);
          hh.log.push('snk:after-unlock');
        }
      };
      runAll(h);
      h.check();
      off();
    });
  });

  it('a source routine run inline by a fill (a DPC returned a frame) that stops its pin: the requester queues no more', () => {
    assertSame({ frames: 4, transform: true }, (h) => {
      let stopAt = -1;
      let runs = 0;
      h.routines.src = (pin, hh) => {
        runs++;
        hh.log.push(`run:src:${runs}:${pin.queue!.length}`);
        if (runs === stopAt) {
          pin.setState(KsState.stop);
          hh.log.push(`stopped:${hh.requester.outstanding}:${pin.queue!.length}`);
          return Status.pending;
        }
        const lead = pin.getLeadingEdge(StreamPointerState.locked);
        if (lead === null) return Status.pending;
        lead.frame!.header.dataUsed = 16;
        lead.unlock(true);
        return Status.pending;
      };
      h.routines.mid = ejecting('mid', { n: 4 });
      runAll(h);
      h.check();
      // frames wait at the sink; a DPC eject there returns one from outside any routine: the requester refills at
      // once, the source's arrival runs its routine inline, and the routine stops the pin
      stopAt = runs + 1;
      h.ejectOutside(h.snk);
      h.log.push(`after:${h.requester.outstanding}:${h.src.queue!.length}:${h.src.pipeState}`);
      h.ejectOutside(h.snk);
      h.log.push(`after2:${h.requester.outstanding}:${h.src.queue!.length}`);
    });
  });

  it('a vendor allocator whose allocate dispatch stops the source pin while the requester refills: the same with sections on and off', () => {
    assertSame({ frames: 6, transform: true, vendor: true }, (h) => {
      let allocations = 0;
      let stopAt = -1;
      h.onAllocate = () => {
        allocations++;
        h.log.push(`allocate:${allocations}:${h.src.queue!.length}`);
        if (allocations === stopAt) {
          h.src.setState(KsState.stop);
          h.log.push(`stopped:${h.requester.outstanding}`);
        }
      };
      h.routines.src = ejecting('src', { n: 6 });
      h.routines.mid = ejecting('mid', { n: 6 });
      h.routines.snk = ejecting('snk', { n: 4 });
      runAll(h);
      h.check();
      // a DPC eject at the sink returns a frame from outside any routine: the requester refills at once through
      // allocate(), whose dispatch stops the source at its second call from now
      stopAt = allocations + 2;
      h.ejectOutside(h.snk);
      h.ejectOutside(h.snk);
      h.log.push(`after:${h.requester.outstanding}:${h.src.queue!.length}:${h.src.pipeState}`);
    });
  });

  it('a route change while frames wait in a section: it detaches at once, and the frames go on by the generic path', () => {
    const seen: boolean[][] = [];
    const script = (h: Harness) => {
      h.routines.src = ejecting('src', { n: 4 });
      runAll(h);
      h.check();
      seen.push(h.attached());
      disconnectPins(h.src); // (then the same link again: a route change that ends where it began)
      seen.push(h.attached());
      connectPins(h.src, h.mid!);
      h.routines.mid = ejecting('mid', { n: 8 });
      h.routines.snk = ejecting('snk', { n: 8 });
      h.mid!.attemptProcessing();
      h.snk.attemptProcessing();
    };
    assertSame({ frames: 4, transform: true }, script);
    // seen: [on before, on after, off before, off after]
    assert.deepEqual(seen[0], [true, true, true], 'attached before the change (sections on)');
    assert.deepEqual(seen[1], [false, false, false], 'detached by the disconnect itself');
  });
});
