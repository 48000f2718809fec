// Starts a worker thread, or a child process, on a module that sits next to the caller, from
// compiled JavaScript in production (dist/) and from TypeScript under tsx in tests.
//
// Under tsx the caller's own URL ends in .ts. On Node 20, `execArgv: ['--import', 'tsx']` does not
// reach the worker's entry module (it fails with ERR_UNKNOWN_FILE_EXTENSION), so the worker starts
// from a two-line bootstrap that registers tsx's loader first and then imports the .ts module. A
// child process takes tsx's loader with --import, named by its file URL so that it resolves
// whatever the child's working directory.
import { type ChildProcess, type ForkOptions, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * @param callerUrl `import.meta.url` of the module asking
 * @param relativePath the worker module relative to the caller, without extension ('./verify-worker')
 */
export function startModuleWorker(
  callerUrl: string,
  relativePath: string,
  options: WorkerOptions = {},
): Worker {
  const { fromTypeScript, scriptUrl } = moduleNextTo(callerUrl, relativePath);
  if (!fromTypeScript) return new Worker(scriptUrl, options);
  const bootstrap = [
    `import(${JSON.stringify(tsxEsmApiUrl(callerUrl))})`,
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(scriptUrl.href)}); });`,
  ].join('');
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * Forks a Node process on the module `relativePath` (without extension) next to the caller, with an
 * IPC channel; `options.execArgv` is added to what the module needs to load (tsx's loader for a
 * .ts caller) instead of the parent's own flags.
 */
export function startModuleProcess(
  callerUrl: string,
  relativePath: string,
  options: ForkOptions = {},
): ChildProcess {
  const { fromTypeScript, scriptUrl } = moduleNextTo(callerUrl, relativePath);
  const loader = fromTypeScript ? ['--import', tsxLoaderUrl(callerUrl)] : [];
  return fork(fileURLToPath(scriptUrl), [], {
    ...options,
    execArgv: [...loader, ...(options.execArgv ?? [])],
  });
}

/** The module `relativePath` beside the caller: .ts under tsx (the caller is .ts), .js from dist/. */
function moduleNextTo(callerUrl: string, relativePath: string): { fromTypeScript: boolean; scriptUrl: URL } {
  const fromTypeScript = callerUrl.endsWith('.ts');
  return {
    fromTypeScript,
    scriptUrl: new URL(`${relativePath}${fromTypeScript ? '.ts' : '.js'}`, callerUrl),
  };
}

interface TsxPackage {
  readonly exports: {
    readonly '.': string;
    readonly './esm/api': { readonly import: { readonly default: string } };
  };
}

/** URL of tsx's loader module (what `--import tsx` loads), from tsx's own export map. */
function tsxLoaderUrl(callerUrl: string): string {
  return tsxExportUrl(callerUrl, (exports) => exports['.']);
}

/**
 * URL of tsx's ESM API module (its `register()` installs the TypeScript loader in this thread).
 * Mocha may load our modules as CommonJS, where tsx offers no `import.meta.resolve`, and tsx's
 * CommonJS build of the API fails to register from a worker; so read the ESM entry from tsx's
 * own export map.
 */
function tsxEsmApiUrl(callerUrl: string): string {
  return tsxExportUrl(callerUrl, (exports) => exports['./esm/api'].import.default);
}

/** URL of one file of tsx's export map, resolved from the caller's node_modules. */
function tsxExportUrl(callerUrl: string, pick: (exports: TsxPackage['exports']) => string): string {
  const require = createRequire(callerUrl);
  const packageJsonPath = require.resolve('tsx/package.json');
  const tsxPackage = require(packageJsonPath) as TsxPackage;
  return new URL(pick(tsxPackage.exports), pathToFileURL(packageJsonPath)).href;
}
