import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NegotiationError } from '../../src/errors.js';
import { AllocatorFlags, GUID_NULL, MemoryType, RequirementFlags } from '../../src/framing/constants.js';
import { compressSize, rangeContains } from '../../src/framing/range-math.js';
import type { AllocatorFramingEx, Compression, FramingItem, FramingRange } from '../../src/framing/types.js';
import type {
  FilterDescription,
  NegotiationDescription,
  PinDescription,
  VendorAllocatorDescription,
} from '../../src/graph/negotiation/description.js';
import { negotiate } from '../../src/graph/negotiation/negotiate.js';
import { FULL, range } from './fixtures.js';

// ---------------------------------------------------------------------------------------------------------------
// Generators: random chains source → transforms (in place or not) → sink, with random framings.
// ---------------------------------------------------------------------------------------------------------------

const MEMORY_TYPES = [
  GUID_NULL,
  MemoryType.kernelNonPaged,
  MemoryType.kernelPaged,
  MemoryType.system,
  MemoryType.user,
  MemoryType.deviceUnknown,
];
const MASKS = [0, 1, 3, 7, 0xf, 0x3f, 0xfff, 0x1fff];

const arbRange: fc.Arbitrary<FramingRange> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(FULL) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 8 }))
      .map(([a, b, s]) => range(Math.min(a, b), Math.max(a, b), s)),
  },
);

const arbCompression: fc.Arbitrary<Compression> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 }) },
  {
    weight: 1,
    arbitrary: fc.record({
      ratioNumerator: fc.integer({ min: 0, max: 4 }),
      ratioDenominator: fc.integer({ min: 1, max: 4 }),
      ratioConstantMargin: fc.integer({ min: 0, max: 16 }),
    }),
  },
);

const FLAG_CHOICES = [
  RequirementFlags.preferencesOnly,
  RequirementFlags.mustAllocate,
  RequirementFlags.systemMemory,
  AllocatorFlags.insistOnFramesizeRatio,
  AllocatorFlags.independentRanges,
];

const arbItem: fc.Arbitrary<FramingItem> = fc
  .record({
    memoryType: fc.constantFrom(...MEMORY_TYPES),
    flags: fc.subarray(FLAG_CHOICES, { maxLength: 2 }).map((fs) => fs.reduce((a, b) => (a | b) >>> 0, 0)),
    frames: fc.integer({ min: 0, max: 4 }),
    fileAlignment: fc.constantFrom(...MASKS),
    memoryTypeWeight: fc.integer({ min: 0, max: 3 }),
    physicalRange: arbRange,
    optimal: arbRange,
  })
  .map((i) => ({
    memoryType: i.memoryType,
    busType: GUID_NULL,
    memoryFlags: 0,
    busFlags: 0,
    flags: i.flags,
    frames: i.frames,
    fileAlignment: i.fileAlignment,
    memoryTypeWeight: i.memoryTypeWeight,
    physicalRange: i.physicalRange,
    framingRange: { range: i.optimal, inPlaceWeight: 0, notInPlaceWeight: 0 },
  }));

const arbFraming: fc.Arbitrary<AllocatorFramingEx | null> = fc.option(
  fc.record({
    pinFlags: fc.constant(0),
    outputCompression: arbCompression,
    pinWeight: fc.constant(0),
    items: fc.array(arbItem, { minLength: 1, maxLength: 2 }),
  }),
  { freq: 4 },
);

