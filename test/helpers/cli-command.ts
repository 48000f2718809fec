// How tests start the bayledger CLI as a child process: bin/bayledger.js (the bundle `npm run
// build` writes to dist/bundle/) when it is at least as new as every source file (npm test builds
// first), else the same bundle made once per test process from the sources, else the sources
// through tsx (about 0.3 s more per start than dist/, and 1-2 s more for a node with its worker
// threads). BAYLEDGER_TEST_CLI=dist|bundle|tsx forces one; BAYLEDGER_TEST_NODE_FLAGS adds Node
// flags to every child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p'.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_OUT_DIR, buildBundle } from '../../cli/build/bundle.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Inside the repository, so a bundle's bare imports (libp2p, classic-level, cbor-x) resolve. */
export const BUNDLE_DIR = path.join(REPO_ROOT, 'node_modules/.cache/bayledger-tests');

function sourceFiles(directory: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(full));
    // A declaration file (.d.ts) compiles to nothing: counted, dist/ would never be fresh (it
    // was not, from session 30 to 31: every test ran the harness's bundle instead of dist/).
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(full);
  }
  return found;
}

/**
 * True when every .ts file of src/ and cli/ has a compiled .js in dist/ at least as new, and the
 * bundle bin/bayledger.js runs (dist/bundle/start.js) is at least as new as all of them.
 */
export function distIsFresh(): boolean {
  try {
    const bundleMs = statSync(path.join(BUNDLE_OUT_DIR, 'start.js')).mtimeMs;
    for (const folder of ['src', 'cli']) {
      for (const source of sourceFiles(path.join(REPO_ROOT, folder))) {
        const sourceMs = statSync(source).mtimeMs;
        const compiled = path.join(
          REPO_ROOT,
          'dist',
          path.relative(REPO_ROOT, source).replace(/\.ts$/, '.js'),
        );
        if (statSync(compiled).mtimeMs < sourceMs || bundleMs < sourceMs) return false;
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * How tests bundle a TypeScript entry for `node` with esbuild (tsx's bundler): one ES module of
 * our sources, the packages left to node_modules.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'error',
} as const;

let bundledCli: Promise<string | undefined> | undefined;
/** distIsFresh() once per test process (a walk of every source file: about 7 ms). */
let freshDist: boolean | undefined;

/** The CLI bundled from the sources once per test process, as `npm run build` bundles it. */
async function bundleCli(): Promise<string | undefined> {
  try {
    const outdir = path.join(BUNDLE_DIR, `cli-${process.pid}`);
    await buildBundle(outdir);
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    return path.join(outdir, 'start.js');
  } catch {
    return undefined;
  }
}

/** The command line that starts the CLI (the file's head says which). */
export async function cliCommand(): Promise<string[]> {
  const node = [
    process.execPath,
    ...(process.env.BAYLEDGER_TEST_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  ];
  const forced = process.env.BAYLEDGER_TEST_CLI;
  freshDist ??= distIsFresh();
  if (forced === 'dist' || (forced === undefined && freshDist))
    return [...node, path.join(REPO_ROOT, 'bin/bayledger.js')];
  if (forced !== 'tsx') {
    bundledCli ??= bundleCli();
    const bundle = await bundledCli;
    if (bundle !== undefined) return [...node, bundle];
  }
  return [...node, '--import', 'tsx', path.join(REPO_ROOT, 'cli/start.ts')];
}
