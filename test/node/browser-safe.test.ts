import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The core (src/ outside src/node/) must run in a browser: no `node:` (or bare Node built-in) module and no Node-only
// global. The build also compiles the core with `types: []` (tsconfig.build.json), so a Node global there fails to
// type-check; this test states the rule on its own, with the TypeScript parser and binder, so a local variable named
// `process` or a method `filter.process()` is not mistaken for the Node global.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(root, 'src');

/** Node-only globals a browser lacks (globalThis is fine). */
const NODE_GLOBALS = new Set([
  'Buffer',
  'process',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
  'clearImmediate',
  'NodeJS',
]);

const NODE_BUILTINS =
  /^(node:.*|(assert|async_hooks|buffer|child_process|cluster|crypto|dgram|dns|events|fs|http|http2|https|module|net|os|path|perf_hooks|process|readline|stream|string_decoder|timers|tls|tty|url|util|v8|vm|worker_threads|zlib)(\/.*)?)$/;

/** True when `id` names something (not a property/member name, not a declaration of its own). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if (ts.isLabeledStatement(p) && p.label === id) return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessor(p) ||
      ts.isSetAccessor(p) ||
      ts.isEnumMember(p) ||
      ts.isBindingElement(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isClassDeclaration(p) ||
      ts.isImportSpecifier(p) ||
      ts.isExportSpecifier(p)) &&
    p.name === id
  ) {
    return false;
  }
  return true;
}

/**
 * The Node-only constructs in source files: `node:`/built-in module specifiers (static, dynamic, re-export, require)
 * and free references to Node globals (a name that resolves to no declaration in the program: with no lib and no
 * types loaded, only a local binding resolves).
 */
export function nodeOnlyUses(files: ReadonlyMap<string, string>): string[] {
  const host = ts.createCompilerHost({});
  const options: ts.CompilerOptions = {
    noLib: true,
    noResolve: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
  };
  host.getSourceFile = (name, version) => {
    const text = files.get(name);
    return text === undefined ? undefined : ts.createSourceFile(name, text, version, true);
  };
  host.fileExists = (name) => files.has(name);
  host.readFile = (name) => files.get(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!files.has(sf.fileName)) continue;
    const visit = (node: ts.Node): void => {
      let specifier: ts.Expression | undefined;
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        specifier = node.moduleSpecifier;
      } else if (
        ts.isCallExpression(node) &&
        (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
          (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
      ) {
        specifier = node.arguments[0];
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        specifier = node.argument.literal;
      }
      if (specifier !== undefined && ts.isStringLiteralLike(specifier) && NODE_BUILTINS.test(specifier.text)) {
        found.push(`${sf.fileName}: import '${specifier.text}'`);
      }
      if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text) && isReference(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol === undefined || (symbol.declarations ?? []).length === 0) {
          found.push(`${sf.fileName}: ${node.text}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) files.push(path);
  }
  return files;
}

const one = (text: string) => nodeOnlyUses(new Map([['/x.ts', text]])).map((s) => s.slice('/x.ts: '.length));

describe('browser-safe core', () => {
  it('the scanner flags node: imports and Node globals and ignores lookalikes (positive control)', () => {
    assert.deepEqual(one("import { Readable } from 'node:stream';"), ["import 'node:stream'"]);
    assert.deepEqual(one("import { readFile } from 'fs/promises';"), ["import 'fs/promises'"]);
    assert.deepEqual(one("export { x } from 'node:fs';"), ["import 'node:fs'"]);
    assert.deepEqual(one("const m = await import('node:fs');"), ["import 'node:fs'"]);
    assert.deepEqual(one("type T = import('node:stream').Readable;"), ["import 'node:stream'"]);
    assert.deepEqual(one('const b = Buffer.from(x);'), ['Buffer']);
    assert.deepEqual(one('if (typeof process !== "undefined") f();'), ['process']);
    assert.deepEqual(one('const e = process?.env; const g = globalThis.process;'), ['process']);
    assert.deepEqual(one('let t: NodeJS.Timeout;'), ['NodeJS']);
    assert.deepEqual(one('const s = `$' + '{Buffer.byteLength(x)}`;'), ['Buffer']);
    assert.deepEqual(one('setImmediate(f);'), ['setImmediate']);
    assert.deepEqual(
      one(
        [
          '// Buffer and process in a comment, node:fs too',
          '/* process.env */',
          "const a = new ArrayBuffer(8); const f: FrameBuffer = x; const s = 'process Buffer node:fs';",
          'filter.process(pin); const d = { process(p) { return p; }, process2: 1 };',
          'interface D { process?: (f: unknown) => void; Buffer: number }',
          'const t = `the process $' + '{filter.process(x)} ended`;',
          'function g(process: number) { return process + 1; }',
          'class C { process() { const process = 1; return process; } }',
          "import { x } from './node-like.js';",
        ].join('\n'),
      ),
      [],
    );
  });

  it('no file in src/ outside src/node/ imports a node: module or uses a Node-only global', () => {
    const files = new Map<string, string>();
    for (const file of walk(src)) {
      const rel = relative(src, file).split(sep).join('/');
      if (!rel.startsWith('node/')) files.set(`src/${rel}`, readFileSync(file, 'utf8'));
    }
    assert.ok(files.size > 20, `scanned ${files.size} files`);
    assert.deepEqual(nodeOnlyUses(files), []);
  });

  it('src/node/ holds the Node-only code (it may import node: modules)', () => {
    const files = new Map(walk(join(src, 'node')).map((f) => [f, readFileSync(f, 'utf8')] as const));
    assert.ok(files.size > 0);
    assert.ok(nodeOnlyUses(files).some((u) => u.includes("import 'node:")));
  });
});
