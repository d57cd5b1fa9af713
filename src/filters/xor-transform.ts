import {
  Communication,
  DataFlow,
  FileAlignment,
  type FilterDescriptor,
  type KsDataRange,
  MemoryType,
  type Pin,
  RequirementFlags,
  Status,
  type StatusCode,
  StreamPointerState,
  simpleFraming,
  WILDCARD_DATA_RANGE,
} from '../index.js';

/** Options of {@link xorTransform}. */
export interface XorTransformOptions {
  /** The byte every data byte is XORed with (default 0xff: invert). */
  readonly key?: number;
  /** Frames the input asks for (its framing's Frames; default 0 = no requirement). */
  readonly frames?: number;
  /** Formats accepted (default: any). */
  readonly dataRanges?: readonly KsDataRange[];
}

/**
 * An in-place transform (pin-centric): XORs every valid byte of each frame with `key` and passes the same frame on —
 * no copy, it stays in its pipe. Its input framing carries KSALLOCATOR_REQUIREMENTF_INPLACE_MODIFIER, so the graph
 * links input (pin 0) and output (pin 1) as in-place counterparts. Zero-length frames (end of stream) pass through.
 * Written only against the public API.
 */
export function xorTransform(options: XorTransformOptions = {}): FilterDescriptor {
  const key = (options.key ?? 0xff) & 0xff;
  const ranges = options.dataRanges ?? [WILDCARD_DATA_RANGE];
  const framing = simpleFraming(
    MemoryType.kernelNonPaged,
    RequirementFlags.inplaceModifier,
    options.frames ?? 0,
    FileAlignment.byte,
    1,
    0xffffffff,
  );
  const process = (pin: Pin): StatusCode => {
    const lead = pin.getLeadingEdge(StreamPointerState.locked);
    if (lead === null) return Status.pending;
    const frame = lead.frame!;
    const data = frame.data!;
    const n = frame.header.dataUsed;
    for (let i = 0; i < n; i++) data[i]! ^= key;
    lead.unlock(true);
    return Status.success;
  };
  return {
    flags: 0x8, // KSFILTER_FLAG_RECEIVE_ZERO_LENGTH_SAMPLES: end-of-stream frames pass through it
    pinDescriptors: [
      {
        dataFlow: DataFlow.in,
        communication: Communication.sink,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: framing,
        dispatch: { process },
      },
      {
        dataFlow: DataFlow.out,
        communication: Communication.source,
        dataRanges: ranges,
        instancesPossible: 1,
        instancesNecessary: 1,
        allocatorFraming: null,
      },
    ],
  };
}
