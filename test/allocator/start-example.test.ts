import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// `npm start` runs examples/start.mjs against the built package: it must run and end with every frame back.
const root = new URL('../../../', import.meta.url);

describe('npm start example (examples/start.mjs)', () => {
  it('builds a framing and an allocator, allocates and frees frames, prints the status and ends with none outstanding', () => {
    const out = execFileSync(process.execPath, ['examples/start.mjs'], { cwd: root, encoding: 'utf8' });
    assert.match(out, /^framing: 112-byte KSALLOCATOR_FRAMING_EX, flags 0x80000002$/m);
    assert.match(out, /^default allocator: 8 × 4096 B/m);
    assert.match(out, /^allocated 8 frames/m);
    assert.match(out, /^allocate\(\) at exhaustion → null$/m);
    assert.match(out, /^acquire\(\) served by that free: frame 0$/m);
    assert.match(out, /failures\s+│ 3/);
    assert.match(out, /allocator deleted; 0 frames outstanding\n$/);
  });
});

describe('README allocator example', () => {
  it('prints what its comments say: 4096 null, then a status with every frame back', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((code) => code.includes('createDefaultAllocator'));
    assert.ok(block !== undefined, 'the README has an allocator example');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', block], { cwd: root, encoding: 'utf8' });
    assert.match(out, /^4096 null$/m);
    assert.match(out, /allocatedFrames: 0,\s+highWaterMark: 2,\s+failures: 2,\s+pendingAcquires: 0/);
  });
});
