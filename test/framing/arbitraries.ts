// Shared fast-check arbitraries for framing tests (not a test file itself).
import fc from 'fast-check';
import { AllocatorFlags, FileAlignment, RequirementFlags } from '../../src/framing/constants.js';
import type {
  AllocatorFraming,
  AllocatorFramingEx,
  Compression,
  FramingItem,
  FramingRange,
} from '../../src/framing/types.js';

export const UINT32_MAX = 0xffffffff;

export const uint32 = fc.integer({ min: 0, max: UINT32_MAX });

/** Sizes biased to small values and the ends of the ULONG range. */
export const size = fc.oneof(
  fc.integer({ min: 0, max: 1 << 16 }),
  uint32,
  fc.constantFrom(0, 1, UINT32_MAX - 1, UINT32_MAX),
);

/** A lowercase GUID (the canonical form). */
export const guid = fc.uuid({ version: [1, 2, 3, 4, 5] }).map((u) => u.toLowerCase());

/** A valid KS_FRAMING_RANGE: min ≤ max, stepping 0, 1 or 2..max−min. */
export const validRange: fc.Arbitrary<FramingRange> = fc.tuple(size, size).chain(([a, b]) => {
  const min = Math.min(a, b);
  const max = Math.max(a, b);
  const span = max - min;
  const stepping =
    span >= 2 ? fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 2, max: span })) : fc.constantFrom(0, 1);
  return stepping.map((s) => ({ minFrameSize: min, maxFrameSize: max, stepping: s }));
});

const requirementBits = Object.values(RequirementFlags);
const allocatorBits = Object.values(AllocatorFlags);

/** A flags word of known bits only. */
export const itemFlags = fc
  .subarray([...requirementBits, ...allocatorBits])
  .map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0);
export const memoryFlags = fc.subarray(requirementBits).map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0);

export const alignmentMask = fc.integer({ min: 0, max: 12 }).map((k) => 2 ** k - 1);

/** A physical range that shares at least the optimal range's minimum with it. */
const physicalAround = (optimal: FramingRange): fc.Arbitrary<FramingRange> =>
  fc.oneof(
    fc.constant({ minFrameSize: 0, maxFrameSize: UINT32_MAX, stepping: 1 }),
    fc.constant({ ...optimal }),
    fc
      .tuple(
        fc.integer({ min: 0, max: optimal.minFrameSize }),
        fc.integer({ min: optimal.minFrameSize, max: UINT32_MAX }),
        fc.constantFrom(0, 1),
      )
      .map(([lo, hi, stepping]) => ({ minFrameSize: lo, maxFrameSize: hi, stepping })),
  );

// fc.record may build null-prototype objects; structuredClone gives the plain objects the library produces.
const plain = <T>(x: T): T => structuredClone(x);

export const validItem: fc.Arbitrary<FramingItem> = validRange.chain((optimal) =>
  fc
    .record({
      memoryType: fc.oneof(
        guid,
        fc.constantFrom('4a6d5fc4-7895-11d1-b069-00a0c9062802', '00000000-0000-0000-0000-000000000000'),
      ),
      busType: guid,
      memoryFlags,
      busFlags: uint32,
      flags: itemFlags,
      frames: uint32,
      fileAlignment: alignmentMask,
      memoryTypeWeight: uint32,
      physicalRange: physicalAround(optimal),
      framingRange: fc.record({ range: fc.constant(optimal), inPlaceWeight: uint32, notInPlaceWeight: uint32 }),
    })
    .map(plain),
);

export const validCompression: fc.Arbitrary<Compression> = fc.record({
  ratioNumerator: uint32,
  ratioDenominator: fc.integer({ min: 1, max: UINT32_MAX }),
  ratioConstantMargin: uint32,
});

export const validFramingEx = (maxItems = 4): fc.Arbitrary<AllocatorFramingEx> =>
  fc
    .record({
      pinFlags: uint32,
      outputCompression: validCompression,
      pinWeight: uint32,
      items: fc.array(validItem, { minLength: 1, maxLength: maxItems }),
    })
    .map(plain);

export const validFraming: fc.Arbitrary<AllocatorFraming> = fc
  .record({
    optionsFlags: fc.subarray([0x1, 0x2, ...requirementBits]).map((bits) => bits.reduce((a, b) => a | b, 0) >>> 0),
    poolType: uint32,
    frames: uint32,
    frameSize: uint32,
    fileAlignment: fc.constantFrom(...Object.values(FileAlignment), 0xfff),
    reserved: uint32,
  })
  .map(plain);
