import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllocatorFlags,
  BusType,
  FileAlignment,
  FRAMING_ITEM_FLAGS_MASK,
  GUID_NULL,
  KSSTRING_ALLOCATOR,
  MAX_FILE_ALIGNMENT,
  MemoryType,
  OptionFlags,
  PAGE_SIZE,
  PoolType,
  REQUIREMENT_FLAGS_MASK,
  RequirementFlags,
} from '../../src/index.js';

// The numeric values below are typed in from spec §2.1 / §2.2 (ks.h, wdm.h, wdmguid.h), not derived from the code.
describe('framing constants carry the spec values (§2.1, §2.2)', () => {
  it('KSALLOCATOR_REQUIREMENTF_*', () => {
    assert.deepEqual(
      { ...RequirementFlags },
      {
        inplaceModifier: 0x1,
        systemMemory: 0x2,
        frameIntegrity: 0x4,
        mustAllocate: 0x8,
        systemMemoryCustomAllocation: 0x10,
        preferencesOnly: 0x80000000,
      },
    );
    assert.equal(REQUIREMENT_FLAGS_MASK, 0x8000001f);
  });

  it('KSALLOCATOR_OPTIONF_*', () => {
    assert.deepEqual({ ...OptionFlags }, { compatible: 0x1, systemMemory: 0x2, valid: 0x3 });
  });

  it('KSALLOCATOR_FLAG_*, and the item flag mask is a ULONG of every requirement and allocator bit', () => {
    assert.deepEqual(
      { ...AllocatorFlags },
      {
        partialReadSupport: 0x10,
        deviceSpecific: 0x20,
        canAllocate: 0x40,
        insistOnFramesizeRatio: 0x80,
        noFrameIntegrity: 0x100,
        multipleOutput: 0x200,
        cycle: 0x400,
        allocatorExists: 0x800,
        independentRanges: 0x1000,
        attentionStepping: 0x2000,
        enableCachedMdl: 0x4000,
        bufferRequired2d: 0x8000,
      },
    );
    assert.equal(FRAMING_ITEM_FLAGS_MASK, 0x8000ffff);
  });

  it('POOL_TYPE', () => {
    assert.deepEqual(
      { ...PoolType },
      { nonPagedPool: 0, pagedPool: 1, nonPagedPoolCacheAligned: 4, pagedPoolCacheAligned: 5, nonPagedPoolNx: 512 },
    );
  });

  it('FILE_*_ALIGNMENT masks, PAGE_SIZE and the PAGE_SIZE − 1 alignment limit', () => {
    assert.deepEqual(
      { ...FileAlignment },
      {
        byte: 0,
        word: 1,
        long: 3,
        quad: 7,
        octa: 0xf,
        bytes32: 0x1f,
        bytes64: 0x3f,
        bytes128: 0x7f,
        bytes256: 0xff,
        bytes512: 0x1ff,
      },
    );
    assert.equal(PAGE_SIZE, 4096);
    assert.equal(MAX_FILE_ALIGNMENT, 0xfff);
  });

  it('KSMEMORY_TYPE_* GUIDs', () => {
    assert.deepEqual(
      { ...MemoryType },
      {
        wildcard: '00000000-0000-0000-0000-000000000000',
        system: '091bb638-603f-11d1-b067-00a0c9062802',
        user: '8cb0fc28-7893-11d1-b069-00a0c9062802',
        kernelPaged: 'd833f8f8-7894-11d1-b069-00a0c9062802',
        kernelNonPaged: '4a6d5fc4-7895-11d1-b069-00a0c9062802',
        deviceUnknown: '091bb639-603f-11d1-b067-00a0c9062802',
      },
    );
    assert.equal(GUID_NULL, '00000000-0000-0000-0000-000000000000');
  });

  it('bus type GUIDs (wdmguid.h) and KSSTRING_Allocator', () => {
    assert.deepEqual(
      { ...BusType },
      {
        any: GUID_NULL,
        pci: 'c8ebdfb0-b510-11d0-80e5-00a0c92542e3',
        usb: '9d7debbc-c85d-11d1-9eb4-006008c3a19a',
        ieee1394: 'f74e73eb-9ac5-45eb-be4d-772cc71ddfb3',
        avc: 'c06ff265-ae09-48f0-812c-16753d7cba83',
        iec61883: '7ebefbc0-3200-11d2-b4c2-00a0c9697d07',
      },
    );
    assert.equal(KSSTRING_ALLOCATOR, '{642F5D00-4791-11D0-A5D6-28DB04C10000}');
  });
});
