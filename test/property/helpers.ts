import { createDefaultAllocator } from '../../src/allocator/default-allocator.js';
import type { FrameAllocator } from '../../src/allocator/types.js';
import type { FilterDispatch } from '../../src/filter/filter-descriptor.js';
import { FilterFactory } from '../../src/filter/filter-factory.js';
import { FileAlignment, GUID_NULL, MemoryType, PoolType } from '../../src/framing/constants.js';
import { simpleFraming } from '../../src/framing/simple-framing.js';
import type { AllocatorFraming, AllocatorFramingEx } from '../../src/framing/types.js';
import {
  DataFormatSpecifier,
  DataFormatSubtype,
  DataFormatType,
  type KsDataFormat,
  type KsDataRange,
} from '../../src/pin/data-format.js';
import { Communication, DataFlow, type PinDescriptorEx } from '../../src/pin/pin-descriptor.js';
import { ManualWorkScheduler } from '../../src/processing/scheduler.js';
import { anyRange, streamFormat } from '../pin/helpers.js';

// The plain stream format and the match-anything range are the pin tests' fixtures.
export { anyRange, streamFormat };

/** A video format with a 24-byte specific block size (formatSize 88). */
export const videoFormat: KsDataFormat = {
  formatSize: 88,
  flags: 0,
  sampleSize: 4096,
  majorFormat: DataFormatType.video,
  subFormat: DataFormatSubtype.yuy2,
  specifier: DataFormatSpecifier.videoInfo,
};

/** A range accepting only stream formats. */
export const streamRange: KsDataRange = { ...streamFormat, specifier: GUID_NULL };

/** avshws-like framing: KERNEL_NONPAGED, SYSTEM_MEMORY|PREFERENCES_ONLY, 2 frames, 2 pages. */
export function captureFraming(): AllocatorFramingEx {
  return simpleFraming(MemoryType.kernelNonPaged, 0x80000002, 2, FileAlignment.long, 8192, 8192);
}

/** A pin descriptor with defaults (input, sink, one instance, no framing). */
export function pinDescriptor(over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return {
    dataRanges: [anyRange],
    dataFlow: DataFlow.in,
    communication: Communication.sink,
    flags: 0,
    instancesPossible: 4,
    instancesNecessary: 0,
    allocatorFraming: null,
    ...over,
  };
}

/** An output (source) pin descriptor. */
export function outputDescriptor(over: Partial<PinDescriptorEx> = {}): PinDescriptorEx {
  return pinDescriptor({ dataFlow: DataFlow.out, communication: Communication.source, ...over });
}

/** A filter made by a free-standing factory with a manual work scheduler. */
export function makeFilter(pinDescriptors: PinDescriptorEx[], dispatch: FilterDispatch | null = null) {
  const work = new ManualWorkScheduler();
  const factory = new FilterFactory({ pinDescriptors, dispatch }, { scheduler: work.schedule });
  return factory.createFilter();
}

/** A legacy framing. */
export function legacy(over: Partial<AllocatorFraming> = {}): AllocatorFraming {
  return {
    optionsFlags: 0,
    poolType: PoolType.nonPagedPool,
    frames: 3,
    frameSize: 256,
    fileAlignment: FileAlignment.long,
    reserved: 0,
    ...over,
  };
}

/** An initialized default allocator. */
export function initializedAllocator(over: Partial<AllocatorFraming> = {}): FrameAllocator {
  const a = createDefaultAllocator();
  a.initialize(null, legacy(over));
  return a;
}
