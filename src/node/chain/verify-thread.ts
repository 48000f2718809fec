// Worker thread entry of chain verify (verify-sources.ts): runs one verification, of a data
// directory or an export file, with the young generation its creator sized for it, and posts
// progress, then the report or the error, to the creating thread.
import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../core/errors.js';
import { runVerifyRequest, type VerifyThreadMessage, type VerifyThreadRequest } from './verify-sources.js';

const port = parentPort;
assert(port !== null, 'verify-thread runs only as a worker thread');

await runVerifyRequest(workerData as VerifyThreadRequest, (message: VerifyThreadMessage) =>
  port.postMessage(message),
);
