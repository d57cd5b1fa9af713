/**
 * The bench-case registry: each case file registers its cases; `bench/index.ts` runs them all (or those matching
 * `--filter <prefix>`). Ids are `<area>.<what>` (`alloc.4k`, later `graph.*`, `negotiate.*`).
 */

/** One measured result: `vs` maps a peer name to ours/peer measured in the same run. */
export interface BenchResult {
  readonly id: string;
  readonly value: number;
  readonly unit: string;
  readonly vs: Record<string, number>;
  /** Extra lines for the human-readable table (never in the JSON). */
  readonly notes?: readonly string[];
}

/** A bench case: `run` returns its result, or a promise of it for peers that are asynchronous (it may print nothing on stdout). */
export interface BenchCase {
  readonly id: string;
  readonly description: string;
  run(): BenchResult | Promise<BenchResult>;
}

const cases: BenchCase[] = [];

/** Adds cases to the registry (ids must be unique). */
export function registerBench(...added: BenchCase[]): void {
  for (const c of added) {
    if (cases.some((x) => x.id === c.id)) throw new Error(`bench: duplicate id ${c.id}`);
    cases.push(c);
  }
}

/** Every registered case, in registration order. */
export function benchCases(): readonly BenchCase[] {
  return cases;
}

/** Runs `body(n)` (which performs n iterations) and returns iterations per second, best of `rounds`. */
export function opsPerSecond(body: (n: number) => void, n: number, rounds = 5): number {
  body(Math.min(n, 1_000_000)); // warm-up
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    body(n);
    const ms = performance.now() - t0;
    best = Math.max(best, (n * 1000) / ms);
  }
  return best;
}
