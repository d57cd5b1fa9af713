import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('../../../', import.meta.url);

test('examples/graph.mjs (npm start): the default graph prints its decision record, correct data, every frame back', () => {
  const out = execFileSync(process.execPath, ['examples/graph.mjs'], { cwd: root, encoding: 'utf8' });
  assert.match(out, /^negotiation: 2 pipes/m);
  assert.match(out, /^pipe0 \[user\] resolved: camera\.out0 → invert\.in0 → invert\.out1 → copy\.in0/m);
  assert.match(
    out,
    /^graph: 121 frames written \(with the end of stream\), 120 frames \/ 122880 bytes read, 0 wrong bytes$/m,
  );
  assert.match(out, /^pipe0: user allocator at camera\.out0, 4 × 1024 B, high-water 4, 0 outstanding, deleted$/m);
  assert.match(out, /^pipe1: user allocator at app\.in0, 3 × 1024 B, high-water 3, 0 outstanding, deleted$/m);
});
