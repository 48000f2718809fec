// The build's second step (`npm run build`: tsc, then `node dist/cli/build/bundle.js`): the CLI and
// the modules it starts as worker threads or processes, bundled by esbuild (a devDependency, like
// tsc) into dist/bundle/, which bin/bayledger.js runs. Not part of the command itself.
//
// Why a bundle (ARCHITECTURE decision 65): a node process spent 640-670 ms importing its modules
// from dist/ (libp2p alone is hundreds of small files, each resolved and read), 237-239 ms from
// the bundle, measured on this machine. Code splitting keeps one-shot commands (`--version`,
// `keys`, `chain status`) from parsing what only `node start` needs: commander's lazy actions
// become chunks loaded on use. Source maps are written beside each chunk and read only with
// BAYLEDGER_DEBUG=1 (cli/start.ts), since parsing them costs a node start about 80 ms.
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { PACKAGE_ROOT } from '../package-info.js';

/** Where `npm run build` writes the bundle that bin/bayledger.js runs. */
export const BUNDLE_OUT_DIR = path.join(PACKAGE_ROOT, 'dist', 'bundle');

/**
 * Worker threads and processes start from a module next to their caller (startModuleWorker
 * resolves './name' against import.meta.url), which inside the bundle is a chunk in the bundle's
 * folder: each is an entry of its own under the name its caller asks for, or `chain verify` fails
 * to find its process (and a payload's sealing and item writing fall back to the main thread,
 * unseen). test/unit/cli-bundle.test.ts holds this list equal to what src/ starts.
 */
export const WORKER_ENTRIES: Readonly<Record<string, string>> = {
  'verify-thread': 'src/node/chain/verify-thread.ts',
  'verify-worker': 'src/node/verify-pool/verify-worker.ts',
  'item-write-worker': 'src/node/transfer/item-write-worker.ts',
  'seal-worker': 'src/node/transfer/seal-worker.ts',
};

/** The command's entry (polyfill, V8 flags, then the CLI). */
const START_ENTRY = 'cli/start.ts';

/**
 * Packages left to node_modules: the native addons (their loaders find the compiled .node file
 * beside their own JavaScript), and cbor-x, whose optional native extension is loaded the same way.
 */
export const EXTERNAL_PACKAGES: readonly string[] = ['classic-level', 'sodium-native', 'cbor-x'];

/**
 * Bundled CommonJS code calls `require` for Node's built-ins; an ES module has none, so each
 * chunk gets one made for its own URL.
 */
const REQUIRE_BANNER =
  "import { createRequire as bayledgerCreateRequire } from 'node:module'; const require = bayledgerCreateRequire(import.meta.url);";

/** esbuild's options for the bundle, every one that matters to how it runs spelt out. */
function bundleOptions(outdir: string): BuildOptions {
  const entryPoints: Record<string, string> = { start: path.join(PACKAGE_ROOT, START_ENTRY) };
  for (const [name, source] of Object.entries(WORKER_ENTRIES))
    entryPoints[name] = path.join(PACKAGE_ROOT, source);
  return {
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_BANNER },
    sourcemap: true,
    // Class and function names stay as written: logs and error messages print some of them.
    keepNames: true,
    minify: false,
    logLevel: 'warning',
  };
}

/** Bundles into `outdir`, first removing what an earlier build left there (chunk names change). */
export async function buildBundle(outdir: string): Promise<void> {
  const esbuild = await import('esbuild');
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build(bundleOptions(outdir));
  // The chunks are ES modules wherever the folder is (the test harness builds one in node_modules,
  // where no package.json above says so).
  await writeFile(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
  const written = await readdir(outdir);
  for (const name of ['start', ...Object.keys(WORKER_ENTRIES)]) {
    if (!written.includes(`${name}.js`)) throw new Error(`the bundle lacks ${name}.js in ${outdir}`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildBundle(BUNDLE_OUT_DIR);
}
