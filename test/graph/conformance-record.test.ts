import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDecisionRecord, type NegotiationDescription, NegotiationError, negotiate } from '../../src/index.js';
import { framing, range } from './fixtures.js';

// Conformance: the decision record and NegotiationError (docs/negotiation.md §4).

/** s.out (hard 10..20) → t (in place) → t.out (hard 30..40) → k.in: fails at t.out. */
function failing(ids: { s?: string; t?: string; out?: string } = {}): NegotiationDescription {
  const s = ids.s ?? 's';
  const t = ids.t ?? 't';
  const out = ids.out ?? 'out';
  return {
    filters: [
      { id: s, pins: [{ id: 'out', dataFlow: 'out', allocatorFraming: framing({ physicalRange: range(10, 20) }) }] },
      {
        id: t,
        pins: [
          { id: 'in', dataFlow: 'in', allocatorFraming: framing({ flags: 1 }) },
          { id: out, dataFlow: 'out', allocatorFraming: framing({ physicalRange: range(30, 40) }) },
        ],
      },
      { id: 'k', pins: [{ id: 'in', dataFlow: 'in', allocatorFraming: null }] },
    ],
    connections: [
      { from: `${s}.out`, to: `${t}.in` },
      { from: `${t}.${out}`, to: 'k.in' },
    ],
  };
}

test('NegotiationError: one line naming pin, field, required and offered; the record is plain JSON and renders', () => {
  assert.throws(
    () => negotiate(failing()),
    (e: unknown) => {
      assert.ok(e instanceof NegotiationError);
      assert.equal(
        e.message,
        't.out physicalRange: offered 10..20 is not allowed; expected 30..40 (rule physicalRange in pipe0)',
      );
      assert.equal(e.pin, 't.out');
      assert.equal(e.field, 'physicalRange');
      assert.deepEqual(e.required, range(30, 40));
      assert.deepEqual(e.offered, range(10, 20));
      assert.deepEqual(JSON.parse(JSON.stringify(e.record)), e.record);
      assert.match(formatDecisionRecord(e.record), /FAILED: t\.out physicalRange/);
      return true;
    },
  );
});

test('ids that would break the one-line message or the rendering (whitespace, control characters) are refused', () => {
  for (const [ids, path] of [
    [{ s: 'a\nb' }, 'description.filters[0].id'],
    [{ t: 'two words' }, 'description.filters[1].id'],
    [{ out: 'o\tut' }, 'description.filters[1].pins[1].id'],
    [{ s: 'x\u2028y' }, 'description.filters[0].id'],
  ] as const) {
    assert.throws(
      () => negotiate(failing(ids)),
      (e: unknown) => e instanceof TypeError && e.message.startsWith(`${path}: `) && !e.message.includes('\n'),
      JSON.stringify(ids),
    );
  }
});
