import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GUID_NULL } from '../../src/framing/constants.js';
import type { FramingRange } from '../../src/framing/types.js';
import type {
  FilterDescription,
  NegotiationDescription,
  PinDescription,
} from '../../src/graph/negotiation/description.js';
import { IdTable } from '../../src/graph/negotiation/id-table.js';
import { negotiate } from '../../src/graph/negotiation/negotiate.js';
import { framing, pinIn, pinOut } from './fixtures.js';

/** FNV-1a, as the table hashes ids: used here only to build ids that all land in one slot. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `count` distinct ids whose hashes agree in their low `bits` bits (one home slot in a table of 2^bits slots). */
function collidingIds(count: number, bits: number): string[] {
  const mask = (1 << bits) - 1;
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const id = `c${i}`;
    if ((fnv1a(id) & mask) === 0) out.push(id);
  }
  return out;
}

/** A chain of one-pin-per-direction filters with these ids, connected in order. */
function chainOf(ids: readonly string[]): NegotiationDescription {
  const filters: FilterDescription[] = ids.map((id, i) => ({
    id,
    pins: i === 0 ? [pinOut('out')] : i === ids.length - 1 ? [pinIn('in')] : [pinIn('in'), pinOut('out')],
  }));
  const connections = ids.slice(1).map((id, i) => ({ from: `${ids[i]}.out`, to: `${id}.in` }));
  return { filters, connections };
}

describe('filter-id table', () => {
  it('finds every id, also when ids share one home slot beyond the probe limit (overflow map)', () => {
    const ids = collidingIds(40, 7); // capacity 40 → 128 slots: all 40 ids hash to slot 0
    const table = IdTable.acquire(ids.length);
    for (const id of ids) assert.equal(table.add(id), true);
    for (let i = 0; i < ids.length; i++) {
      assert.equal(table.indexOfPrefix(`${ids[i]}.pin`, ids[i]!.length), i);
    }
    assert.equal(table.indexOfPrefix('c.pin', 1), -1);
    IdTable.release(table);
  });

  it('refuses an id added twice, in the table and in the overflow map', () => {
    const ids = collidingIds(40, 7);
    const table = IdTable.acquire(ids.length + 2);
    for (const id of ids) table.add(id);
    assert.equal(table.add(ids[0]!), false); // in the slots
    assert.equal(table.add(ids[39]!), false); // in the overflow map
    IdTable.release(table);
  });
});

describe('filter ids and pin references in negotiation', () => {
  it('keeps the ids of a negotiation started from a getter of the description being validated apart', () => {
    const inner = chainOf(['f0', 'x1', 'x2']);
    let innerPipes = 0;
    const outer = chainOf(['f0', 'f1', 'f2']);
    // The getter runs while the outer description's filters are being validated (its filter-id table in use).
    Object.defineProperty(outer.filters[1]!, 'userMode', {
      enumerable: true,
      get: () => {
        innerPipes = negotiate(inner).pipes.length;
        return false;
      },
    });
    const record = negotiate(outer);
    assert.equal(innerPipes, 2);
    assert.deepEqual(
      record.pipes.map((p) => p.pins),
      [
        ['f0.out', 'f1.in'],
        ['f1.out', 'f2.in'],
      ],
    );
  });

  it('negotiates a chain whose filter ids collide in the table, connections listed in reverse', () => {
    const ids = collidingIds(40, 7);
    const d = chainOf(ids);
    const reversed = { ...d, connections: [...d.connections].reverse() };
    assert.deepEqual(negotiate(reversed).pipes.length, negotiate(d).pipes.length);
    assert.deepEqual(
      negotiate(reversed).pipes.map((p) => p.pins),
      negotiate(d).pipes.map((p) => p.pins),
    );
  });

  it('names pins "filterId.pinId" when the filter id has a dot and a pin is left unconnected', () => {
    const d: NegotiationDescription = {
      filters: [
        { id: 'src', pins: [pinOut('out')] },
        { id: 'a.b', pins: [pinIn('in'), pinOut('out'), pinOut('spare')] },
        { id: 'dst', pins: [pinIn('in')] },
      ],
      connections: [
        { from: 'src.out', to: 'a.b.in' },
        { from: 'a.b.out', to: 'dst.in' },
      ],
    };
    const record = negotiate(d);
    assert.deepEqual(
      record.pipes.map((p) => p.pins),
      [
        ['src.out', 'a.b.in'],
        ['a.b.out', 'dst.in'],
      ],
    );
  });

  it('refuses a reference to a filter id that is only a prefix of a described one', () => {
    const d = chainOf(['f1', 'f10', 'f100']);
    d.connections[0] = { from: 'f.out', to: 'f10.in' };
    assert.throws(() => negotiate(d), /description\.connections\[0\]\.from: "f\.out" is not allowed/);
  });

  it('refuses a filter id used twice when the ids collide in the table', () => {
    const ids = collidingIds(40, 7);
    const d = chainOf([...ids, ids[35]!]);
    assert.throws(() => negotiate(d), /description\.filters\[40\]\.id: "c\d+" is not allowed; expected a filter id/);
  });
});

/** Asserts that negotiating `d` throws a TypeError whose message starts with `message`. */
function refusesWith(d: NegotiationDescription, message: string): void {
  assert.throws(
    () => negotiate(d),
    (e: unknown) => e instanceof TypeError && e.message.startsWith(message),
  );
}

describe('validation of the first range and ratio of a description', () => {
  // The validated-object caches start empty: a null in the first framing is refused like anywhere else.
  const withFirstPin = (patch: (p: PinDescription) => void): NegotiationDescription => {
    const d = chainOf(['f0', 'f1']);
    d.filters[0]!.pins[0]!.allocatorFraming = framing({});
    patch(d.filters[0]!.pins[0]!);
    return d;
  };

  it('refuses a null outputCompression in the first framing', () => {
    const d = withFirstPin((p) => {
      (p.allocatorFraming as { outputCompression: unknown }).outputCompression = null;
    });
    refusesWith(
      d,
      'description.filters[0].pins[0].allocatorFraming.outputCompression: null is not allowed; expected an object',
    );
  });

  it('refuses a null optimal range in the first framing item', () => {
    const d = withFirstPin((p) => {
      (p.allocatorFraming!.items[0]!.framingRange as { range: unknown }).range = null;
    });
    refusesWith(
      d,
      'description.filters[0].pins[0].allocatorFraming.items[0].framingRange.range: null is not allowed; expected an object',
    );
  });

  it('refuses a null vendor sizeRange on a first pin without framing', () => {
    const d = chainOf(['f0', 'f1']);
    d.filters[0]!.pins[0]!.allocator = {
      id: 'dma',
      memoryTypes: [GUID_NULL],
      sizeRange: null as unknown as FramingRange,
      fileAlignment: 0,
      maxFrames: 4,
    };
    refusesWith(d, 'description.filters[0].pins[0].allocator.sizeRange: null is not allowed; expected an object');
  });
});
