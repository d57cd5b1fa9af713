import {
  type AllocatorFramingEx,
  Communication,
  DataFlow,
  type Filter,
  type FilterDescriptor,
  type KsDataRange,
  type ProcessPinIndexEntry,
  Status,
  type StatusCode,
  WILDCARD_DATA_RANGE,
} from '../index.js';

/** Options of {@link copyTransform}. */
export interface CopyTransformOptions {
  /** The output pin's framing (its pipe's requirements), e.g. `simpleFraming(…)`; default none. */
  readonly outputFraming?: AllocatorFramingEx | null;
  /** The input pin's framing; default none. */
  readonly inputFraming?: AllocatorFramingEx | null;
  /** Formats accepted (default: any). */
  readonly dataRanges?: readonly KsDataRange[];
  /** Called on each copied chunk, in place on the output bytes (e.g. a transform); default none. */
  readonly map?: (output: Uint8Array) => void;
}

/**
 * A non-in-place transform (filter-centric): copies each input frame into an output frame of the next pipe (the
 * pipe ends at its input; its output starts a new pipe with its own allocator). One input frame gives one output
 * frame; when the output frame is smaller the input frame spans several. Stream-header flags (ENDOFSTREAM, times)
 * travel with the data; zero-length frames (end of stream) are forwarded as zero-length frames.
 * Written only against the public API.
 */
export function copyTransform(options: CopyTransformOptions = {}): FilterDescriptor {
  const ranges = options.dataRanges ?? [WILDCARD_DATA_RANGE];
  const map = options.map ?? null;
  const process = (_filter: Filter, index: readonly ProcessPinIndexEntry[]): StatusCode => {
    const input = index[0]!.pins[0];
    const output = index[1]!.pins[0];
    if (!input || !output || input.data === null || output.data === null) return Status.pending;
    const n = Math.min(input.bytesAvailable, output.bytesAvailable);
    const all = n === input.bytesAvailable;
    if (n > 0) {
      if (n === input.data.byteLength && n === output.data.byteLength) output.data.set(input.data);
      else output.data.set(n === input.data.byteLength ? input.data : input.data.subarray(0, n));
      if (map !== null) map(n === output.data.byteLength ? output.data : output.data.subarray(0, n));
    }
    const inHeader = input.streamPointer!.streamHeader!;
    const outHeader = output.streamPointer!.streamHeader!;
    outHeader.optionsFlags = all ? inHeader.optionsFlags : inHeader.optionsFlags & ~0x200;
    outHeader.presentationTime.time = inHeader.presentationTime.time;
    outHeader.presentationTime.numerator = inHeader.presentationTime.numerator;
    outHeader.presentationTime.denominator = inHeader.presentationTime.denominator;
    outHeader.duration = inHeader.duration;
    input.bytesUsed = n;
    input.terminate = all;
    output.bytesUsed = n;
    output.terminate = true;
    return Status.success;
  };
  return {
    flags: 0x8, // KSFILTER_FLAG_RECEIVE_ZERO_LENGTH_SAMPLES
    dispatch: { process },
    pinDescriptors: [
      {
        dataFlow: DataFlow.in,
        communication: Communication.sink,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: options.inputFraming ?? null,
      },
      {
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: options.outputFraming ?? null,
      },
    ],
  };
}
