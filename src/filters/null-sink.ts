import {
  Communication,
  DataFlow,
  type FilterDescriptor,
  type KsDataRange,
  type Pin,
  Status,
  type StatusCode,
  StreamHeaderOptionsFlags,
  StreamPointerState,
  WILDCARD_DATA_RANGE,
} from '../index.js';

/** What a {@link nullSink} counted. */
export interface NullSinkCounts {
  /** Frames received. */
  frames: number;
  /** Bytes (DataUsed) received. */
  bytes: number;
  /** A frame with ENDOFSTREAM arrived. */
  endOfStream: boolean;
}

/**
 * A kernel sink (pin-centric): completes every frame it receives at once and counts frames and bytes. Its input ends
 * the pipe (role `sink`). Written only against the public API.
 */
export function nullSink(dataRanges: readonly KsDataRange[] = [WILDCARD_DATA_RANGE]): {
  descriptor: FilterDescriptor;
  counts: NullSinkCounts;
} {
  const counts: NullSinkCounts = { frames: 0, bytes: 0, endOfStream: false };
  const process = (pin: Pin): StatusCode => {
    const lead = pin.getLeadingEdge(StreamPointerState.locked);
    if (lead === null) return Status.pending;
    const h = lead.streamHeader!;
    counts.frames++;
    counts.bytes += h.dataUsed;
    if ((h.optionsFlags & StreamHeaderOptionsFlags.endOfStream) !== 0) counts.endOfStream = true;
    lead.unlock(true);
    return Status.success;
  };
  return {
    counts,
    descriptor: {
      flags: 0x8, // KSFILTER_FLAG_RECEIVE_ZERO_LENGTH_SAMPLES
      pinDescriptors: [
        {
          dataFlow: DataFlow.in,
          communication: Communication.sink,
          dataRanges,
          instancesPossible: 1,
          instancesNecessary: 1,
          allocatorFraming: null,
          dispatch: { process },
        },
      ],
    },
  };
}
