// src/core is pure and synchronous (design section 2): no I/O, no clock, no randomness. This test
// parses every .ts file under src/core with the TypeScript compiler and fails, naming file and
// line, on any import of Node built-ins (except node:crypto inside src/core/crypto, for
// deterministic hashing and signing), LevelDB or libp2p, and on any use of the clock, timers,
// randomness or the process. It reads code, not comments, so a comment may explain a rule by
// naming what it forbids. A self-test feeds the scanner a synthetic bad source.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/cli.js';

const CORE_ROOT = path.join(REPO_ROOT, 'src/core');

interface Violation {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

const BUILTINS = new Set(builtinModules);
const STORAGE_AND_NETWORK = [
  /^(level|classic-level|abstract-level|browser-level|memory-level)(\/|$)/,
  /^libp2p(\/|$)/,
  /^@libp2p\//,
  /^@chainsafe\/libp2p/,
];

function forbiddenModule(specifier: string, file: string): string | undefined {
  const inCryptoFolder = file.startsWith(`src/core/crypto/`);
  if (specifier === 'node:crypto' && inCryptoFolder) return undefined;
  if (specifier.startsWith('node:')) return `imports ${specifier} (Node built-ins are for src/node)`;
  if (BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]!))
    return `imports the Node built-in ${specifier}`;
  if (STORAGE_AND_NETWORK.some((pattern) => pattern.test(specifier)))
    return `imports ${specifier} (storage and network are for src/node)`;
  return undefined;
}

/** Property reads that reach the clock, randomness or the process: object name -> property names (empty = any). */
const FORBIDDEN_PROPERTIES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['Date', new Set(['now'])],
  ['Math', new Set(['random'])],
  ['performance', new Set<string>()],
  ['process', new Set<string>()],
  ['crypto', new Set<string>()],
]);
/** Identifiers that are clock, timer or randomness APIs wherever they appear in code. */
const FORBIDDEN_IDENTIFIERS = new Set([
  'setTimeout',
  'setInterval',
  'setImmediate',
  'randomBytes',
  'randomFill',
  'randomFillSync',
  'randomInt',
  'randomUUID',
  'getRandomValues',
  'globalThis',
  'process',
  'performance',
]);

function moduleSpecifierOf(node: ts.Node): ts.Expression | undefined {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return node.moduleSpecifier;
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return node.moduleReference.expression;
  }
  if (ts.isCallExpression(node)) {
    const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
    const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
    if (isDynamicImport || isRequire) return node.arguments[0];
  }
  return undefined;
}

function violationOf(node: ts.Node, file: string): string | undefined {
  const specifier = moduleSpecifierOf(node);
  if (specifier !== undefined) {
    if (!ts.isStringLiteralLike(specifier)) return 'imports a computed module name';
    return forbiddenModule(specifier.text, file);
  }
  if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression)) {
    if (node.expression.text === 'Date')
      return `${ts.isNewExpression(node) ? 'new ' : ''}Date() reads the clock`;
  }
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const forbidden = FORBIDDEN_PROPERTIES.get(node.expression.text);
    if (forbidden && (forbidden.size === 0 || forbidden.has(node.name.text))) {
      return `uses ${node.expression.text}.${node.name.text}`;
    }
  }
  if (ts.isIdentifier(node) && FORBIDDEN_IDENTIFIERS.has(node.text)) {
    // `process.x` and `performance.x` are reported once, by the property rule above.
    const parent = node.parent;
    if (
      parent &&
      ts.isPropertyAccessExpression(parent) &&
      parent.expression === node &&
      FORBIDDEN_PROPERTIES.has(node.text)
    ) {
      return undefined;
    }
    return `uses ${node.text}`;
  }
  if (
    ts.isPropertyAccessExpression(node) &&
    FORBIDDEN_IDENTIFIERS.has(node.name.text) &&
    !ts.isIdentifier(node.expression)
  ) {
    return `uses .${node.name.text}`;
  }
  return undefined;
}

/** Every purity violation in one source text; `file` is its path relative to the repository. */
function scanSource(sourceText: string, file: string): Violation[] {
  const source = ts.createSourceFile(file, sourceText, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const violations: Violation[] = [];
  const visit = (node: ts.Node): void => {
    const reason = violationOf(node, file);
    if (reason !== undefined) {
      const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
      violations.push({ file, line, reason });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return violations;
}

function typeScriptFilesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

describe('purity: src/core does no I/O and reads no clock or randomness', () => {
  it('the scanner flags a synthetic bad source, with lines, and ignores comments and strings', () => {
    const bad = [
      "import { readFileSync } from 'node:fs';", // 1
      "import { Level } from 'level';", // 2
      "import { createLibp2p } from 'libp2p';", // 3
      "import { tcp } from '@libp2p/tcp';", // 4
      "import net from 'net';", // 5
      'export const now = Date.now();', // 6
      'export const today = new Date();', // 7
      'export const dice = Math.random();', // 8
      'export const home = process.env.HOME;', // 9
      'setTimeout(() => {}, 1);', // 10
      'setInterval(() => {}, 1);', // 11
      'const t = performance.now();', // 12
      "const r = require('node:crypto').randomBytes(4);", // 13
      'const u = crypto.getRandomValues(new Uint8Array(4));', // 14
      "const m = await import('node:http');", // 15
      "export * from 'fs/promises';", // 16
      '// Date.now() and Math.random() in a comment are fine', // 17
      "const text = 'process.exit and setTimeout in a string are fine';", // 18
      'const parsed = Date.parse(text); const big = Math.max(1, 2);', // 19
    ].join('\n');
    const found = scanSource(bad, 'src/core/example.ts');
    const lines = [...new Set(found.map((violation) => violation.line))];
    assert.deepStrictEqual(lines, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    assert.ok(found.some((v) => v.line === 13 && v.reason.includes('randomBytes')));
  });

  it('allows node:crypto inside src/core/crypto only', () => {
    const source = "import { createHash } from 'node:crypto';";
    assert.deepStrictEqual(scanSource(source, 'src/core/crypto/hash.ts'), []);
    assert.equal(scanSource(source, 'src/core/ledger/block.ts').length, 1);
    assert.equal(scanSource("import { createHash } from 'crypto';", 'src/core/crypto/hash.ts').length, 1);
  });

  it('finds no violation in any file under src/core', () => {
    const files = typeScriptFilesUnder(CORE_ROOT);
    assert.ok(files.length > 20, `expected the core sources, found ${files.length} files`);
    const violations = files.flatMap((file) => {
      const relative = path.relative(REPO_ROOT, file).split(path.sep).join('/');
      return scanSource(readFileSync(file, 'utf8'), relative);
    });
    const report = violations.map((v) => `${v.file}:${v.line}: ${v.reason}`).join('\n');
    assert.equal(violations.length, 0, `src/core must stay pure:\n${report}`);
  });
});
