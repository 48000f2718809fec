// `bayledger node start`'s own decisions (cli/commands/node-start.ts): the first stop signal stops
// the node, a second ends the process at once; so does the end of standard input when asked; a log level it does not know is a usage error
// before anything is read. Starting and stopping a real node is node-up's and node.test's.
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { inputEnd, nodeStart, stopSignal } from '../../cli/commands/node-start.js';
import { createLogger } from '../../src/node/log/logger.js';
import { rejectsWith } from '../helpers/rejects.js';

describe('CLI: node start', () => {
  it('stops on the first SIGINT or SIGTERM, and ends the process at once on a second', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', sink: (line) => lines.push(line) });
    const exits: number[] = [];
    const signals = new EventEmitter();
    const source = { on: signals.on.bind(signals), exit: (code: number) => exits.push(code) };
    const stopped = stopSignal(logger, source);
    signals.emit('SIGTERM', 'SIGTERM');
    assert.equal(await stopped, 'SIGTERM');
    assert.deepEqual([exits, lines], [[], []]);
    signals.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [1]);
    assert.equal(lines.length, 1);
    assert.deepEqual(
      [JSON.parse(lines[0]!).msg, JSON.parse(lines[0]!).signal],
      ['second signal: stopping at once', 'SIGINT'],
    );
  });

  it('takes the end of its input, not what arrives on it, as the stop (--stop-on-stdin-end)', async () => {
    const input = new PassThrough();
    let ended: string | undefined;
    const stop = inputEnd(input).then((reason) => {
      ended = reason;
      return reason;
    });
    input.write('anything the other end sends is dropped\n');
    await nextTurn();
    await nextTurn();
    assert.equal(ended, undefined);
    // Reading drops what arrives, so a writer cannot fill the pipe and block.
    assert.equal(input.readableLength, 0);
    input.end();
    assert.equal(await stop, 'stdin-end');
  });

  it('takes a failing input as ended: its other end is as gone', async () => {
    const input = new PassThrough();
    const ended = inputEnd(input);
    input.destroy(new Error('EPIPE'));
    assert.equal(await ended, 'stdin-end');
  });

  it('refuses a log level it does not know before reading the config', async () => {
    await rejectsWith(
      nodeStart({ config: '/nonexistent/node.json', logLevel: 'loud' }),
      'USAGE',
      '--log-level loud: use debug, info, warn, error or silent',
    );
  });
});
