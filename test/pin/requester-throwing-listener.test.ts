import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KsState } from '../../src/state.js';
import { build, ejecting } from './section-harness.js';

describe('requester: a FREEFRAME listener that throws', () => {
  for (const frames of [1, 2]) {
    it(`the error reaches the code that freed the frame, and the pipe goes on (pool of ${frames})`, () => {
      // source → sink over a pool of `frames`; the source produces 6 frames, the sink consumes every one
      const h = build({ frames });
      const produced = { n: 6 };
      const consumed = { n: Number.POSITIVE_INFINITY };
      h.routines.src = ejecting('src', produced);
      h.routines.snk = ejecting('snk', consumed);
      let calls = 0;
      const off = h.allocator.onFreeFrame(() => {
        calls++;
        if (calls === 2) throw new Error('listener threw');
      });
      h.snk.setState(KsState.run);
      assert.throws(() => h.src.setState(KsState.run), /listener threw/);
      // the refill the throwing return owed runs as a work item of the source's filter
      h.work.runAll(100);
      assert.equal(produced.n, 0, 'every frame produced');
      assert.equal(h.log.filter((l) => l.startsWith('snk:')).length, 6, 'every frame consumed');
      assert.equal(calls, 6, 'one FREEFRAME per frame consumed (each freed once)');
      off();
      h.src.setState(KsState.stop);
      h.snk.setState(KsState.stop);
      assert.equal(h.allocator.outstanding, 0, 'every frame back');
    });
  }
});
