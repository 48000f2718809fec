// The facts that make a figure comparable: which machine, which Node, when.
import { availableParallelism, cpus, totalmem } from 'node:os';
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
  };
}
