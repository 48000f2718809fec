// The rate probe's /proc readers (test/bench/lib/thread-cpu.ts): the stat line's awkward name
// field, a thread's CPU time growing with the work it does, and finding node processes by the
// config path on their command line.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { clockTicksPerSecond, nodePidsIn, parseTaskStat, threadCpuOf } from '../bench/lib/thread-cpu.js';
import { waitFor } from '../helpers/wait.js';

describe('bench thread CPU (/proc)', () => {
  it('reads minflt and utime + stime after a name holding spaces and parentheses', () => {
    // Fields 3.. of proc(5): state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt (10) = 1200,
    // cminflt, majflt, cmajflt, utime (14) = 250, stime (15) = 31, then the rest.
    const line = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 1200 0 3 0 250 31 0 0 20 0 11 0 7 0\n';
    assert.deepEqual(parseTaskStat(line), { comm: 'node (worker) 1', ticks: 281, minorFaults: 1200 });
    assert.throws(() => parseTaskStat('garbage'), /not a stat line/);
    assert.throws(() => parseTaskStat('1 (x) S 1 2'), /no minflt\/utime\/stime/);
  });

  it("counts the main thread's minor page faults as it touches new memory", () => {
    const mainFaults = (): number => threadCpuOf(process.pid).get(process.pid)!.minorFaults;
    const before = mainFaults();
    // 64 MiB outside V8's heap (malloc maps an allocation this large afresh), written page by page
    // on this thread: the first write of each page faults, 16,384 faults for 4-KiB pages and at
    // least 32 where the kernel backs the mapping with 2-MiB pages (transparent huge pages).
    const pages = 16_384;
    const memory = Buffer.allocUnsafeSlow(pages * 4096);
    for (let page = 0; page < pages; page++) memory[page * 4096] = 1;
    const grown = mainFaults() - before;
    assert.ok(grown >= 32, `${grown} minor faults counted for ${pages} new pages`);
  });

  it("counts this process's main thread CPU as it works", () => {
    const ticksPerSecond = clockTicksPerSecond();
    assert.ok(ticksPerSecond >= 1);
    const mainTicks = (): number => {
      const main = threadCpuOf(process.pid).get(process.pid);
      assert.ok(main !== undefined, 'the main thread is listed under its own id');
      return main.ticks;
    };
    // Work on this thread until its counter has grown by 0.2 s, checking after each 10 ms of
    // wall time; a counter that does not grow (a wrong field) fails at the deadline.
    const before = mainTicks();
    const deadlineMs = performance.now() + 10_000;
    let spin = 0;
    let grownSeconds = 0;
    while (grownSeconds < 0.2 && performance.now() < deadlineMs) {
      const sliceEndMs = performance.now() + 10;
      while (performance.now() < sliceEndMs) spin = (spin + 1) % 1_000_003;
      grownSeconds = (mainTicks() - before) / ticksPerSecond;
    }
    assert.ok(grownSeconds >= 0.2, `main thread counted ${grownSeconds} s in 10 s of work (${spin})`);
  });

  it('finds node processes by the DIR/ORG/node.json on their command line', async () => {
    const dir = path.join('/nonexistent-bayledger-probe', String(process.pid));
    const children: ChildProcess[] = ['acme', 'zeta'].map((org) =>
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', path.join(dir, org, 'node.json')], {
        stdio: 'ignore',
      }),
    );
    try {
      const found = await waitFor('both children listed in /proc', () => {
        const pids = nodePidsIn(dir);
        return pids.size === 2 ? pids : undefined;
      });
      assert.deepEqual(
        Object.fromEntries(found),
        Object.fromEntries([
          ['acme', children[0]!.pid],
          ['zeta', children[1]!.pid],
        ]),
      );
      assert.equal(nodePidsIn(`${dir}-other`).size, 0, 'another folder matches nothing');
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  });
});
