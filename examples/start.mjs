// `npm start`: a pin's framing (DECLARE_SIMPLE_FRAMING_EX), the allocator create request derived from it, a default
// allocator built from that request, exhausted, refilled, and reported.
// First the default graph (examples/graph.mjs): endpoints, an in-place and a copy transform, the decision record.
import './graph.mjs';
import {
  createDefaultAllocator,
  encodeFramingEx,
  FileAlignment,
  MemoryType,
  PoolType,
  pickSize,
  RequirementFlags,
  simpleFraming,
} from 'avstream';

// KSALLOCATOR_FRAMING_EX: 8 frames of 1–4 KiB, data 64-byte aligned, kernel nonpaged system memory (preferred).
const framingEx = simpleFraming(
  MemoryType.kernelNonPaged,
  RequirementFlags.systemMemory | RequirementFlags.preferencesOnly,
  8,
  FileAlignment.bytes64,
  1024,
  4096,
);
const item = framingEx.items[0];
console.log(
  `framing: ${encodeFramingEx(framingEx).byteLength}-byte KSALLOCATOR_FRAMING_EX, flags 0x${item.flags.toString(16)}`,
);

// KSALLOCATOR_FRAMING (the create request): its frame count and alignment, the largest size of its optimal range,
// NonPagedPool (the whole slab is committed at initialize).
const framing = {
  optionsFlags: 0,
  poolType: PoolType.nonPagedPool,
  frames: item.frames,
  frameSize: pickSize(item.framingRange.range, 'maximize'),
  fileAlignment: item.fileAlignment,
  reserved: 0,
};

const allocator = createDefaultAllocator({ prefix: 32, padding: 16 });
allocator.initialize(null, framing);
const { stride, dataOffset } = allocator.layout;
console.log(
  `default allocator: ${framing.frames} × ${framing.frameSize} B, stride ${stride} B, data at +${dataOffset}`,
);

// Function-table path: allocate() never waits — it returns null at once when all frames are outstanding.
const frames = [];
for (let frame = allocator.allocate(); frame !== null; frame = allocator.allocate()) {
  frame.data.fill(frames.length);
  frames.push(frame);
}
console.log(`allocated ${frames.length} frames (byte offsets ${frames.map((f) => f.data.byteOffset).join(', ')})`);
console.log('allocate() at exhaustion →', allocator.allocate());

// IRP path: acquire() pends until a frame is freed, then the oldest waiter is served; FREEFRAME fires after the free.
const stopListening = allocator.onFreeFrame(() => console.log('FREEFRAME event'));
const pending = allocator.acquire();
console.log(`acquire() pending: ${allocator.status().pendingAcquires} waiter(s)`);
allocator.free(frames.shift());
const served = await pending;
console.log(`acquire() served by that free: frame ${served.index}`);
frames.push(served);

const status = allocator.status();
console.log('status() — KSSTREAMALLOCATOR_STATUS plus counters (failures: 2 nulls and 1 pended acquire):');
console.table({
  frames: status.framing.frames,
  frameSize: status.framing.frameSize,
  allocatedFrames: status.allocatedFrames,
  highWaterMark: status.highWaterMark,
  failures: status.failures,
  pendingAcquires: status.pendingAcquires,
});

stopListening();
for (const frame of frames.splice(0)) allocator.free(frame);
allocator.delete(); // allowed once every frame is back
console.log(`allocator ${allocator.state}; ${allocator.outstanding} frames outstanding`);
