// glibc's malloc backs its memory with transparent huge pages in the processes that move payloads
// or verify a big chain (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc 2.35 and later; other C
// libraries ignore the variable): hospital (submitter) and recipient nodes, and chain verify's own
// process (verify-sources.ts). Malloc reads the variable once, when the process starts, so it is
// set where those processes are started: `bayledger up` and the tests' networks
// (local-network.ts, test/helpers/network.ts), and by an operator for a hospital's or the
// recipient's service (README "Running a node"; such a node started without it says so).
//
// Why: on the virtual machines this project runs on, the first touch of a 4 KiB page costs 11-13 us
// (KVM with free page reporting: memory the guest freed is handed back to the host, so reusing it
// faults on both sides), against 0.25 us per 4 KiB when the kernel maps 2 MiB at a time (a C loop
// touching 1 GiB, 2026-11-30). Node's Buffers and node:crypto's outputs are malloc'd, and glibc
// hands large freed blocks back to the kernel, so a node moving a payload touched fresh pages for
// much of what it allocated: an AES-256-GCM loop over 1 MiB chunks ran at 325-540 MiB/s without
// the tunable and 2,000-3,300 with it; in five alternating pairs of the payload benchmark the
// hospital's CPU for the upload fell from 2.72 to 2.12 s (medians), the platform's for the delivery
// from 3.59 to 3.36 s, and the transfer ran at 98.9 MB/s instead of 89.9 (docs/ARCHITECTURE.md
// decision 69). Validators are left out: V8's heap is not malloc'd, their CPU did not move, and
// with the tunable the finality benchmark's p99 at 20% of saturation came out higher in each of
// five alternating pairs (by 19-61 ms), where a fault now takes a whole 2 MiB page at once.

import type { OrganisationRole } from '../core/config/genesis.js';

/** The glibc tunable that asks malloc for transparent huge pages. */
export const HUGE_PAGE_MALLOC_TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether `tunables` (a GLIBC_TUNABLES value) already says anything about huge pages. */
function choosesHugePages(tunables: string | undefined): boolean {
  return tunables?.includes('glibc.malloc.hugetlb') === true;
}

/** Whether a node of this role moves payloads (and so runs with the tunable): hospitals, the recipient. */
export function rolePaysForHugePages(role: OrganisationRole): boolean {
  return role !== 'validator';
}

/**
 * `env` with GLIBC_TUNABLES asking for huge pages, for a process about to be started; a value the
 * caller already chose (`glibc.malloc.hugetlb=0` included) is kept, and other tunables stay.
 */
export function withHugePageMalloc(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES;
  if (choosesHugePages(tunables)) return env;
  return {
    ...env,
    GLIBC_TUNABLES:
      tunables === undefined || tunables === ''
        ? HUGE_PAGE_MALLOC_TUNABLE
        : `${tunables}:${HUGE_PAGE_MALLOC_TUNABLE}`,
  };
}

/**
 * The environment to start a node of `role` with: `env` plus the tunable for the roles that move
 * payloads, `env` as it is for validators. Every place that starts node processes asks this.
 */
export function nodeProcessEnv(
  role: OrganisationRole,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  return rolePaysForHugePages(role) ? withHugePageMalloc(env) : env;
}

/**
 * Whether this process runs on glibc without any huge-page choice in its environment: a hospital
 * or recipient node then logs a warning, as any node does for missing V8 heap flags.
 */
export function hugePageMallocMissing(
  env: NodeJS.ProcessEnv = process.env,
  glibcVersion: string | null = runtimeGlibcVersion(),
): boolean {
  return glibcVersion !== null && !choosesHugePages(env.GLIBC_TUNABLES);
}

/** The glibc version this process runs on, or null on another C library or system. */
function runtimeGlibcVersion(): string | null {
  if (process.platform !== 'linux') return null;
  const header = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
  return header?.glibcVersionRuntime ?? null;
}
