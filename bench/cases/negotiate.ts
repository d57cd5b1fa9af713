/**
 * Negotiation bench cases (register with `import './negotiate.js'` in bench/cases/index.ts):
 * - `negotiate.10k`: ms to negotiate a 10 000-filter chain (target < 100 ms); peer: a JSON round trip of the same
 *   description, measured in the same run, in a worker thread (ours/peer, so a loaded machine shows as such).
 * - `negotiate.scaling`: time(10 000 filters) / time(1 000 filters) (target ≤ 12: linear).
 *
 * Both report the steady state: a warm-up of WARM_UP_FILTERS filters' worth of negotiations first (docs/performance.md,
 * "Negotiation", says why that many), then the best of several rounds, each after a gc(), with its CPU time.
 */
import { Worker } from 'node:worker_threads';
import { negotiate } from '../../src/index.js';
import { type BenchResult, registerBench } from '../registry.js';
import { chainDescription } from './negotiate-description.js';

export { chainDescription };

/**
 * Filters negotiated before timing, per size (20 runs of 10 000 filters, 200 runs of 1 000): V8 tiers code up by the
 * amount of work it ran, so a 1k chain needs ten times as many runs as a 10k chain; times settle after ≈ 100 000
 * filters' worth (8–12 runs of 10k, 60–100 runs of 1k); twice that is the margin.
 */
const WARM_UP_FILTERS = 200_000;
const ROUNDS = 9;

const gc = (globalThis as { gc?: () => void }).gc;

/** CPU ms (this process, all threads: the GC's helpers count) of the last onceMs run, when the host reports it. */
let lastCpuMs = Number.NaN;
const cpuUsage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage;
const cpuNow = (): number => {
  if (!cpuUsage) return Number.NaN;
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Wall-clock ms of one run of `body` after a gc() when exposed (every timed run of both cases starts from an empty
 * young generation). Also records its CPU time in `lastCpuMs` (a note only: on a shared machine the wall time
 * includes waiting for a core, the CPU time does not).
 */
function onceMs(body: () => void): number {
  gc?.();
  const c0 = cpuNow();
  const t0 = performance.now();
  body();
  const ms = performance.now() - t0;
  lastCpuMs = cpuNow() - c0;
  return ms;
}

let keep = 0;

/** Runs `body` (one negotiation of `filters` filters) until WARM_UP_FILTERS filters are negotiated. */
function warmUp(body: () => void, filters: number): void {
  const runs = Math.max(5, Math.ceil(WARM_UP_FILTERS / filters));
  for (let i = 0; i < runs; i++) body();
}

/** The JSON peer in a worker: `round()` runs one timed round trip there and resolves to its ms. */
async function startPeer(): Promise<{ round(): Promise<number>; stop(): Promise<void> }> {
  const worker = new Worker(new URL('./negotiate-peer.js', import.meta.url));
  let settle: { resolve(ms: number): void; reject(error: unknown): void } | null = null;
  const next = () => new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
  worker.on('message', (ms: number) => settle?.resolve(ms));
  worker.on('error', (error) => settle?.reject(error));
  await next(); // ready: its description is built
  return {
    round() {
      const answer = next();
      worker.postMessage(0);
      return answer;
    },
    async stop() {
      await worker.terminate();
    },
  };
}

/**
 * negotiate.10k. The JSON peer runs in a worker thread (its own heap), taking turns with ours round by round, so both
 * see the same load; in the main thread its garbage made V8 scavenge the negotiation's (live) allocations in the next
 * round, which a standalone negotiation does not do (docs/performance.md, "Negotiation").
 */
export async function negotiate10k(): Promise<BenchResult> {
  const d = chainDescription(10_000);
  const ours = () => {
    keep += negotiate(d).pipes.length;
  };
  const peer = await startPeer();
  let ms = Number.POSITIVE_INFINITY;
  let json = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  try {
    warmUp(ours, 10_000);
    for (let i = 0; i < 3; i++) await peer.round();
    for (let round = 0; round < ROUNDS; round++) {
      json = Math.min(json, await peer.round());
      ms = Math.min(ms, onceMs(ours));
      cpu = Math.min(cpu, lastCpuMs);
    }
  } finally {
    await peer.stop();
  }
  return {
    id: 'negotiate.10k',
    value: Math.round(ms * 10) / 10,
    unit: 'ms',
    vs: { 'json-roundtrip': ms / json },
    notes: [
      `JSON round trip of the same description (worker thread): ${json.toFixed(1)} ms (target: negotiate < 100 ms)`,
      `best CPU time of a 10k negotiation: ${cpu.toFixed(1)} ms`,
    ],
  };
}

/**
 * negotiate.scaling. Both sizes use the same description shape (chainDescription), built before timing (the
 * description is the caller's input, as for negotiate.10k and its JSON peer); every timed run starts after a gc()
 * (when exposed), so both sizes start from an empty young generation. The 1k and 10k runs are interleaved round by
 * round (three 1k runs, then one 10k run) after a warm-up of both (WARM_UP_FILTERS each), so that on a shared machine both best times are
 * taken under the same load rather than in two separate windows.
 */
export function negotiateScaling(): BenchResult {
  const small = chainDescription(1_000);
  const large = chainDescription(10_000);
  const runSmall = () => {
    keep += negotiate(small).pipes.length;
  };
  const runLarge = () => {
    keep += negotiate(large).pipes.length;
  };
  warmUp(runSmall, 1_000);
  warmUp(runLarge, 10_000);
  let t1 = Number.POSITIVE_INFINITY;
  let t10 = Number.POSITIVE_INFINITY;
  let c1 = Number.POSITIVE_INFINITY;
  let c10 = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < 3; i++) {
      t1 = Math.min(t1, onceMs(runSmall));
      c1 = Math.min(c1, lastCpuMs);
    }
    t10 = Math.min(t10, onceMs(runLarge));
    c10 = Math.min(c10, lastCpuMs);
  }
  return {
    id: 'negotiate.scaling',
    value: Math.round((t10 / t1) * 100) / 100,
    unit: 'ratio',
    vs: {},
    notes: [
      `1k: ${t1.toFixed(2)} ms, 10k: ${t10.toFixed(2)} ms (target ≤ 12)${keep < 0 ? '' : ''}`,
      `best CPU time: 1k ${c1.toFixed(2)} ms, 10k ${c10.toFixed(2)} ms (ratio ${(c10 / c1).toFixed(2)})`,
    ],
  };
}

registerBench(
  { id: 'negotiate.10k', description: 'ms to negotiate a 10 000-filter chain', run: negotiate10k },
  { id: 'negotiate.scaling', description: 'time 10k filters / time 1k filters', run: negotiateScaling },
);
