import { describe, it } from 'node:test';

describe('conformance: DMA services (spec §6, §9.28)', () => {
  it.todo(
    '§9.28 GENERATE_MAPPINGS: with an adapter registered on the device (KsDeviceRegisterAdapterObject: MaxMappingsByteCount, MappingTableStride ≥ 16), locking a stream pointer builds the frame’s mappings — each ≤ MaxMappingsByteCount, entries MappingTableStride apart, offset Count/Remaining in mappings. avstream has only the MappingsHook extension point (QueueOptions.mappings); there is no adapter registration and no mapping generation to test through the public API.',
  );
});
