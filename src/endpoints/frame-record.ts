import type { SinkFrame } from '../graph/endpoints/sink-frame.js';
import type { KsTime } from '../stream/stream-header.js';

/**
 * One frame that left a graph, copied out of the pipe's memory: its valid bytes (a new buffer the receiver owns) and
 * its KSSTREAM_HEADER fields. The element of {@link toReadableFrameStream} and of an object-mode Node Readable.
 */
export interface FrameRecord {
  /** The frame's valid bytes (DataUsed long), copied: the pipe's frame went back to its producer. */
  readonly data: Uint8Array<ArrayBuffer>;
  /** KSSTREAM_HEADER_OPTIONSF_* bits (StreamHeaderOptionsFlags). */
  readonly optionsFlags: number;
  /** TypeSpecificFlags. */
  readonly typeSpecificFlags: number;
  /** PresentationTime (valid with OPTIONSF_TIMEVALID). */
  readonly presentationTime: Readonly<KsTime>;
  /** Duration in 100 ns units (valid with OPTIONSF_DURATIONVALID). */
  readonly duration: number;
  /** Delivery sequence number at the sink (0 = the first frame it delivered). */
  readonly sequence: number;
  /** OPTIONSF_ENDOFSTREAM is set: the last frame of the stream. */
  readonly endOfStream: boolean;
}

/**
 * Copies a sink frame into a {@link FrameRecord} and releases the frame (its pipe frame goes back to the producer).
 * @internal
 */
export function takeFrameRecord(frame: SinkFrame): FrameRecord {
  const t = frame.presentationTime;
  const record: FrameRecord = {
    data: new Uint8Array(frame.data), // a copy in a new ArrayBuffer
    optionsFlags: frame.optionsFlags,
    typeSpecificFlags: frame.typeSpecificFlags,
    presentationTime: { time: t.time, numerator: t.numerator, denominator: t.denominator },
    duration: frame.duration,
    sequence: frame.sequence,
    endOfStream: frame.endOfStream,
  };
  frame.release();
  return record;
}
