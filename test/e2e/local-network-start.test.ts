// startLocalNetwork (the code behind `bayledger up` and `bayledger demo`) with stand-in node
// processes instead of real nodes, so the start-up checks run in a second: a node that exits
// during start-up is reported with the lines THIS run wrote to its log, a port answered by a
// node of another network fails the start naming the organisation and the port, and in both
// cases every process that was started is stopped again.
import { strict as assert } from 'node:assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import path from 'node:path';
import { networkInit } from '../../cli/commands/network-init.js';
import { BayledgerError } from '../../src/core/errors.js';
import { loadNodeConfig } from '../../src/node/config/node-config.js';
import { expectedIdentities, startLocalNetwork } from '../../src/node/local-network.js';
import { withHugePageMalloc } from '../../src/node/malloc-tuning.js';
import { useTempDir } from '../helpers/temp-dir.js';

/** Rejects unless `promise` rejects with a BayledgerError; resolves with that error. */
async function rejection(promise: Promise<unknown>): Promise<BayledgerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BayledgerError, String(error));
    return error;
  }
  assert.fail('expected the start to fail');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The API ports of the network folder `dir`, one per organisation. */
async function apiPorts(dir: string): Promise<number[]> {
  const ports = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory())
      ports.push((await loadNodeConfig(path.join(dir, entry.name, 'node.json'))).apiPort);
  }
  return ports;
}

/** The advice after every refused port (local-network.ts PORT_ADVICE). */
const PORT_ADVICE =
  'is another network running? stop it, or create this network in a new folder with --base-port 0';

// Stand-in node: reads its node.json from `--config FILE` (the arguments startLocalNetwork adds).
const READ_CONFIG = `
const fs = require('node:fs');
const config = JSON.parse(fs.readFileSync(process.argv[process.argv.indexOf('--config') + 1], 'utf8'));
`;
/** Writes one line and exits 3 at once, like a node whose port is taken. */
const EXITS_AT_ONCE = `${READ_CONFIG}
console.error('fresh failure of ' + config.org);
process.exit(3);
`;
/** Writes the heap flags Node was started with, then exits 3. */
const REPORTS_HEAP_FLAGS = `${READ_CONFIG}
console.error(config.org + ' flags: ' + process.execArgv.filter((flag) => flag.startsWith('--initial-old')).join(' '));
process.exit(3);
`;
/**
 * Writes the glibc tunables the node was started with; a hospital's then exits 3 once every node of
 * the folder has written its line (so none is stopped before it could), the others wait.
 */
const REPORTS_MALLOC_TUNABLES = `${READ_CONFIG}
const path = require('node:path');
console.error(config.org + ' ' + config.role + ' tunables: ' + process.env.GLIBC_TUNABLES);
const dir = path.dirname(path.dirname(process.argv[process.argv.indexOf('--config') + 1]));
const orgs = fs.readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
const logged = (entry) => {
  try {
    return fs.readFileSync(path.join(dir, entry.name, 'node.log'), 'utf8').includes(' tunables: ');
  } catch {
    return false;
  }
};
setInterval(() => {
  if (config.role === 'submitter' && orgs.every(logged)) process.exit(3);
}, 20);
`;
/** Serves /status as an organisation of some other chain on this node's API port until SIGTERM. */
const ANSWERS_AS_ANOTHER_NODE = `${READ_CONFIG}
require('node:http')
  .createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ org: 'someone-else', chainId: 'other-chain', height: 0, blockHash: 'ab'.repeat(32), peers: [] }));
  })
  .listen(config.apiPort, config.apiHost);
`;

