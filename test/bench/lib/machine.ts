// The facts that make a figure comparable: which machine, which Node, when.
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import type { MachineFacts } from '../types.js';

export function machineFacts(startedAt: Date): MachineFacts {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    availableParallelism: availableParallelism(),
    memoryBytes: totalmem(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
    date: startedAt.toISOString(),
    glibcTunables: process.env.GLIBC_TUNABLES ?? null,
    loadAverage: roundedLoadAverage(),
  };
}

export function roundedLoadAverage(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}

/** A warning line when other work is competing for the cores, or undefined. */
export function loadWarning(loadAverage: readonly number[], cores: number): string | undefined {
  const lastMinute = loadAverage[0] ?? 0;
  if (lastMinute <= cores) return undefined;
  return `load average ${lastMinute} exceeds ${cores} cores: other work competes, figures are unreliable`;
}
