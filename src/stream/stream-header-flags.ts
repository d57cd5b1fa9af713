/**
 * KSSTREAM_HEADER_OPTIONSF_* values (ks.h, spec §4) for {@link StreamHeader.optionsFlags}.
 * Values from 0x1000 up come from newer SDKs.
 */
export const StreamHeaderOptionsFlags = {
  /** SPLICEPOINT: a point where the stream may be spliced (a key frame). */
  splicePoint: 0x1,
  /** PREROLL: data to decode but not present. */
  preroll: 0x2,
  /** DATADISCONTINUITY: a gap in the data before this frame. */
  dataDiscontinuity: 0x4,
  /** TYPECHANGED: the format changed; `data` holds the new KSDATAFORMAT. */
  typeChanged: 0x8,
  /** TIMEVALID: `presentationTime` is valid. */
  timeValid: 0x10,
  /** TIMEDISCONTINUITY: a gap in the timestamps before this frame. */
  timeDiscontinuity: 0x40,
  /** FLUSHONPAUSE: flush this frame when the pin pauses. */
  flushOnPause: 0x80,
  /** DURATIONVALID: `duration` is valid. */
  durationValid: 0x100,
  /** ENDOFSTREAM: the last frame of the stream. */
  endOfStream: 0x200,
  /** BUFFEREDTRANSFER */
  bufferedTransfer: 0x400,
  /** VRAM_DATA_TRANSFER */
  vramDataTransfer: 0x800,
  /** METADATA */
  metadata: 0x1000,
  /** ENDOFPHOTOSEQUENCE */
  endOfPhotoSequence: 0x2000,
  /** FRAMEINFO */
  frameInfo: 0x4000,
  /** PERSIST_SAMPLE */
  persistSample: 0x8000,
  /** SAMPLE_PERSISTED */
  samplePersisted: 0x10000,
  /** TRACK_COMPLETION_NUMBERS */
  trackCompletionNumbers: 0x20000,
  /** SECUREBUFFERTRANSFER */
  secureBufferTransfer: 0x40000,
  /** LOOPEDDATA */
  loopedData: 0x80000000,
} as const;

/** Every defined KSSTREAM_HEADER_OPTIONSF_* bit. */
export const STREAM_HEADER_OPTIONS_MASK = Object.values(StreamHeaderOptionsFlags).reduce((a, b) => (a | b) >>> 0, 0);
