/**
 * The JSON peer of `negotiate.10k`, run in a worker thread (its own V8 heap): on each message it times one
 * `JSON.parse(JSON.stringify(description))` of the 10 000-filter chain after a `gc()`, collects again, and posts the
 * wall-clock ms back.
 * In the main thread, the peer's ≈ 40 MB of garbage changed how V8 treats the negotiation's allocations in the next
 * round (docs/performance.md, "Negotiation"): a separate heap keeps each side's heap state its own while the two
 * still take turns under the same machine load.
 */
import { parentPort } from 'node:worker_threads';
import { chainDescription } from './negotiate-description.js';

const port = parentPort;
if (port === null) throw new Error('negotiate-peer: run this file as a worker');
const description = chainDescription(10_000);
const gc = (globalThis as { gc?: () => void }).gc;
let keep = 0;
port.on('message', () => {
  gc?.();
  const t0 = performance.now();
  keep += (JSON.parse(JSON.stringify(description)) as { filters: unknown[] }).filters.length;
  const ms = performance.now() - t0;
  // Collect the round trip's garbage before answering, so that no collection of this heap (concurrent marking
  // threads started by its allocation) runs while the main thread negotiates.
  gc?.();
  port.postMessage(keep < 0 ? 0 : ms);
});
port.postMessage(0);
