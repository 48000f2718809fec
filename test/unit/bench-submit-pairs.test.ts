// The load generator keeps a consent grant and its declaration together (test/bench/lib/submit.ts):
// same validator, same batch, grant first, whatever the ticks turn out to be; and it counts what
// the validators refused by the cause they give.
import assert from 'node:assert/strict';
import { utf8 } from '../../src/core/bytes.js';
import type { NodeClient, SignedTx } from '../bench/lib/network.js';
import { submitAtArrivals, validatorOf } from '../bench/lib/submit.js';

/** Stands in for a validator's API: records each batch it is sent and accepts all of it. */
function recordingClient(batches: string[][]): NodeClient {
  return {
    submitBatch: async (envelopes: readonly Uint8Array[]) => {
      batches.push(envelopes.map((bytes) => new TextDecoder().decode(bytes)));
      const results = envelopes.map((_, index) => ({ index, status: 'pending' }));
      return { status: 202, body: JSON.stringify({ refused: 0, results }) };
    },
  } as unknown as NodeClient;
}

describe('bench load generator pairs', () => {
  it('sends both transactions of a pair to one validator, round-robin by pair', () => {
    assert.deepEqual(
      Array.from({ length: 10 }, (_, index) => validatorOf(index, 4)),
      [0, 0, 1, 1, 2, 2, 3, 3, 0, 0],
    );
  });

  it('counts refusals by the cause each answer gives, a failed request as all of its batch', async () => {
    // Validator 0 refuses every declaration for a full mempool, validator 1's requests fail.
    const refusing = {
      submitBatch: async (envelopes: readonly Uint8Array[]) => {
        const results = envelopes.map((_, index) =>
          index % 2 === 1
            ? { index, status: 'refused', code: 'MEMPOOL_FULL', reason: 'full' }
            : { index, status: 'pending' },
        );
        return { status: 202, body: JSON.stringify({ results }) };
      },
    } as unknown as NodeClient;
    const failing = {
      submitBatch: async () => {
        throw new Error('connection reset');
      },
    } as unknown as NodeClient;
    const txs: SignedTx[] = Array.from({ length: 8 }, (_, index) => ({
      bytes: utf8(`tx ${index}`),
      txIdHex: String(index),
    }));
    const outcome = await submitAtArrivals(
      [refusing, failing],
      txs,
      txs.map(() => 0),
      new AbortController().signal,
      'batch',
    );
    // Pairs 0 and 2 went to validator 0 (two declarations refused), pairs 1 and 3 to validator 1.
    assert.equal(outcome.sent, 8);
    assert.equal(outcome.refused, 6);
    assert.deepEqual([...outcome.refusedBy].sort(), [
      ['MEMPOOL_FULL', 2],
      ['request failed', 4],
    ]);
  });

  it('puts whole pairs in each batch, grant first, on the pair validator', async () => {
    const perClient: string[][][] = [[], [], []];
    const clients = perClient.map((batches) => recordingClient(batches));
    // Arrivals 1.5 ms apart cross the generator's 5 ms ticks at every place in a pair.
    const txs: SignedTx[] = Array.from({ length: 40 }, (_, index) => ({
      bytes: utf8(`tx ${index}`),
      txIdHex: String(index),
    }));
    const arrivalsMs = txs.map((_, index) => index * 1.5);
    const outcome = await submitAtArrivals(clients, txs, arrivalsMs, new AbortController().signal, 'batch');
    assert.equal(outcome.sent, 40);
    assert.equal(outcome.refused, 0);
    const seen: number[] = [];
    for (const [client, batches] of perClient.entries()) {
      for (const batch of batches) {
        const indexes = batch.map((text) => Number(text.split(' ')[1]));
        assert.equal(indexes.length % 2, 0, `a batch split a pair: ${indexes}`);
        for (let at = 0; at < indexes.length; at += 2) {
          const grant = indexes[at]!;
          assert.equal(grant % 2, 0, `a batch began a pair with its declaration: ${indexes}`);
          assert.equal(indexes[at + 1], grant + 1, `a grant without its declaration next: ${indexes}`);
          assert.equal(validatorOf(grant, clients.length), client);
        }
        seen.push(...indexes);
      }
    }
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      txs.map((_, index) => index),
    );
  });
});
