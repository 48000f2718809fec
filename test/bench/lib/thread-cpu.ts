// CPU time of every thread of a process, from Linux's /proc (proc(5): /proc/PID/task/TID/stat).
// The rate probe (test/bench/probe.ts) reads it before and after a measured window to say where
// a network's CPU goes: which node, main thread or not. Linux only; elsewhere the reads fail.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadCpu {
  /** The thread's name (`comm`). Node's own threads are mostly all called "node". */
  readonly comm: string;
  /** User plus system time, in clock ticks (see clockTicksPerSecond). */
  readonly ticks: number;
  /**
   * Minor page faults: pages the thread touched for the first time since the kernel gave them
   * (or took them back), each zeroed or mapped by the kernel on the thread's time.
   */
  readonly minorFaults: number;
}

/**
 * One /proc/PID/task/TID/stat line: the name sits between the first "(" and the LAST ")" (a name
 * may itself hold parentheses and spaces); after it come field 3 (state) onwards, of which minflt
 * is field 10 and utime and stime are fields 14 and 15 (proc(5)).
 */
export function parseTaskStat(text: string): ThreadCpu {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a stat line: ${text.slice(0, 80)}`);
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const minorFaults = Number(fields[10 - 3]);
  const userTicks = Number(fields[14 - 3]);
  const systemTicks = Number(fields[15 - 3]);
  if (![minorFaults, userTicks, systemTicks].every(Number.isSafeInteger)) {
    throw new Error(`no minflt/utime/stime in stat line: ${text.slice(0, 80)}`);
  }
  return { comm: text.slice(open + 1, close), ticks: userTicks + systemTicks, minorFaults };
}

/** Every thread of `pid` by thread id; a thread that ends while being read is left out. */
export function threadCpuOf(pid: number): Map<number, ThreadCpu> {
  const threads = new Map<number, ThreadCpu>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), parseTaskStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return threads;
}

/** The kernel's USER_HZ (`getconf CLK_TCK`); 100 where getconf cannot answer (Linux's usual). */
export function clockTicksPerSecond(): number {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return Number.isSafeInteger(ticks) && ticks > 0 ? ticks : 100;
}

/**
 * The processes started with a `DIR/ORG/node.json` argument (how local-network.ts starts each
 * node), by organisation: found by their command lines, since the network keeps its children to
 * itself.
 */
export function nodePidsIn(dir: string): Map<string, number> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const pids = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    const config = argv.find((argument) => argument.startsWith(prefix) && argument.endsWith('/node.json'));
    const org = config?.slice(prefix.length, -'/node.json'.length);
    if (org !== undefined && org !== '' && !org.includes('/')) pids.set(org, Number(entry));
  }
  return pids;
}
