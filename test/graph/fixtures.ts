import { GUID_NULL, MemoryType } from '../../src/framing/constants.js';
import type { AllocatorFramingEx, Compression, FramingItem, FramingRange } from '../../src/framing/types.js';
import type {
  ConnectionDescription,
  FilterDescription,
  PinDescription,
} from '../../src/graph/negotiation/description.js';

/** Shared builders for negotiation tests. */

export const FULL: FramingRange = { minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 };

export const range = (minFrameSize: number, maxFrameSize: number, stepping = 1): FramingRange => ({
  minFrameSize,
  maxFrameSize,
  stepping,
});

export const ratio = (ratioNumerator: number, ratioDenominator: number, ratioConstantMargin = 0): Compression => ({
  ratioNumerator,
  ratioDenominator,
  ratioConstantMargin,
});

/** A framing item with don't-care defaults. */
export function item(over: Partial<FramingItem> = {}): FramingItem {
  return {
    memoryType: MemoryType.kernelNonPaged,
    busType: GUID_NULL,
    memoryFlags: 0,
    busFlags: 0,
    flags: 0,
    frames: 0,
    fileAlignment: 0,
    memoryTypeWeight: 0,
    physicalRange: FULL,
    framingRange: { range: FULL, inPlaceWeight: 0, notInPlaceWeight: 0 },
    ...over,
  };
}

/** A KSALLOCATOR_FRAMING_EX from items (defaults filled). */
export function framing(
  items: Partial<FramingItem>[] | Partial<FramingItem>,
  compression?: Compression,
): AllocatorFramingEx {
  const list = Array.isArray(items) ? items : [items];
  return {
    pinFlags: 0,
    outputCompression: compression ?? ratio(1, 1),
    pinWeight: 0,
    items: list.map((i) => item(i)),
  };
}

/** DECLARE_SIMPLE_FRAMING_EX: min/max go to the optimal range, the physical range is don't-care. */
export function simple(
  memoryType: string,
  flags: number,
  frames: number,
  fileAlignment: number,
  min: number,
  max: number,
) {
  return framing({
    memoryType,
    flags,
    frames,
    fileAlignment,
    framingRange: { range: range(min, max), inPlaceWeight: 0, notInPlaceWeight: 0 },
  });
}

/** A framing whose physical (hard) and optimal ranges are both [min, max]. */
export function sized(min: number, max: number, over: Partial<FramingItem> = {}, compression?: Compression) {
  return framing(
    {
      physicalRange: range(min, max),
      framingRange: { range: range(min, max), inPlaceWeight: 0, notInPlaceWeight: 0 },
      ...over,
    },
    compression,
  );
}

export function pinIn(
  id: string,
  allocatorFraming: AllocatorFramingEx | null = null,
  over: Partial<PinDescription> = {},
) {
  return { id, dataFlow: 'in', allocatorFraming, ...over } as PinDescription;
}

export function pinOut(
  id: string,
  allocatorFraming: AllocatorFramingEx | null = null,
  over: Partial<PinDescription> = {},
) {
  return { id, dataFlow: 'out', allocatorFraming, ...over } as PinDescription;
}

export const source = (
  id: string,
  out: Partial<PinDescription> & { allocatorFraming?: AllocatorFramingEx | null } = {},
  user = false,
): FilterDescription => ({
  id,
  ...(user ? { userMode: true } : {}),
  pins: [pinOut('out', out.allocatorFraming ?? null, out)],
});

export const sink = (id: string, input: Partial<PinDescription> = {}, user = false): FilterDescription => ({
  id,
  ...(user ? { userMode: true } : {}),
  pins: [pinIn('in', input.allocatorFraming ?? null, input)],
});

/** A transform with one input and one output; `inPlace` makes the input the output's in-place counterpart. */
export function transform(
  id: string,
  opts: { inPlace?: boolean; input?: Partial<PinDescription>; output?: Partial<PinDescription> } = {},
): FilterDescription {
  return {
    id,
    pins: [
      pinIn('in', opts.input?.allocatorFraming ?? null, {
        ...opts.input,
        ...(opts.inPlace ? { inPlaceCounterpart: 'out' } : {}),
      }),
      pinOut('out', opts.output?.allocatorFraming ?? null, opts.output),
    ],
  };
}

/** Connects `a.out → b.in` for consecutive filters. */
export function chainConnections(filters: FilterDescription[]): ConnectionDescription[] {
  const out: ConnectionDescription[] = [];
  for (let i = 0; i + 1 < filters.length; i++)
    out.push({ from: `${filters[i]!.id}.out`, to: `${filters[i + 1]!.id}.in` });
  return out;
}

/** A vendor allocator capability. */
export function vendor(
  id: string,
  over: Partial<{ memoryTypes: string[]; sizeRange: FramingRange; fileAlignment: number; maxFrames: number }> = {},
) {
  return {
    id,
    memoryTypes: [MemoryType.kernelNonPaged],
    sizeRange: range(1, 0xffffffff),
    fileAlignment: 0xfff,
    maxFrames: 64,
    ...over,
  };
}
