import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainDescription } from '../../bench/cases/negotiate-description.js';
import { negotiate } from '../../src/graph/negotiation/negotiate.js';

describe('negotiate: record sub-objects may be shared and are then frozen (docs/negotiation.md §4, §6)', () => {
  it('carriedSize preference ranges: one frozen object per carried size, shared by the pipes carrying it', () => {
    const record = negotiate(chainDescription(8));
    const carried = record.pipes
      .flatMap((p) => p.size.preferences)
      .filter((p) => p.source === 'carriedSize')
      .map((p) => p.range);
    assert.ok(carried.length >= 2);
    for (const r of carried) {
      assert.equal(r, carried[0]);
      assert.ok(Object.isFrozen(r));
    }
    assert.deepEqual(carried[0], { minFrameSize: 4096, maxFrameSize: 0xffffffff, stepping: 1 });
    // A caller writing into a shared object fails loudly; no other pipe (or later record) changes.
    assert.throws(() => {
      (carried[0] as { minFrameSize: number }).minFrameSize = 1;
    }, TypeError);
    const again = negotiate(chainDescription(8));
    assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(record)));
  });

  it('the description’s own objects are shared with the record but never frozen', () => {
    const description = chainDescription(4);
    const record = negotiate(description);
    const item = description.filters[0]!.pins[0]!.allocatorFraming!.items[0]!;
    assert.equal(record.pipes[0]!.requirements[0]!.physicalRange, item.physicalRange);
    assert.ok(!Object.isFrozen(item.physicalRange));
    assert.ok(!Object.isFrozen(item));
  });
});
