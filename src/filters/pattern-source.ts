import {
  type AllocatorCapabilities,
  type AllocatorDispatch,
  type AllocatorFramingEx,
  Communication,
  DataFlow,
  type FilterDescriptor,
  type KsDataRange,
  type Pin,
  type PinFrameHolding,
  Status,
  type StatusCode,
  StreamHeaderOptionsFlags,
  StreamPointerState,
  WILDCARD_DATA_RANGE,
} from '../index.js';
import { patternByte } from './pattern.js';

/** Options of {@link patternSource}. */
export interface PatternSourceOptions {
  /** Frames to produce; the last carries ENDOFSTREAM. Default Infinity (never ends). */
  readonly count?: number;
  /** Bytes per frame (default: the whole frame). */
  readonly bytesPerFrame?: number;
  /** The output pin's framing (its pipe's requirements); default none. */
  readonly framing?: AllocatorFramingEx | null;
  /** A vendor allocator the output pin offers (KSPIN_DISPATCH.Allocator); default none. */
  readonly allocator?: AllocatorDispatch<unknown, Pin> | null;
  /** What that vendor allocator can provide. */
  readonly allocatorCapabilities?: AllocatorCapabilities | null;
  /** Frames the output pin may hold (static frame budget). */
  readonly frameHolding?: PinFrameHolding | null;
  /** Formats offered (default: any). */
  readonly dataRanges?: readonly KsDataRange[];
}

/** What a {@link patternSource} produced. */
export interface PatternSourceCounts {
  /** Frames filled. */
  frames: number;
}

/**
 * A kernel source (pin-centric, one output pin): fills every empty frame the requester queues with the test pattern
 * (`patternByte(n, i)`), frame after frame, until `count` frames were produced (the last with ENDOFSTREAM). The
 * output pin may offer a vendor allocator. Written only against the public API.
 */
export function patternSource(options: PatternSourceOptions = {}): {
  descriptor: FilterDescriptor;
  counts: PatternSourceCounts;
} {
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const counts: PatternSourceCounts = { frames: 0 };
  const process = (pin: Pin): StatusCode => {
    if (counts.frames >= count) return Status.pending;
    const lead = pin.getLeadingEdge(StreamPointerState.locked);
    if (lead === null) return Status.pending;
    const frame = lead.frame!;
    const data = frame.data!;
    const n = Math.min(options.bytesPerFrame ?? data.byteLength, data.byteLength);
    const k = counts.frames;
    for (let i = 0; i < n; i++) data[i] = patternByte(k, i);
    frame.header.dataUsed = n;
    counts.frames++;
    frame.header.optionsFlags = counts.frames === count ? StreamHeaderOptionsFlags.endOfStream : 0;
    lead.unlock(true);
    return Status.success;
  };
  const dispatch: NonNullable<FilterDescriptor['pinDescriptors'][number]['dispatch']> = { process };
  if (options.allocator) dispatch.allocator = options.allocator;
  if (options.allocatorCapabilities) dispatch.allocatorCapabilities = options.allocatorCapabilities;
  return {
    counts,
    descriptor: {
      pinDescriptors: [
        {
          dataFlow: DataFlow.out,
          communication: Communication.source,
          dataRanges: options.dataRanges ?? [WILDCARD_DATA_RANGE],
          instancesPossible: 1,
          instancesNecessary: 1,
          allocatorFraming: options.framing ?? null,
          frameHolding: options.frameHolding ?? null,
          dispatch,
        },
      ],
    },
  };
}
