// Entry of chain verify's own process (verify-sources.ts forks it): receives one request over the
// IPC channel, runs the verification (of a data directory or an export file), posts progress, then
// the report or the error, and disconnects once that last message is written, so the process ends.
// If the parent goes away first (its channel closes), there is nobody to report to: it exits.
//
// The file keeps the name it had when this ran as a worker thread, because the test helper that
// bundles the CLI (test/helpers/network.ts) places the module under that name beside the bundle.
import { assert } from '../../core/errors.js';
import { runVerifyRequest, type VerifyThreadMessage, type VerifyThreadRequest } from './verify-sources.js';

const send = process.send?.bind(process);
assert(send !== undefined, 'verify-thread runs only as a child process with an IPC channel');

process.once('disconnect', () => process.exit());
process.once('message', (request: VerifyThreadRequest) => {
  void runVerifyRequest(request, (message: VerifyThreadMessage) => {
    const last = message.kind !== 'progress';
    send(message, undefined, undefined, last ? () => process.disconnect() : undefined);
  });
});
