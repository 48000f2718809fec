// The test harness's esbuild bundle of the CLI (test/helpers/cli-command.ts, used when dist/ is
// stale) must carry every module the node starts as a worker thread or process: inside a bundle
// they are looked up beside it by name, and a missing one fails, or for a payload's sealing and
// item writing falls back to the main thread without a word.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, WORKER_ENTRIES } from '../helpers/cli-command.js';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe("the test harness's CLI bundle", () => {
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
