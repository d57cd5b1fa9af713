/**
 * KSTIME: a time in 100 ns units scaled by `numerator / denominator`
 * (the time in 100 ns units is `time * numerator / denominator`).
 */
export interface KsTime {
  /** Time (LONGLONG). avstream uses a number: exact to 2^53 (≈ 28 years in 100 ns units). */
  time: number;
  /** Numerator (ULONG) */
  numerator: number;
  /** Denominator (ULONG, never 0) */
  denominator: number;
}

/** sizeof(KSSTREAM_HEADER) on x64 (56 B; 48 B on x86). The default {@link StreamHeader.size}. */
export const STREAM_HEADER_SIZE = 56;

/**
 * KSSTREAM_HEADER: the per-frame header (spec §4). One is built with each {@link Frame} and reused.
 *
 * `frameExtent` is the buffer size; `dataUsed` the valid bytes (a writer sets it before submitting; for a reader it
 * is 0 on submit and filled on return). With KSPIN_FLAG_GENERATE_MAPPINGS, the queue sets `dataUsed` itself when a
 * stream pointer leaves the frame (see docs/stream-pointers.md).
 */
export class StreamHeader {
  /** Size: the header size in bytes (KSPIN.StreamHeaderSize when extended). */
  size = STREAM_HEADER_SIZE;
  /** TypeSpecificFlags */
  typeSpecificFlags = 0;
  /** PresentationTime (valid with OPTIONSF_TIMEVALID). */
  readonly presentationTime: KsTime = { time: 0, numerator: 1, denominator: 1 };
  /** Duration in 100 ns units (valid with OPTIONSF_DURATIONVALID). */
  duration = 0;
  /** FrameExtent: the buffer size in bytes. */
  frameExtent = 0;
  /** DataUsed: the valid bytes in `data`. */
  dataUsed = 0;
  /** Data: the frame's bytes (the whole buffer; `frameExtent` long), or null. */
  data: Uint8Array | null = null;
  /** OptionsFlags: {@link StreamHeaderOptionsFlags} bits. */
  optionsFlags = 0;

  /**
   * Clears the metadata for reuse: everything but `size`, `data` and `frameExtent` goes back to its initial value
   * (`dataUsed` 0, time 0 with scale 1/1, no flags).
   */
  reset(): this {
    this.typeSpecificFlags = 0;
    this.presentationTime.time = 0;
    this.presentationTime.numerator = 1;
    this.presentationTime.denominator = 1;
    this.duration = 0;
    this.dataUsed = 0;
    this.optionsFlags = 0;
    return this;
  }

  /**
   * Copies the metadata of `other` (typeSpecificFlags, presentationTime, duration, dataUsed, optionsFlags) — not
   * `data`, `frameExtent` or `size`. Allocates nothing.
   */
  copyMetadataFrom(other: StreamHeader): this {
    this.typeSpecificFlags = other.typeSpecificFlags;
    this.presentationTime.time = other.presentationTime.time;
    this.presentationTime.numerator = other.presentationTime.numerator;
    this.presentationTime.denominator = other.presentationTime.denominator;
    this.duration = other.duration;
    this.dataUsed = other.dataUsed;
    this.optionsFlags = other.optionsFlags;
    return this;
  }
}
