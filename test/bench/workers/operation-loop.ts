// One worker of the all-cores ceiling: builds its inputs, reports ready, waits for the common start
// signal (so every core runs at once), measures its rate and reports it.
import { parentPort, workerData } from 'node:worker_threads';
import { measureRate } from '../lib/measure.js';
import { type Operation, operationChunk } from '../lib/operation-chunks.js';

export interface LoopSettings {
  readonly operation: Operation;
  readonly sampleMs: number;
  readonly samples: number;
}

export type LoopMessage = { readonly kind: 'ready' } | { readonly kind: 'rates'; readonly rates: number[] };

const port = parentPort;
if (port === null) throw new Error('operation-loop runs only as a worker thread');
const settings = workerData as LoopSettings;
const chunk = operationChunk(settings.operation);

port.once('message', () => {
  const message: LoopMessage = {
    kind: 'rates',
    rates: measureRate(chunk, settings.sampleMs, settings.samples),
  };
  port.postMessage(message);
});
const ready: LoopMessage = { kind: 'ready' };
port.postMessage(ready);