const arbHolding = fc.option(
  fc.record(
    {
      queueDepth: fc.integer({ min: 0, max: 3 }),
      trailingWindow: fc.integer({ min: 0, max: 2 }),
      clonesKept: fc.integer({ min: 0, max: 2 }),
      maxFrames: fc.integer({ min: 1, max: 12 }),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const arbPinSpec = fc.record({
  framing: arbFraming,
  holding: arbHolding,
  vendor: fc.option(
    fc.record({
      memoryTypes: fc.subarray(MEMORY_TYPES, { minLength: 1, maxLength: 3 }),
      sizeRange: arbRange,
      fileAlignment: fc.constantFrom(...MASKS),
      maxFrames: fc.integer({ min: 1, max: 12 }),
    }),
    { freq: 3, nil: undefined },
  ),
});

const arbChain = fc
  .record({
    userSource: fc.boolean(),
    userSink: fc.boolean(),
    transforms: fc.array(fc.boolean(), { maxLength: 4 }),
    strategy: fc.constantFrom(0x3, 0x2, 0x1, 0x8, 0xa, 0),
    enforceInputPinRanges: fc.boolean(),
  })
  .chain((c) =>
    fc.record({
      c: fc.constant(c),
      pins: fc.array(arbPinSpec, { minLength: 2 + 2 * c.transforms.length, maxLength: 2 + 2 * c.transforms.length }),
    }),
  );

function build(spec: {
  c: {
    userSource: boolean;
    userSink: boolean;
    transforms: boolean[];
    strategy: number;
    enforceInputPinRanges: boolean;
  };
  pins: {
    framing: AllocatorFramingEx | null;
    holding: PinDescription['frameHolding'];
    vendor?: Omit<VendorAllocatorDescription, 'id'>;
  }[];
}): NegotiationDescription {
  let k = 0;
  const pin = (
    id: string,
    dataFlow: 'in' | 'out',
    user: boolean,
    extra: Partial<PinDescription> = {},
  ): PinDescription => {
    const s = spec.pins[k++]!;
    const p: PinDescription = { id, dataFlow, allocatorFraming: s.framing, ...extra };
    if (s.holding) p.frameHolding = s.holding;
    if (s.vendor && !user) p.allocator = { id: `v${k}`, ...s.vendor };
    return p;
  };
  const filters: FilterDescription[] = [];
  filters.push({ id: 'f0', userMode: spec.c.userSource, pins: [pin('out', 'out', spec.c.userSource)] });
  spec.c.transforms.forEach((inPlace, i) => {
    filters.push({
      id: `f${i + 1}`,
      pins: [pin('in', 'in', false, inPlace ? { inPlaceCounterpart: 'out' } : {}), pin('out', 'out', false)],
    });
  });
  const last = spec.c.transforms.length + 1;
  filters.push({ id: `f${last}`, userMode: spec.c.userSink, pins: [pin('in', 'in', spec.c.userSink)] });
  const connections = [];
  for (let i = 0; i < last; i++) connections.push({ from: `f${i}.out`, to: `f${i + 1}.in` });
  return {
    filters,
    connections,
    strategy: spec.c.strategy,
    options: { enforceInputPinRanges: spec.c.enforceInputPinRanges },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle: independent statements of the hard constraints (docs/negotiation.md).
// ---------------------------------------------------------------------------------------------------------------

const SATISFIES: Record<string, string[]> = {
  [MemoryType.kernelNonPaged]: [MemoryType.kernelNonPaged, MemoryType.kernelPaged, MemoryType.system],
  [MemoryType.kernelPaged]: [MemoryType.kernelPaged, MemoryType.system],
  [MemoryType.system]: [MemoryType.system],
  [MemoryType.user]: [MemoryType.user, MemoryType.system, MemoryType.kernelPaged, MemoryType.kernelNonPaged],
  [MemoryType.deviceUnknown]: [MemoryType.deviceUnknown],
};
const SYSTEM_LIKE: string[] = [MemoryType.system, MemoryType.kernelPaged, MemoryType.kernelNonPaged, MemoryType.user];

function memoryOk(chosen: string, item: FramingItem): boolean {
  const needsSystem = (item.flags & RequirementFlags.systemMemory) !== 0;
  if (needsSystem && !SYSTEM_LIKE.includes(chosen)) return false;
  return item.memoryType === GUID_NULL || (SATISFIES[chosen] ?? [chosen]).includes(item.memoryType);
}

const neutral = (c: Compression) => c.ratioNumerator === c.ratioDenominator && c.ratioConstantMargin === 0;
const NEUTRAL: Compression = { ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 };
const UNKNOWN: Compression = { ratioNumerator: 0, ratioDenominator: 1, ratioConstantMargin: 0 };
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function compose(a: Compression, b: Compression): Compression {
  if (neutral(b)) return a;
  if (neutral(a)) return b;
  if (a.ratioNumerator === 0 || b.ratioNumerator === 0) return UNKNOWN;
  const g = gcd(a.ratioNumerator * b.ratioNumerator, a.ratioDenominator * b.ratioDenominator);
  const n = (a.ratioNumerator * b.ratioNumerator) / g;
  const d = (a.ratioDenominator * b.ratioDenominator) / g;
  const m = Math.ceil((a.ratioConstantMargin * b.ratioNumerator) / b.ratioDenominator) + b.ratioConstantMargin;
  return n > 1 << 20 || d > 1 << 20 ? UNKNOWN : { ratioNumerator: n, ratioDenominator: d, ratioConstantMargin: m };
}

function ratioOf(input: PinDescription, output: PinDescription): Compression {
  const o = output.allocatorFraming?.outputCompression;
  if (o && !neutral(o)) return o;
  const i = input.allocatorFraming?.outputCompression;
  if (i && !neutral(i)) return i;
  return NEUTRAL;
}

interface OraclePin {
  pin: PinDescription;
  ref: string;
  compression: Compression;
}

/** The pipes of a chain, per the documented rule, with each pin's cumulative compression. */
function oraclePipes(d: NegotiationDescription): OraclePin[][] {
  const pipes: OraclePin[][] = [];
  let current: OraclePin[] = [];
  let c = NEUTRAL;
  const fs = d.filters;
  current.push({ pin: fs[0]!.pins[0]!, ref: 'f0.out', compression: NEUTRAL });
  for (let i = 1; i < fs.length; i++) {
    const f = fs[i]!;
    const input = f.pins[0]!;
    current.push({ pin: input, ref: `${f.id}.in`, compression: c });
    const output = f.pins[1];
    const user = f.userMode === true;
    if (output && input.inPlaceCounterpart && !user) {
      c = compose(c, ratioOf(input, output));
      current.push({ pin: output, ref: `${f.id}.out`, compression: c });
      continue;
    }
    pipes.push(current);
    if (output) {
      c = NEUTRAL;
      current = [{ pin: output, ref: `${f.id}.out`, compression: NEUTRAL }];
    }
  }
  return pipes;
}

const FIELDS = new Set([
  'memoryType',
  'physicalRange',
  'frameSize',
  'fileAlignment',
  'frames',
  'mustAllocate',
  'allocatorPin',
  'flags',
  'mode',
]);

describe('negotiation property', () => {
  it('random chains: success meets every hard constraint of every pin, or a NegotiationError names a pin and a field', () => {
    let successes = 0;
    let failures = 0;
    fc.assert(
      fc.property(arbChain, (spec) => {
        const d = build(spec);
        const refs = new Set(d.filters.flatMap((f) => f.pins.map((p) => `${f.id}.${p.id}`)));
        let record: ReturnType<typeof negotiate>;
        try {
          record = negotiate(d);
        } catch (e) {
          assert.ok(e instanceof NegotiationError, String(e));
          assert.ok(refs.has(e.pin), `pin ${e.pin}`);
          assert.ok(FIELDS.has(e.field), `field ${e.field}`);
          assert.ok(e.message.startsWith(`${e.pin} ${e.field}: `), e.message);
          assert.deepEqual(JSON.parse(JSON.stringify(e.record)), e.record);
          failures++;
          return;
        }
        successes++;
        assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
        const expected = oraclePipes(d);
        assert.deepEqual(
          record.pipes.map((p) => p.pins),
          expected.map((p) => p.map((x) => x.ref)),
        );
        expected.forEach((pins, pi) => {
          const p = record.pipes[pi]!;
          const g = p.framing!;
          const user = pins.some((x) => d.filters.find((f) => x.ref.startsWith(`${f.id}.`))!.userMode === true);
          assert.equal(p.mode, user ? 'user' : 'kernel');
          assert.ok(g.frameSize >= 1);
          let held = 0;
          for (const [k, x] of pins.entries()) {
            const h = x.pin.frameHolding;
            held += (h?.queueDepth ?? 0) + (h?.trailingWindow ?? 0) + (h?.clonesKept ?? 0);
            if (h?.maxFrames !== undefined) assert.ok(g.frames <= h.maxFrames, `${x.ref} maxFrames`);
            const req = p.requirements[k]!;
            assert.equal(req.pin, x.ref);
            const framing = x.pin.allocatorFraming;
            if (!framing) continue;
            const item = framing.items[req.itemIndex!]!;
            const prefsOnly = (item.flags & RequirementFlags.preferencesOnly) !== 0;
            assert.equal((g.fileAlignment & item.fileAlignment) >>> 0, item.fileAlignment, `${x.ref} alignment`);
            assert.ok(g.frames >= item.frames, `${x.ref} frames`);
            if (!prefsOnly) assert.ok(memoryOk(p.memoryType!, item), `${x.ref} memory type`);
            const hardSize =
              !prefsOnly &&
              (x.pin.dataFlow === 'out' || spec.c.enforceInputPinRanges) &&
              x.compression.ratioNumerator !== 0;
            if (hardSize && item.physicalRange.maxFrameSize !== 0) {
              assert.deepEqual(req.compression, { ...x.compression });
              const local = neutral(x.compression) ? g.frameSize : compressSize(g.frameSize, x.compression);
              const r = item.physicalRange;
              assert.ok(
                local >= r.minFrameSize && local <= r.maxFrameSize,
                `${x.ref} size ${local} in ${r.minFrameSize}..${r.maxFrameSize}`,
              );
              if (neutral(x.compression)) assert.ok(rangeContains(r, local), `${x.ref} stepping`);
            }
          }
          assert.ok(g.frames > held, 'frames exceed what the members hold');
          const a = p.allocator!;
          if (user) {
            assert.equal(a.kind, 'user');
            assert.equal(p.memoryType, MemoryType.user);
          } else if (a.kind === 'vendor') {
            const v = pins.find((x) => x.pin.allocator?.id === a.id)!.pin.allocator!;
            assert.ok(v.memoryTypes.includes(p.memoryType!) || v.memoryTypes.includes(GUID_NULL));
            assert.ok(rangeContains(v.sizeRange, g.frameSize));
            assert.ok(v.fileAlignment >= g.fileAlignment);
            assert.ok(v.maxFrames >= g.frames);
          } else {
            assert.equal(a.kind, 'default');
            assert.ok(SYSTEM_LIKE.includes(p.memoryType!) && p.memoryType !== MemoryType.user);
            assert.ok(g.fileAlignment <= 0xfff);
          }
          // INSIST_ON_FRAMESIZE_RATIO: the frame size is exactly the carried one.
          const src = pins[0]!;
          const prev = pi > 0 ? expected[pi - 1]! : null;
          const srcItems = src.pin.allocatorFraming?.items ?? [];
          const prevEnd = prev?.at(-1);
          if (prev && prevEnd && srcItems.length > 0) {
            const flags =
              srcItems.reduce((f, it) => f | it.flags, 0) |
              (prevEnd.pin.allocatorFraming?.items ?? []).reduce((f, it) => f | it.flags, 0);
            const insist = (flags & AllocatorFlags.insistOnFramesizeRatio) !== 0;
            const independent = (flags & AllocatorFlags.independentRanges) !== 0;
            const allPrefs = srcItems.every((it) => (it.flags & RequirementFlags.preferencesOnly) !== 0);
            const ratio = ratioOf(prevEnd.pin, src.pin);
            if (
              insist &&
              !independent &&
              !allPrefs &&
              ratio.ratioNumerator !== 0 &&
              prevEnd.compression.ratioNumerator !== 0
            ) {
              const fed = record.pipes[pi - 1]!.framing!.frameSize;
              const local = neutral(prevEnd.compression) ? fed : compressSize(fed, prevEnd.compression);
              assert.equal(g.frameSize, compressSize(local, ratio), 'insisted ratio');
            }
          }
        });
      }),
      { numRuns: Number(process.env.NEGOTIATE_RUNS ?? 400) },
    );
    assert.ok(successes > 20 && failures > 20, `both outcomes exercised (${successes} / ${failures})`);
  });
});

describe('negotiation property on graphs', () => {
  // Random acyclic graphs: sources, sinks, in-place and non-in-place transforms, splitters (tees) and mixers; each
  // input connects to a random earlier output (a splitter output may feed several inputs).
  const arbKind = fc.constantFrom('source', 'sink', 'inPlace', 'transform', 'tee', 'mixer', 'userSink', 'userSource');
  const arbGraph = fc.record({
    kinds: fc.array(arbKind, { minLength: 2, maxLength: 9 }),
    picks: fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
    pins: fc.array(arbPinSpec, { minLength: 20, maxLength: 20 }),
  });

  it('random graphs: a record or a NegotiationError; every connected pin in a pipe; budget and alignment hold', () => {
    let successes = 0;
    let failures = 0;
    fc.assert(
      fc.property(arbGraph, ({ kinds, picks, pins }) => {
        let pk = 0;
        let pp = 0;
        const spec = () => pins[pp++ % pins.length]!;
        const mk = (id: string, dataFlow: 'in' | 'out', user: boolean, extra: Partial<PinDescription> = {}) => {
          const s = spec();
          const p: PinDescription = { id, dataFlow, allocatorFraming: s.framing, ...extra };
          if (s.holding) p.frameHolding = s.holding;
          if (s.vendor && !user) p.allocator = { id: `v${pp}`, ...s.vendor };
          return p;
        };
        const filters: FilterDescription[] = [];
        const outputs: { ref: string; splitter: boolean; used: number }[] = [];
        const connections: { from: string; to: string }[] = [];
        kinds.forEach((kind, i) => {
          const id = `f${i}`;
          const user = kind === 'userSink' || kind === 'userSource';
          const ps: PinDescription[] = [];
          const inputs = kind === 'source' || kind === 'userSource' ? 0 : kind === 'mixer' ? 2 : 1;
          const hasOut = !(kind === 'sink' || kind === 'userSink');
          for (let k = 0; k < inputs; k++) {
            ps.push(
              mk(`in${k}`, 'in', user, kind === 'inPlace' || kind === 'tee' ? { inPlaceCounterpart: 'out' } : {}),
            );
          }
          if (hasOut) ps.push(mk('out', 'out', user, kind === 'tee' ? { splitter: true } : {}));
          filters.push({ id, ...(user ? { userMode: true } : {}), pins: ps });
          for (let k = 0; k < inputs; k++) {
            const free = outputs.filter((o) => o.used === 0 || o.splitter);
            if (free.length === 0) continue;
            const o = free[picks[pk++ % picks.length]! % free.length]!;
            o.used++;
            connections.push({ from: o.ref, to: `${id}.in${k}` });
          }
          if (hasOut) outputs.push({ ref: `${id}.out`, splitter: kind === 'tee', used: 0 });
        });
        const d: NegotiationDescription = { filters, connections };
        let record: ReturnType<typeof negotiate>;
        try {
          record = negotiate(d);
        } catch (e) {
          assert.ok(e instanceof NegotiationError, String(e));
          assert.deepEqual(JSON.parse(JSON.stringify(e.record)), e.record);
          failures++;
          return;
        }
        successes++;
        assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
        const connected = new Set(connections.flatMap((c) => [c.from, c.to]));
        const seen = new Map<string, number>();
        for (const p of record.pipes) {
          for (const r of p.requirements) if (r.role !== 'copySource') seen.set(r.pin, (seen.get(r.pin) ?? 0) + 1);
          const held = p.requirements.reduce((n, r) => n + (r.role === 'copySource' ? 0 : r.holds), 0);
          assert.ok(p.framing!.frames > held);
          for (const r of p.requirements) {
            assert.equal((p.framing!.fileAlignment & r.fileAlignment) >>> 0, r.fileAlignment);
            assert.ok(p.framing!.frames >= r.frames);
          }
          if (p.mode === 'user') assert.notEqual(p.allocator!.kind, 'vendor');
        }
        for (const ref of connected) assert.equal(seen.get(ref), 1, `${ref} in exactly one pipe`);
      }),
      { numRuns: Number(process.env.NEGOTIATE_RUNS ?? 300) },
    );
    assert.ok(successes > 10 && failures > 10, `both outcomes exercised (${successes} / ${failures})`);
  });
});
