import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// README examples are documentation that must run: every ```js block is executed against the built package.
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README examples', () => {
  it('has at least one runnable example', () => {
    assert.ok(blocks.length > 0);
  });
  for (const [i, code] of blocks.entries()) {
    it(`example ${i + 1} runs`, () => {
      execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: 'pipe' });
    });
  }
});
