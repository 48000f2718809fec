// The CLI's bundle (cli/build/bundle.ts: what bin/bayledger.js runs, and what the test harness
// bundles when dist/ is stale) must carry every module the node starts as a worker thread or
// process: inside a bundle they are looked up beside it by name, and a missing one fails, or for
// a payload's sealing and item writing falls back to the main thread without a word.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle, EXTERNAL_PACKAGES, WORKER_ENTRIES } from '../../cli/build/bundle.js';
import { PACKAGE_VERSION } from '../../cli/package-info.js';
import { runCommand } from '../helpers/child.js';
import { BUNDLE_DIR, REPO_ROOT } from '../helpers/cli-command.js';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe("the CLI's bundle", () => {
  it('names every module started as a worker thread or a process, at the path it is found', () => {
    const started = new Map<string, string>();
    for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/startModule(?:Worker|Process)\(import\.meta\.url, '\.\/([\w-]+)'/g))
        started.set(match[1]!, path.relative(REPO_ROOT, path.join(path.dirname(file), `${match[1]}.ts`)));
    }
    assert.ok(started.size >= 4, `found only ${[...started.keys()].join(', ')}`);
    assert.deepEqual(
      Object.fromEntries([...started].sort()),
      Object.fromEntries(Object.entries(WORKER_ENTRIES).sort()),
    );
    for (const source of Object.values(WORKER_ENTRIES))
      assert.ok(existsSync(path.join(REPO_ROOT, source)), source);
  });
});

describe('the CLI bundled from the sources (cli/build/bundle.ts)', function () {
  this.timeout(60_000);
  const outdir = path.join(BUNDLE_DIR, `bundle-test-${process.pid}`);
  let networkDir = '';
  after(() => {
    rmSync(outdir, { recursive: true, force: true });
    if (networkDir !== '') rmSync(networkDir, { recursive: true, force: true });
  });

  it('runs commands, leaves the native packages to node_modules, and has a source map per chunk', async () => {
    await buildBundle(outdir);
    const start = path.join(outdir, 'start.js');
    const version = await runCommand([process.execPath, start, '--version'], {
      timeoutMs: 20_000,
      label: 'bayledger --version',
    });
    assert.deepEqual([version.code, version.stdout.trim()], [0, PACKAGE_VERSION], version.stderr);
    // A command that loads the key and genesis code: a network of keys and configs written to disk.
    networkDir = await mkdtemp(path.join(tmpdir(), 'bayledger-bundle-test-'));
    const out = path.join(networkDir, 'net');
    const init = await runCommand(
      [process.execPath, start, 'network', 'init', '--out', out, '--base-port', '0'],
      {
        timeoutMs: 20_000,
        label: 'bayledger network init',
      },
    );
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(path.join(out, 'genesis.json')));
    const chunks = readdirSync(outdir).filter((name) => name.endsWith('.js'));
    for (const chunk of chunks) assert.ok(existsSync(path.join(outdir, `${chunk}.map`)), `${chunk}.map`);
    const code = chunks.map((chunk) => readFileSync(path.join(outdir, chunk), 'utf8')).join('\n');
    for (const name of EXTERNAL_PACKAGES)
      assert.match(code, new RegExp(`from "${name}"`), `${name} imported from node_modules`);
    // libp2p is bundled: no chunk imports it by name.
    assert.doesNotMatch(code, /from "libp2p"/);
  });
});
