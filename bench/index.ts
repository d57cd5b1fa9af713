/**
 * `npm run bench [-- --json] [-- --filter <id-prefix>]`: runs the registered bench cases. With `--json` stdout gets
 * exactly one JSON object `{ "results": [ { id, value, unit, vs } ] }`; otherwise a human-readable table.
 */
import './cases/index.js';
import { type BenchResult, benchCases } from './registry.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const filterAt = args.indexOf('--filter');
const filter = filterAt >= 0 ? (args[filterAt + 1] ?? '') : '';

const results: BenchResult[] = [];
for (const c of benchCases()) {
  if (!c.id.startsWith(filter)) continue;
  if (!json) process.stderr.write(`running ${c.id} …\n`);
  results.push(await c.run());
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
