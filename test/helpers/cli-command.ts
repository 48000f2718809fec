// How tests start the bayledger CLI as a child process: the compiled dist/ when it is at least as
// new as every source file (npm test builds first), else an esbuild bundle of the sources made
// once per test process, else the sources through tsx (about 0.3 s more per start than dist/, and
// 1-2 s more for a node with its worker threads). BAYLEDGER_TEST_CLI=dist|bundle|tsx forces one;
// BAYLEDGER_TEST_NODE_FLAGS adds Node flags to every child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p'.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Inside the repository, so a bundle's bare imports (libp2p, classic-level, cbor-x) resolve. */
export const BUNDLE_DIR = path.join(REPO_ROOT, 'node_modules/.cache/bayledger-tests');

function sourceFiles(directory: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) found.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts')) found.push(full);
  }
  return found;
}

/** True when every .ts file of src/ and cli/ has a compiled .js in dist/ at least as new. */
export function distIsFresh(): boolean {
  try {
    for (const folder of ['src', 'cli']) {
      for (const source of sourceFiles(path.join(REPO_ROOT, folder))) {
        const compiled = path.join(
          REPO_ROOT,
          'dist',
          path.relative(REPO_ROOT, source).replace(/\.ts$/, '.js'),
        );
        if (statSync(compiled).mtimeMs < statSync(source).mtimeMs) return false;
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

/**
 * Worker threads start from a module next to their caller (startModuleWorker resolves it against
 * import.meta.url), which inside a bundle is the bundle's own folder: these are bundled beside the
 * CLI under the names their callers ask for, or `chain verify` fails to find its thread (and a
 * payload's sealing and item writing fall back to the main thread, unseen).
 */
export const WORKER_ENTRIES: Readonly<Record<string, string>> = {
  'verify-thread': 'src/node/chain/verify-thread.ts',
  'verify-worker': 'src/node/verify-pool/verify-worker.ts',
  'item-write-worker': 'src/node/transfer/item-write-worker.ts',
  'seal-worker': 'src/node/transfer/seal-worker.ts',
};

/** cli/main.ts (and the worker modules) bundled once per test process with esbuild (tsx's bundler). */
async function bundleCli(): Promise<string | undefined> {
  try {
    const esbuild = await import('esbuild');
    const outdir = path.join(BUNDLE_DIR, `cli-${process.pid}`);
    await mkdir(outdir, { recursive: true });
    // Inside node_modules no package.json says "module": this one makes the .js files ES modules.
    await writeFile(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
    const entryPoints: Record<string, string> = { main: path.join(REPO_ROOT, 'cli/main.ts') };
    for (const [name, source] of Object.entries(WORKER_ENTRIES))
      entryPoints[name] = path.join(REPO_ROOT, source);
    await esbuild.build({ ...BUNDLE_OPTIONS, entryPoints, outdir });
    process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
    return path.join(outdir, 'main.js');
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
  return [...node, '--import', 'tsx', path.join(REPO_ROOT, 'cli/main.ts')];
}
