/**
 * `npm run bench [-- --json] [-- --filter <id-prefix>]`: runs the registered bench cases. With `--json` stdout gets
 * exactly one JSON object `{ "results": [ { id, value, unit, vs } ] }`; otherwise a human-readable table.
 *
 * Each case runs in a Node process of its own (this script again, with `--case <id>` and the same Node flags), so
 * that no case measures code the compiler specialised for another one (e.g. allocator methods made polymorphic by
 * the allocation cases before the graph cases); a case's peers run in its process, beside it. `--in-process` runs
 * every case in this process instead.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import './cases/index.js';
import { type BenchResult, benchCases } from './registry.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? (args[filterAt + 1] ?? '') : '';
const caseAt = args.indexOf('--case');
const inProcess = args.includes('--in-process');

if (caseAt >= 0) {
  // a child run: exactly one case, its whole result as one JSON line on stdout
  const id = args[caseAt + 1] ?? '';
  const c = benchCases().find((b) => b.id === id);
  if (c === undefined) throw new Error(`bench: no case ${JSON.stringify(id)}`);
  process.stdout.write(`${JSON.stringify(await c.run())}\n`);
  process.exit(0);
}

/** Runs one case in a Node process of its own (same Node flags) and returns its result. */
function runIsolated(id: string): BenchResult {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', id], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = out.trimEnd().split('\n').at(-1) ?? '';
  return JSON.parse(last) as BenchResult;
}

const results: BenchResult[] = [];
for (const c of benchCases()) {
  if (!c.id.startsWith(filter)) continue;
  if (!json) process.stderr.write(`running ${c.id} …\n`);
  results.push(inProcess ? await c.run() : runIsolated(c.id));
}

if (json) {
  const out = results.map(({ id, value, unit, vs }) => ({ id, value, unit, vs }));
  process.stdout.write(`${JSON.stringify({ results: out })}\n`);
} else {
  const rows = results.map((r) => [
    r.id,
    r.value.toLocaleString('en'),
    r.unit,
    Object.entries(r.vs)
      .map(([peer, ratio]) => `${peer} ×${ratio.toFixed(1)}`)
      .join(', ') || '—',
  ]);
  const header = ['id', 'value', 'unit', 'vs (ours/peer)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const r of results) for (const note of r.notes ?? []) console.log(`  ${r.id}: ${note}`);
}
