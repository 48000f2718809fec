// The machine's ceiling (issue 7, benchmark 1): how fast this machine verifies Ed25519 signatures
// with our `verifySignature` on one core and on every core, hashes leaf-sized inputs with our
// `sha256`, and encodes and decodes a record with our canonical codec. Other benchmarks report
// their figures as ratios to these, measured in the same run.
import type { Worker } from 'node:worker_threads';
import { encodeCanonical } from '../../../src/core/codec/index.js';
import { startModuleWorker } from '../../../src/node/verify-pool/worker-script.js';
import type { Ceiling } from '../types.js';
import type { LoopMessage, LoopSettings } from '../workers/operation-loop.js';
import { LEAF_BYTES, sampleRecord } from './fixtures.js';
import { measureRate, median } from './measure.js';
import { type Operation, operationChunk } from './operation-chunks.js';

export interface CeilingSettings {
  readonly cores: number;
  readonly sampleMs: number;
  readonly samples: number;
  readonly log: (line: string) => void;
}

function oneCoreRate(operation: Operation, settings: CeilingSettings): number {
  return median(measureRate(operationChunk(operation), settings.sampleMs, settings.samples));
}

function nextMessage(worker: Worker): Promise<LoopMessage> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    worker.once('error', onError);
    worker.once('message', (message: LoopMessage) => {
      worker.off('error', onError);
      resolve(message);
    });
  });
}

/** One worker per core runs the same chunk at the same time; per-sample rates are summed. */
async function allCoresRate(operation: Operation, settings: CeilingSettings): Promise<number> {
  const loopSettings: LoopSettings = { operation, sampleMs: settings.sampleMs, samples: settings.samples };
  const workers = Array.from({ length: settings.cores }, () =>
    startModuleWorker(import.meta.url, '../workers/operation-loop', { workerData: loopSettings }),
  );
  try {
    await Promise.all(workers.map(nextMessage)); // every worker has built its inputs
    const reports = workers.map(nextMessage);
    for (const worker of workers) worker.postMessage('go');
    const perWorker = await Promise.all(reports);
    const summed = Array.from({ length: settings.samples }, (_, sample) =>
      perWorker.reduce((sum, report) => sum + (report.kind === 'rates' ? report.rates[sample]! : 0), 0),
    );
    return median(summed);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

export async function measureCeiling(settings: CeilingSettings): Promise<Ceiling> {
  settings.log(`ceiling: Ed25519 verify on 1 core and on ${settings.cores} cores`);
  const verifyOneCorePerSecond = oneCoreRate('verify', settings);
  const verifyAllCoresPerSecond = await allCoresRate('verify', settings);
  settings.log('ceiling: SHA-256 of leaf-sized inputs');
  const sha256LeafOneCorePerSecond = oneCoreRate('sha256', settings);
  const sha256LeafAllCoresPerSecond = await allCoresRate('sha256', settings);
  settings.log('ceiling: canonical CBOR encode and decode');
  return {
    cores: settings.cores,
    verifyOneCorePerSecond,
    verifyAllCoresPerSecond,
    sha256LeafOneCorePerSecond,
    sha256LeafAllCoresPerSecond,
    leafBytes: LEAF_BYTES,
    encodeRecordPerSecond: oneCoreRate('encode', settings),
    decodeRecordPerSecond: oneCoreRate('decode', settings),
    recordBytes: encodeCanonical(sampleRecord(1)).byteLength,
  };
}
