// A node of a local network that exits on its own while a command waits on that network (`up`
// waiting for Ctrl-C, `demo` playing its scenario): the command must fail naming the node, how it
// ended and its log, whichever comes first of the node's exit and the failure it causes. Checked
// with promises standing for the work and the exit, without processes.
import { strict as assert } from 'node:assert';
import '../../src/polyfill.js';
import { untilNodeExits } from '../../cli/commands/up-run.js';
import { isBayledgerError } from '../../src/core/errors.js';
import {
  type LocalNetwork,
  type LocalNodeExit,
  nodeExitError,
  raceNodeExit,
} from '../../src/node/local-network.js';

const EXIT: LocalNodeExit = {
  org: 'hku-szh',
  code: null,
  signal: 'SIGKILL',
  log: '/net/hku-szh/node.log',
  lastLogLines: 'a | b',
};

const NEVER = new Promise<never>(() => {});

function assertNodeExitError(error: unknown, when: string): true {
  assert.ok(isBayledgerError(error, 'NOT_READY'), String(error));
  assert.equal(error.where, EXIT.log);
  assert.equal(
    error.message,
    `/net/hku-szh/node.log: node hku-szh exited on SIGKILL ${when}; last log lines: a | b`,
  );
  return true;
}

describe('a node that exits while a command waits on its network', () => {
  it('nodeExitError names the node, its exit code or signal, its last log lines and its log', () => {
    assertNodeExitError(nodeExitError(EXIT, 'during the demo'), 'during the demo');
    const coded = nodeExitError({ ...EXIT, code: 3, signal: null, lastLogLines: '' }, 'during start-up');
    assert.equal(
      coded.message,
      '/net/hku-szh/node.log: node hku-szh exited with code 3 during start-up; its log is empty',
    );
  });

  describe('raceNodeExit', () => {
    it('gives the work value when the work ends first', async () => {
      assert.deepEqual(await raceNodeExit(NEVER, Promise.resolve(7)), { value: 7 });
    });

    it('gives the exit when a node exits before the work ends', async () => {
      assert.deepEqual(await raceNodeExit(Promise.resolve(EXIT), NEVER), { exit: EXIT });
    });

    it('gives the exit when the work fails and the exit is reported within the grace time', async () => {
      // The usual order: the step's request is refused before the child's exit is reported.
      const exit = Promise.withResolvers<LocalNodeExit>();
      const work = Promise.reject(new Error('fetch failed'));
      const raced = raceNodeExit(exit.promise, work, 10_000);
      await work.catch(() => {});
      exit.resolve(EXIT);
      assert.deepEqual(await raced, { exit: EXIT });
    });

    it("rethrows the work's own error when no node exits within the grace time", async () => {
      const failure = new Error('demo: status is "rejected"');
      await assert.rejects(raceNodeExit(NEVER, Promise.reject(failure), 5), (error) => error === failure);
    });
  });

  describe('untilNodeExits (up and demo)', () => {
    function fakeNetwork(nodeExit: Promise<LocalNodeExit>): LocalNetwork & { stops: number } {
      const network = {
        nodes: [],
        nodeExit,
        stops: 0,
        stop: async () => {
          network.stops += 1;
        },
      };
      return network;
    }

    it('says which node exited, stops the network and fails naming the node and its log', async () => {
      const network = fakeNetwork(Promise.resolve(EXIT));
      const said: string[] = [];
      await assert.rejects(
        untilNodeExits(network, NEVER, 'during the demo', (text) => said.push(text)),
        (error) => assertNodeExitError(error, 'during the demo'),
      );
      assert.deepEqual(said, ['node hku-szh exited: stopping the network\n']);
      assert.equal(network.stops, 1);
    });

    it('returns the work value and leaves the network running when no node exits', async () => {
      const network = fakeNetwork(NEVER);
      const said: string[] = [];
      assert.equal(
        await untilNodeExits(network, Promise.resolve('summary'), 'x', (t) => said.push(t)),
        'summary',
      );
      assert.deepEqual(said, []);
      assert.equal(network.stops, 0);
    });
  });
});