describe('startLocalNetwork start-up checks', function () {
  this.timeout(60_000);
  const temp = useTempDir('bayledger-local-network-', 'each');

  async function newNetwork(): Promise<string> {
    const dir = path.join(temp.path, 'net');
    await networkInit({ out: dir, basePort: 0, json: false, quiet: true });
    return dir;
  }

  /** How startLocalNetwork fails on `dir` with every node replaced by the stand-in `script`. */
  function startFailure(dir: string, script: string): Promise<BayledgerError> {
    return rejection(
      startLocalNetwork({ dir, command: [process.execPath, '-e', script], readyTimeoutMs: 20_000 }),
    );
  }

  it('reports a node that exits during start-up with its exit code and only this run’s log lines', async () => {
    const dir = await newNetwork();
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory())
        await writeFile(path.join(dir, entry.name, 'node.log'), 'stale error of an earlier run\n');
    }
    const error = await startFailure(dir, EXITS_AT_ONCE);
    assert.equal(error.code, 'NOT_READY');
    assert.match(
      error.message,
      /\/(\S+)\/node\.log: node \1 exited with code 3 during start-up; last log lines: fresh failure of \1$/,
    );
    assert.doesNotMatch(error.message, /earlier run/);
  });

  it('starts every node with the V8 heap flags only the command line can give (v8-tuning.ts)', async () => {
    const dir = await newNetwork();
    const error = await startFailure(dir, REPORTS_HEAP_FLAGS);
    assert.match(error.message, /last log lines: (\S+) flags: --initial-old-space-size=64$/);
  });

  it('starts the nodes that move payloads with malloc on huge pages, and the validators as they are (malloc-tuning.ts)', async () => {
    const dir = await newNetwork();
    const error = await startFailure(dir, REPORTS_MALLOC_TUNABLES);
    const withTunable = withHugePageMalloc(process.env).GLIBC_TUNABLES!;
    assert.match(withTunable, /glibc\.malloc\.hugetlb=/);
    assert.match(error.message, / submitter tunables: (\S+)$/);
    assert.ok(error.message.endsWith(` tunables: ${withTunable}`), error.message);
    // Every stand-in wrote its line before a hospital's exit stopped the network (they wait for it).
    const roles = new Map<string, string>();
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const config = await loadNodeConfig(path.join(dir, entry.name, 'node.json'));
      roles.set(config.org, config.role);
      const text = await readFile(path.join(dir, entry.name, 'node.log'), 'utf8');
      const line = text.split('\n').find((logLine) => logLine.includes(' tunables: '));
      const expected = config.role === 'validator' ? String(process.env.GLIBC_TUNABLES) : withTunable;
      assert.equal(line, `${config.org} ${config.role} tunables: ${expected}`);
    }
    assert.deepEqual([...new Set(roles.values())].sort(), ['recipient', 'submitter', 'validator']);
  });

  it('refuses a port answered by another network’s node, naming the organisation and the port, and stops its children', async () => {
    const dir = await newNetwork();
    const error = await startFailure(dir, ANSWERS_AS_ANOTHER_NODE);
    assert.equal(error.code, 'CONFLICT');
    assert.match(
      error.message,
      /^node \S+: port \d+ is answered by another node \(org someone-else, chain other-chain\): is another network running\?.*--base-port 0/,
    );
    // The stand-ins were stopped before the promise rejected: their ports are free again.
    for (const port of await apiPorts(dir)) assert.ok(await portIsFree(port), `port ${port} still taken`);
  });

  /** Servers a test holds ports with; closed after each test. */
  const held: Array<{ close(callback: () => void): unknown }> = [];
  afterEach(async () => {
    for (const server of held.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Serves `answer(url)` as JSON (undefined: 404) on `port` until the test ends. */
  async function holdWithHttp(port: number, answer: (url: string) => unknown): Promise<void> {
    const server = createHttpServer((request, response) => {
      const body = answer(request.url ?? '');
      response.statusCode = body === undefined ? 404 : 200;
      response.setHeader('content-type', 'application/json');
      response.end(body === undefined ? '{}' : JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    held.push(server);
  }

  /** startLocalNetwork's refusal before any node starts: no node.log was written anywhere. */
  async function refusedBeforeStart(dir: string): Promise<BayledgerError> {
    const error = await startFailure(dir, EXITS_AT_ONCE);
    for (const entry of await readdir(dir, { withFileTypes: true }))
      if (entry.isDirectory())
        assert.ok(!(await readdir(path.join(dir, entry.name))).includes('node.log'), 'a node was started');
    return error;
  }

  it('refuses an API port held by another program before starting anything, naming the node and the port', async () => {
    const dir = await newNetwork();
    const config = await loadNodeConfig(path.join(dir, 'hku-szh', 'node.json'));
    // An answer that is JSON but no status object (null), as any program could give.
    await holdWithHttp(config.apiPort, () => null);
    const error = await refusedBeforeStart(dir);
    assert.equal(error.code, 'CONFLICT');
    assert.equal(error.where, config.configPath);
    assert.equal(
      error.message,
      `${config.configPath}: node hku-szh: port ${config.apiPort} is in use by another program: ${PORT_ADVICE}`,
    );
  });

  it('refuses an API port whose /status claims the node but whose chain cannot be read, as held by another program', async () => {
    const dir = await newNetwork();
    const config = await loadNodeConfig(path.join(dir, 'nf-ufh', 'node.json'));
    const identity = (await expectedIdentities(dir)).get('nf-ufh')!;
    await holdWithHttp(config.apiPort, (url) =>
      url === '/status' ? { org: identity.org, chainId: identity.chainId, height: 5, peers: [] } : undefined,
    );
    const error = await refusedBeforeStart(dir);
    assert.equal(
      error.message,
      `${config.configPath}: node nf-ufh: port ${config.apiPort} is in use by another program: ${PORT_ADVICE}`,
    );
  });

  it('refuses to start a network whose node already answers on its API port', async () => {
    const dir = await newNetwork();
    const config = await loadNodeConfig(path.join(dir, 'ehealth-hk', 'node.json'));
    const identity = (await expectedIdentities(dir)).get('ehealth-hk')!;
    await holdWithHttp(config.apiPort, (url) =>
      url === '/status'
        ? {
            org: identity.org,
            chainId: identity.chainId,
            height: 0,
            blockHash: identity.genesisHash,
            peers: [],
          }
        : undefined,
    );
    const error = await refusedBeforeStart(dir);
    assert.equal(error.code, 'CONFLICT');
    assert.equal(
      error.message,
      `${config.configPath}: node ehealth-hk: port ${config.apiPort} is already answered by this network's ehealth-hk: is this network already running (another bayledger up)? stop it first`,
    );
  });

  it('refuses a peer-to-peer port held by another program before starting anything', async () => {
    const dir = await newNetwork();
    const config = await loadNodeConfig(path.join(dir, 'sz-cac', 'node.json'));
    const p2pPort = Number(/\/tcp\/(\d+)/.exec(config.p2pListen)![1]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(p2pPort, '127.0.0.1', resolve));
    held.push(server);
    const error = await refusedBeforeStart(dir);
    assert.equal(error.code, 'CONFLICT');
    assert.equal(error.where, config.configPath);
    assert.equal(
      error.message,
      `${config.configPath}: node sz-cac: port ${p2pPort} is in use (its peer-to-peer port): ${PORT_ADVICE}`,
    );
  });

  it('refuses a log level that node start would reject before starting anything', async () => {
    const dir = await newNetwork();
    const error = await rejection(
      startLocalNetwork({ dir, command: [process.execPath, '-e', EXITS_AT_ONCE], logLevel: 'loud' }),
    );
    assert.equal(error.code, 'USAGE');
    assert.match(error.message, /--log-level loud: use one of debug, info, warn, error, silent/);
    for (const entry of await readdir(dir, { withFileTypes: true }))
      if (entry.isDirectory())
        assert.ok(!(await readdir(path.join(dir, entry.name))).includes('node.log'), 'a node was started');
  });
});
