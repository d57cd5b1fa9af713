import { argumentError } from '../../errors.js';
import { GUID_NULL, MemoryType } from '../../framing/constants.js';
import { simpleFraming } from '../../framing/simple-framing.js';
import type { AllocatorFramingEx } from '../../framing/types.js';
import type { KsDataRange } from '../../pin/data-format.js';
import type { PinFrameHolding } from '../../pin/pin-descriptor.js';

/**
 * Types shared by the user-mode endpoints (the application side of a graph, the analog of a user-mode DirectShow
 * filter behind KsProxy).
 * @module
 */

/** KsTime as given with a chunk: 100 ns units, or `{ time, numerator, denominator }`. */
export type ChunkTime = number | { readonly time: number; readonly numerator?: number; readonly denominator?: number };

/** A frame written into a {@link SourceEndpoint} with its stream-header fields. */
export interface SourceFrameInit {
  /** The bytes (copied into the pipe's frame: the caller keeps its buffer). */
  readonly data: Uint8Array;
  /** KSSTREAM_HEADER_OPTIONSF_* bits (StreamHeaderOptionsFlags). */
  readonly optionsFlags?: number;
  /** TypeSpecificFlags. */
  readonly typeSpecificFlags?: number;
  /** PresentationTime (sets OPTIONSF_TIMEVALID). */
  readonly presentationTime?: ChunkTime;
  /** Duration in 100 ns units (sets OPTIONSF_DURATIONVALID). */
  readonly duration?: number;
  /** The last frame of the stream: sets OPTIONSF_ENDOFSTREAM and closes the source. */
  readonly endOfStream?: boolean;
}

/** What a source accepts: plain bytes (one frame per chunk; larger chunks span several frames) or a frame init. */
export type SourceChunk = Uint8Array | SourceFrameInit;

/** Options common to both endpoints. */
export interface EndpointOptions {
  /** The endpoint's id in the graph and in decision records. */
  readonly id?: string;
  /** The formats the endpoint accepts (default: one wildcard range: any format the peer offers). */
  readonly dataRanges?: readonly KsDataRange[];
  /**
   * The endpoint's framing requirements (a KSALLOCATOR_FRAMING_EX, e.g. a frame count or size the application
   * wants), or null (default: the user end imposes nothing but user memory).
   */
  readonly framing?: AllocatorFramingEx | null;
  /**
   * Shorthand for a framing: the frame size the application writes / wants (an optimal range of exactly this size,
   * user memory). Ignored when `framing` is given.
   */
  readonly frameSize?: number;
  /** Shorthand for a framing: the frames the application wants in its pipe (Frames). Ignored with `framing`. */
  readonly frames?: number;
}

/** The framing of an endpoint's pin from its options (`framing`, else `frameSize` / `frames`, else null). */
export function endpointFraming(options: EndpointOptions): AllocatorFramingEx | null {
  if (options.framing !== undefined) return options.framing;
  if (options.frameSize === undefined && options.frames === undefined) return null;
  const size = options.frameSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 0xffffffff)) {
    throw argumentError('range', 'options.frameSize', size, 'an integer 1 … 0xffffffff');
  }
  const frames = options.frames ?? 0;
  if (!Number.isInteger(frames) || frames < 0 || frames > 0xffff) {
    throw argumentError('range', 'options.frames', frames, 'an integer 0 … 65535');
  }
  return simpleFraming(MemoryType.user, 0, frames, 0, size ?? 1, size ?? 0xffffffff);
}

/** The wildcard data range an endpoint accepts by default. */
export const WILDCARD_DATA_RANGE: KsDataRange = Object.freeze({
  formatSize: 64,
  flags: 0,
  sampleSize: 0,
  majorFormat: GUID_NULL,
  subFormat: GUID_NULL,
  specifier: GUID_NULL,
});

/** Internal: what an endpoint contributes to the frame budget. */
export type EndpointFrameHolding = PinFrameHolding;
