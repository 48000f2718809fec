// Malloc on transparent huge pages for the node processes that move payloads
// (src/node/malloc-tuning.ts): the tunable yields to a choice already made, the node names its
// absence, and a process started with it does get huge pages where the kernel grants them on request.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  HUGE_PAGE_MALLOC_TUNABLE,
  hugePageMallocMissing,
  nodeProcessEnv,
  rolePaysForHugePages,
  withHugePageMalloc,
} from '../../src/node/malloc-tuning.js';

/** Allocates and touches 64 MiB through malloc (a Buffer), then prints its anonymous huge pages. */
const REPORTS_HUGE_PAGES = `
const buffer = Buffer.alloc(64 << 20);
for (let offset = 0; offset < buffer.length; offset += 4096) buffer[offset] = 1;
const rollup = require('node:fs').readFileSync('/proc/self/smaps_rollup', 'utf8');
console.log(/AnonHugePages:\\s+(\\d+) kB/.exec(rollup)[1]);
`;

/** Kilobytes of anonymous huge pages a child started with `env` has after REPORTS_HUGE_PAGES. */
function childHugePagesKb(env: NodeJS.ProcessEnv): number {
  const child = spawnSync(process.execPath, ['-e', REPORTS_HUGE_PAGES], { env, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  return Number(child.stdout.trim());
}

/** The kernel's transparent huge page mode: always, madvise or never (undefined off Linux). */
function transparentHugePageMode(): string | undefined {
  try {
    const setting = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
    return /\[(\w+)\]/.exec(setting)?.[1];
  } catch {
    return undefined;
  }
}

/** Whether this process runs on glibc 2.35 or later, the first to read the tunable. */
function glibcReadsTheTunable(): boolean {
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  const [major, minor] = (header?.glibcVersionRuntime ?? '0.0').split('.').map(Number);
  return major! > 2 || (major === 2 && minor! >= 35);
}

describe('malloc on huge pages for node processes', () => {
  it('adds the tunable to an environment, keeping every other variable and tunable', () => {
    assert.equal(HUGE_PAGE_MALLOC_TUNABLE, 'glibc.malloc.hugetlb=1');
    assert.deepEqual(withHugePageMalloc({ PATH: '/bin' }), {
      PATH: '/bin',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
    });
    assert.equal(withHugePageMalloc({ GLIBC_TUNABLES: '' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=1');
    assert.equal(
      withHugePageMalloc({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES,
      'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
    );
  });

  it("keeps a caller's own huge-page choice, off included", () => {
    const off = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' };
    assert.equal(withHugePageMalloc(off), off);
    const explicit = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' };
    assert.equal(withHugePageMalloc(explicit), explicit);
  });

  it('is for the nodes that move payloads, not for validators', () => {
    assert.equal(rolePaysForHugePages('submitter'), true);
    assert.equal(rolePaysForHugePages('recipient'), true);
    assert.equal(rolePaysForHugePages('validator'), false);
    const env = { PATH: '/bin' };
    assert.equal(nodeProcessEnv('validator', env), env, "a validator's environment is left as it is");
    assert.deepEqual(nodeProcessEnv('recipient', env), {
      PATH: '/bin',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
    });
    assert.deepEqual(nodeProcessEnv('submitter', env), withHugePageMalloc(env));
  });

  it('names its absence on glibc only, and not once any choice is made', () => {
    assert.equal(hugePageMallocMissing({}, '2.36'), true);
    assert.equal(hugePageMallocMissing({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, '2.36'), true);
    assert.equal(hugePageMallocMissing({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, '2.36'), false);
    assert.equal(hugePageMallocMissing({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, '2.36'), false);
    assert.equal(hugePageMallocMissing({}, null), false, 'another C library ignores the variable');
  });

  it('gives a process started with it huge pages where the kernel grants them on request', function () {
    // Up to a minute on a loaded machine: two Node processes each touch 64 MiB of fresh memory.
    this.timeout(60_000);
    const { GLIBC_TUNABLES: _ignored, ...plain } = process.env;
    const withTunable = childHugePagesKb(withHugePageMalloc(plain));
    const without = childHugePagesKb(plain);
    const mode = transparentHugePageMode();
    if (mode === 'madvise' && glibcReadsTheTunable()) {
      // The case this setting exists for (this project's machines): malloc asks, the kernel grants.
      assert.ok(withTunable >= 32 * 1024, `with the tunable: ${withTunable} kB of huge pages`);
      assert.equal(without, 0);
    } else if (mode === 'always') {
      assert.ok(withTunable > 0 && without > 0, `always: ${withTunable} / ${without} kB`);
    } else {
      // Huge pages off, or a C library that ignores the variable: the tunable changes nothing.
      assert.equal(withTunable, without);
    }
  });
});
