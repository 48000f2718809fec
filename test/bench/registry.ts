// Every benchmark `npm run bench` runs, in order. To add one: write benchmarks/<name>.ts exporting a
// `Benchmark` (see types.ts and README.md) and add it here. Register only benchmarks that run.
import { chainVerify } from './benchmarks/chain-verify.js';
import { cryptoCeiling } from './benchmarks/crypto-ceiling.js';
import { finality } from './benchmarks/finality.js';
import { memoryStartup } from './benchmarks/memory-startup.js';
import { payload } from './benchmarks/payload.js';
import { proofs } from './benchmarks/proofs.js';
import { throughput } from './benchmarks/throughput.js';
import { verifyPool } from './benchmarks/verify-pool.js';
import type { Benchmark } from './types.js';

export const BENCHMARKS: readonly Benchmark[] = [
  cryptoCeiling,
  verifyPool,
  throughput,
  finality,
  payload,
  chainVerify,
  proofs,
  memoryStartup,
];
