// The network the demo uses (cli/commands/demo-network.ts, listedNetworkIsLive): the one its
// folder's nodes.json lists when every node answers as this folder's node, a new one when none
// answers; refused when only some do or when a listed port is answered by another network. The
// nodes are stand-ins that answer /status as a node at height 0 would; the real network behind a
// live nodes.json is up-conflicts.test's.

import { strict as assert } from 'node:assert';
import path from 'node:path';
import { listedNetworkIsLive } from '../../cli/commands/demo-network.js';
import { networkInit } from '../../cli/commands/network-init.js';
import type { NodesJsonEntry } from '../../cli/commands/transfer-api.js';
import { type ExpectedIdentity, expectedIdentities } from '../../src/node/local-network.js';
import { rejectsWith } from '../helpers/rejects.js';
import { type StandInNode, standInNode } from '../helpers/stand-in-node.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('CLI: demo, the network nodes.json lists', function () {
  this.timeout(30_000);
  const temp = useTempDir('bayledger-demo-listed-');
  const running: StandInNode[] = [];
  let dir: string;
  let identities: Map<string, ExpectedIdentity>;
  let silentApi: string;

  before(async () => {
    dir = path.join(temp.path, 'net');
    await networkInit({ out: dir, basePort: 0, json: false, quiet: true });
    identities = await expectedIdentities(dir);
    // A port that nothing answers on: a stand-in's, once it is closed.
    const closed = await standInNode({});
    silentApi = closed.url;
    await closed.close();
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((node) => node.close()));
  });

  /** A stand-in that answers /status as `identity`'s node would, at height 0. */
  async function answeringAs(identity: ExpectedIdentity): Promise<string> {
    const node = await standInNode({
      'GET /status': () => ({
        status: 200,
        json: { org: identity.org, chainId: identity.chainId, height: 0, blockHash: identity.genesisHash },
      }),
    });
    running.push(node);
    return node.url;
  }

  function entry(org: string, api: string): NodesJsonEntry {
    return { org, role: 'validator', api, tokenFile: path.join(dir, org, 'api.token') };
  }

  const orgs = () => [...identities.keys()].sort();

  it('is live when every listed node answers as this folder node', async () => {
    const listed = await Promise.all(
      orgs().map(async (org) => entry(org, await answeringAs(identities.get(org)!))),
    );
    assert.equal(listed.length, 7);
    assert.equal(await listedNetworkIsLive(dir, listed), true);
  });

  it('is not live when no listed node answers (the demo then starts the network)', async () => {
    assert.equal(
      await listedNetworkIsLive(
        dir,
        orgs().map((org) => entry(org, silentApi)),
      ),
      false,
    );
  });

  it('is refused when some listed nodes answer and some do not', async () => {
    const [first, ...rest] = orgs();
    const listed = [
      entry(first!, await answeringAs(identities.get(first!)!)),
      ...rest.map((org) => entry(org, silentApi)),
    ];
    await rejectsWith(
      listedNetworkIsLive(dir, listed),
      'CONFLICT',
      `some nodes of ${dir} are running and some are not: stop them (Ctrl-C on bayledger up) first`,
    );
  });

  it("is refused, naming the organisation and the port, when a listed port answers as another network's node", async () => {
    const [first, ...rest] = orgs();
    const stranger = { ...identities.get(first!)!, chainId: 'another-chain' };
    const api = await answeringAs(stranger);
    const listed = [
      entry(first!, api),
      ...(await Promise.all(rest.map(async (org) => entry(org, await answeringAs(identities.get(org)!))))),
    ];
    await rejectsWith(
      listedNetworkIsLive(dir, listed),
      'CONFLICT',
      `${path.join(dir, 'nodes.json')}: node ${first}: port ${new URL(api).port} is answered by another node ` +
        `(org ${first}, chain another-chain): is another network running? stop it, or create this network ` +
        'in a new folder with --base-port 0',
    );
  });

  it('is refused when nodes.json lists an organisation the folder has no node.json for', async () => {
    await rejectsWith(
      listedNetworkIsLive(dir, [entry('nowhere', silentApi)]),
      'NOT_FOUND',
      `${dir}: no nowhere/node.json for nodes.json`,
    );
  });
});
