/**
 * The description the negotiation bench cases negotiate (its own module so that the JSON peer's worker,
 * bench/cases/negotiate-peer.ts, can build it without registering the bench cases).
 */
import { GUID_NULL, MemoryType, type NegotiationDescription } from '../../src/index.js';

const FULL = { minFrameSize: 0, maxFrameSize: 0xffffffff, stepping: 1 };

function framing(min: number, max: number, frames: number, fileAlignment: number) {
  return {
    pinFlags: 0,
    outputCompression: { ratioNumerator: 1, ratioDenominator: 1, ratioConstantMargin: 0 },
    pinWeight: 0,
    items: [
      {
        memoryType: MemoryType.kernelNonPaged,
        busType: GUID_NULL,
        memoryFlags: 0,
        busFlags: 0,
        flags: 0,
        frames,
        fileAlignment,
        memoryTypeWeight: 0,
        physicalRange: FULL,
        framingRange: {
          range: { minFrameSize: min, maxFrameSize: max, stepping: 1 },
          inPlaceWeight: 0,
          notInPlaceWeight: 0,
        },
      },
    ],
  };
}

/**
 * A chain of `n` filters: a capture source with a vendor allocator, then transforms alternating in place and not in
 * place (so about n/2 pipes), each pin with framing and a frame holding, and a sink.
 */
export function chainDescription(n: number): NegotiationDescription {
  const filters: NegotiationDescription['filters'] = [
    {
      id: 'f0',
      pins: [
        {
          id: 'out',
          dataFlow: 'out',
          allocatorFraming: framing(4096, 8192, 2, 0x3f),
          allocator: {
            id: 'dma',
            memoryTypes: [MemoryType.kernelNonPaged],
            sizeRange: { minFrameSize: 4096, maxFrameSize: 65536, stepping: 4096 },
            fileAlignment: 0xfff,
            maxFrames: 16,
          },
        },
      ],
    },
  ];
  const connections: NegotiationDescription['connections'] = [];
  for (let i = 1; i < n; i++) {
    const last = i === n - 1;
    const inPlace = i % 2 === 1 && !last;
    filters.push({
      id: `f${i}`,
      pins: [
        {
          id: 'in',
          dataFlow: 'in',
          allocatorFraming: framing(0, 0xffffffff, 3, 0x7),
          frameHolding: { queueDepth: 1 },
          ...(inPlace ? { inPlaceCounterpart: 'out' } : {}),
        },
        ...(last ? [] : [{ id: 'out', dataFlow: 'out' as const, allocatorFraming: framing(4096, 8192, 2, 0xf) }]),
      ],
    });
    connections.push({ from: `f${i - 1}.out`, to: `f${i}.in` });
  }
  return { filters, connections };
}
