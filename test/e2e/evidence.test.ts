// Equivocation evidence on a real node (design section 7: "kept and reported"). A network of two
// validator processes; one is stopped and this test joins in its place with its key, signing two
// different prevotes for one slot and two different proposals for one round it is proposer of.
// The other node must keep both pieces of evidence, serve them at GET /evidence, list them through
// `bayledger evidence list` over the API and from its stopped data directory, and still have
// them after a restart.
import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { parseHex } from '../../src/core/bytes.js';
import { encodeConsensusMessage } from '../../src/core/consensus/codec.js';
import { decodeEvidence } from '../../src/core/consensus/evidence-codec.js';
import { verifyEvidence } from '../../src/core/consensus/evidence-verify.js';
import type { Proposal, Vote } from '../../src/core/consensus/messages.js';
import { proposerIndex } from '../../src/core/consensus/proposer.js';
import { signProposal, signVote } from '../../src/core/consensus/signing.js';
import { Ed25519Signer } from '../../src/core/crypto/ed25519.js';
import type { Block } from '../../src/core/ledger/block.js';
import { blockHash } from '../../src/core/ledger/block-hash.js';
import { chainParamsOf } from '../../src/core/ledger/chain-params.js';
import { EMPTY_ROOT } from '../../src/core/merkle/hash.js';
import { createMemoryLogger } from '../../src/node/log/index.js';
import { encodeBatch, type PeerNetwork } from '../../src/node/net/index.js';
import { PROTOCOL } from '../../src/node/protocols.js';
import { impostorOf } from '../helpers/impostor.js';
import { startTestNetwork, type TestNetwork } from '../helpers/network.js';

const HONEST = 'sz-cac';
const BYZANTINE = 'sz-health';

interface EvidenceEntry {
  kind: 'vote' | 'proposal';
  validator: string;
  height: number;
  round: number;
  message: string;
  evidence: string;
  verifies: boolean;
}

interface EvidencePage {
  chainId: string;
  kept: number;
  dropped: number;
  entries: EvidenceEntry[];
  next: string | null;
}

/** A block that hashes and commits to its (empty) body correctly; its contents are never judged. */
function emptyBlock(chainId: string, height: number, timeMs: number): Block {
  const filler = () => new Uint8Array(randomBytes(32));
  return {
    header: {
      chainId,
      height,
      timeMs,
      proposer: BYZANTINE,
      previousHash: filler(),
      txRoot: EMPTY_ROOT,
      txCount: 0,
      logSize: 0,
      logRoot: EMPTY_ROOT,
      stateHash: filler(),
      validatorsHash: filler(),
    },
    txs: [],
  };
}

function summary(entries: readonly EvidenceEntry[]): string[] {
  return entries.map(
    (entry) => `${entry.kind} ${entry.validator} h${entry.height} r${entry.round} ${entry.verifies}`,
  );
}

