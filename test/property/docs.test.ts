import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// docs/properties.md examples must run: every ```js block is executed against the built package.
const root = new URL('../../../', import.meta.url);
const doc = readFileSync(new URL('docs/properties.md', root), 'utf8');
const blocks = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('docs/properties.md examples', () => {
  it('has a runnable example', () => {
    assert.ok(blocks.length > 0);
  });
  for (const [i, code] of blocks.entries()) {
    it(`example ${i + 1} runs and prints what its comments say`, () => {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
      const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
      assert.deepEqual(out.trim().split('\n'), expected);
    });
  }
});
