import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainDescription } from '../../bench/cases/negotiate-description.js';
import { NegotiationError } from '../../src/errors.js';
import { GUID_NULL } from '../../src/framing/constants.js';
import type { NegotiationDescription } from '../../src/graph/negotiation/description.js';
import { buildGraphModel, GraphModel } from '../../src/graph/negotiation/graph-model.js';
import { negotiate } from '../../src/graph/negotiation/negotiate.js';
import { buildPipes } from '../../src/graph/negotiation/pipes.js';
import { framing, item, pinIn, pinOut, range, sized } from './fixtures.js';

const json = (value: unknown): string => JSON.stringify(value);

/** The JSON of a negotiation's record, or of the NegotiationError's record it throws. */
function outcome(d: NegotiationDescription): string {
  try {
    return json(negotiate(d));
  } catch (e) {
    assert.ok(e instanceof NegotiationError, String(e));
    return `failed ${e.message} ${json(e.record)}`;
  }
}

/** A chain source → sink whose source asks more frames than the sink allows (a NegotiationError). */
const failing: NegotiationDescription = {
  filters: [
    { id: 'src', pins: [pinOut('out', framing([item({ frames: 9 })]))] },
    { id: 'dst', pins: [pinIn('in', null, { frameHolding: { maxFrames: 2 } })] },
  ],
  connections: [{ from: 'src.out', to: 'dst.in' }],
};

/** A filter with many pins (pins found by a map) feeding several sinks. */
function wide(outputs: number): NegotiationDescription {
  const pins = Array.from({ length: outputs }, (_, k) => pinOut(`o${k}`, sized(64 * (k + 1), 65536)));
  const filters = [
    { id: 'hub', pins },
    ...pins.map((_, k) => ({ id: `s${k}`, pins: [pinIn('in', framing([item({ frames: k % 4 })]))] })),
  ];
  return { filters, connections: pins.map((_, k) => ({ from: `hub.o${k}`, to: `s${k}.in` })) };
}

describe('negotiate: the internal model kept between negotiations (docs/performance.md, "Negotiation")', () => {
  it('a negotiation gives the same record whatever was negotiated before it (larger, failed, invalid)', () => {
    const descriptions = [chainDescription(5), wide(20), failing, chainDescription(300), wide(3)];
    const first = descriptions.map(outcome);
    // Interleaved with larger graphs, NegotiationErrors and descriptions refused while being validated.
    const invalid: NegotiationDescription = {
      filters: [{ id: 'a', pins: [pinOut('out', framing([item({ physicalRange: range(10, 5) })]))] }],
      connections: [],
    };
    for (let round = 0; round < 2; round++) {
      for (let k = descriptions.length - 1; k >= 0; k--) {
        assert.throws(() => negotiate(invalid), RangeError);
        assert.equal(outcome(descriptions[k]!), first[k], `description ${k}, round ${round}`);
      }
    }
    assert.ok(first[2]!.startsWith('failed '), 'the failing description fails');
  });

  it('a negotiation started from inside another (a getter of the description) gets its own model', () => {
    const outer = chainDescription(40);
    const inner = wide(6);
    const expectedOuter = outcome(outer);
    const expectedInner = outcome(inner);
    let nested = '';
    // a filter's id is read while the outer negotiation fills the kept model
    const middle = outer.filters[20]!;
    const filters = outer.filters.slice();
    filters[20] = {
      get id() {
        nested = outcome(inner);
        return middle.id;
      },
      pins: middle.pins,
    } as (typeof filters)[number];
    const reentrant: NegotiationDescription = { filters, connections: outer.connections };
    assert.equal(outcome(reentrant), expectedOuter);
    assert.equal(nested, expectedInner);
    assert.equal(outcome(outer), expectedOuter); // and the kept model still serves the next call
    // an error of the outer description after the nested negotiation still names its full path
    const bad = structuredClone(outer.filters[30]!) as { pins: { allocatorFraming: unknown }[] };
    bad.pins[0]!.allocatorFraming = 5;
    filters[30] = bad as unknown as (typeof filters)[number];
    assert.throws(() => negotiate(reentrant), {
      name: 'TypeError',
      message: /^description\.filters\[30\]\.pins\[0\]\.allocatorFraming: 5 is not allowed/,
    });
  });

  it('a released model keeps no string, framing or range of the negotiation it served', () => {
    const d = chainDescription(40);
    const model = buildGraphModel(d);
    buildPipes(model);
    const pins = model.pinCount;
    const items = model.itemCount;
    assert.ok(pins > 0 && items > 0);
    assert.equal(model.pinRef[0], 'f0.out');
    GraphModel.release(model);
    for (const list of [model.pinId, model.pinRef]) assert.ok(list.slice(0, pins).every((x) => x === ''));
    for (const list of [model.pinAllocator, model.pinCounterpartId, model.pinRatio]) {
      assert.ok(list.slice(0, pins).every((x) => x === null));
    }
    for (const list of [model.itemMemoryType, model.itemBusType]) {
      assert.ok(list.slice(0, items).every((x) => x === GUID_NULL));
    }
    const described = new Set(d.filters.flatMap((f) => f.pins.flatMap((p) => p.allocatorFraming?.items ?? [])));
    for (const list of [model.itemPhysical, model.itemOptimal]) {
      for (const r of list.slice(0, items)) {
        for (const it of described) assert.ok(r !== it.physicalRange && r !== it.framingRange.range);
      }
    }
    assert.ok(model.filterId.slice(0, 40).every((x) => x === ''));
  });

  it('negotiates with the validated values of a framing item, read once', () => {
    let reads = 0;
    const f = framing([{ frames: 2 }]);
    // The same keys in the same order, `frames` a getter answering 2 the first time and 4000 afterwards.
    f.items[0] = Object.defineProperty({ ...f.items[0]! }, 'frames', {
      enumerable: true,
      get: () => (++reads === 1 ? 2 : 4000),
    });
    const d: NegotiationDescription = {
      filters: [
        { id: 'src', pins: [pinOut('out', f)] },
        { id: 'dst', pins: [pinIn('in', null)] },
      ],
      connections: [{ from: 'src.out', to: 'dst.in' }],
    };
    const record = negotiate(d);
    assert.equal(reads, 1);
    assert.equal(record.pipes[0]!.requirements[0]!.frames, 2);
    assert.equal(record.pipes[0]!.frames.required, 2);
  });
});