describe('equivocation evidence on a real node: kept, served, listed, surviving a restart', function () {
  this.timeout(180_000);
  let net: TestNetwork;
  let intruder: PeerNetwork | undefined;

  before(async () => {
    net = await startTestNetwork({ validators: 2, followers: 0 });
  });

  after(async () => {
    await intruder?.close();
    await net?.stop();
  });

  it('keeps a double prevote and a double proposal of one validator and reports them', async () => {
    const params = chainParamsOf(net.genesis);
    const chainId = params.chainId;
    await net.kill(BYZANTINE, 'SIGTERM');
    const impostor = await impostorOf(net, BYZANTINE, createMemoryLogger('error').logger);
    intruder = impostor.network;
    const signer = new Ed25519Signer(impostor.seed);
    await intruder.start();
    await net.waitFor('connected to the honest validator', () => intruder!.isConnected(HONEST));

    // Nothing commits with one of two validators away: the height being decided stays put.
    const height = (await net.status(HONEST)).height + 1;
    const byzantineIndex = params.validators.findIndex((validator) => validator.id === BYZANTINE);
    const round = (byzantineIndex - (height % 2) + 2) % 2; // proposer(h, r) = validators[(h + r) mod 2]
    assert.equal(proposerIndex(height, round, 2), byzantineIndex);
    const vote = (blockHash: Uint8Array | null): Vote => ({
      type: 'prevote',
      height,
      round: 0,
      blockHash,
      validator: BYZANTINE,
      signature: signVote(signer, chainId, 'prevote', height, 0, blockHash),
    });
    const proposal = (block: Block): Proposal => {
      const hash = blockHash(block.header);
      return {
        height,
        round,
        validRound: -1,
        blockHash: hash,
        proposer: BYZANTINE,
        signature: signProposal(signer, chainId, height, round, -1, hash),
        block,
      };
    };
    const nowMs = Date.now();
    const messages = encodeBatch([
      encodeConsensusMessage({ type: 'vote', vote: vote(null) }),
      encodeConsensusMessage({ type: 'vote', vote: vote(new Uint8Array(randomBytes(32))) }),
      encodeConsensusMessage({ type: 'proposal', proposal: proposal(emptyBlock(chainId, height, nowMs)) }),
      encodeConsensusMessage({
        type: 'proposal',
        proposal: proposal(emptyBlock(chainId, height, nowMs + 1)),
      }),
    ]);
    const stream = await intruder.openStream(HONEST, PROTOCOL.consensus, { maxMessageBytes: 1024 * 1024 });
    await stream.write(messages);

    const page = await net.waitFor('both pieces of evidence kept', async () => {
      const answer = await net.get<EvidencePage>(HONEST, '/evidence');
      return answer.json.entries.length >= 2 ? answer.json : undefined;
    });
    assert.deepEqual(summary(page.entries).sort(), [
      `proposal ${BYZANTINE} h${height} r${round} true`,
      `vote ${BYZANTINE} h${height} r0 true`,
    ]);
    assert.equal(page.kept, 2);
    assert.equal(page.next, null);
    // The bytes convict on their own, with the genesis keys.
    for (const entry of page.entries) {
      const evidence = decodeEvidence(parseHex(entry.evidence)!);
      assert.deepEqual(verifyEvidence(evidence, params.validators, chainId), { ok: true });
    }
    const badLimit = await net.get<{ error: { code: string } }>(HONEST, '/evidence?limit=0');
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.json.error.code, 'REQUEST_MALFORMED');
    const badCursor = await net.get<{ error: { code: string } }>(HONEST, '/evidence?after=05');
    assert.equal(badCursor.status, 400);

    // The CLI over the API, checked with the genesis file.
    const api = net.api(HONEST);
    const listed = await net.runCli([
      'evidence',
      'list',
      '--api',
      api,
      '--genesis',
      net.genesisPath,
      '--json',
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    const fromApi = JSON.parse(listed.stdout) as { checkedWith: string; entries: EvidenceEntry[] };
    assert.equal(fromApi.checkedWith, 'genesis file');
    assert.deepEqual(summary(fromApi.entries), summary(page.entries));
    const table = await net.runCli(['evidence', 'list', '--api', api]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`${height}\\s+0\\s+prevote\\s+${BYZANTINE}\\s+nil`));
    assert.match(table.stdout, /2 kept, 0 dropped .*checked with the node/);

    // Kept durably: read from the stopped node's data directory, then again after a restart.
    await net.kill(HONEST, 'SIGTERM');
    const dataDir = net.nodes.get(HONEST)!.config.dataDir;
    const offline = await net.runCli(['evidence', 'list', '--data-dir', dataDir, '--json']);
    assert.equal(offline.code, 0, offline.stderr);
    const fromDisk = JSON.parse(offline.stdout) as { checkedWith: string; entries: EvidenceEntry[] };
    assert.equal(fromDisk.checkedWith, 'data directory genesis');
    assert.deepEqual(fromDisk.entries, fromApi.entries);
    await net.restart(HONEST);
    const again = await net.get<EvidencePage>(HONEST, '/evidence');
    assert.deepEqual(summary(again.json.entries), summary(page.entries));
  });
});
