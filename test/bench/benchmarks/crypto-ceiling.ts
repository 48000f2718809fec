// Issue 7, benchmark 1: the ceiling every other figure is a ratio of. The all-cores figures are
// compared with (one core x cores), so their ratio is the parallel efficiency of this machine.
import { signedChecks } from '../lib/fixtures.js';
import type { Benchmark, Figure } from '../types.js';

export const cryptoCeiling: Benchmark = {
  name: 'crypto-ceiling',
  description: 'Ed25519 verify on 1 and all cores, SHA-256 of leaf-sized inputs, canonical CBOR of a record',
  target: 'none: this is the ceiling; the other benchmarks report their ratio to it',
  timeLimitMs: 120_000,
  async run(context) {
    const ceiling = await context.ceiling();
    const messageBytes = signedChecks(1)[0]!.message.byteLength;
    const scaled = (name: string, oneCore: number): Figure['ceiling'] => ({
      name: `${name} x ${ceiling.cores}`,
      value: oneCore * ceiling.cores,
    });
    return [
      {
        name: 'verify.oneCore',
        value: ceiling.verifyOneCorePerSecond,
        unit: 'verifies/s',
        note: `verifySignature (libsodium), 16 signers, ${messageBytes}-byte messages`,
      },
      {
        name: 'verify.allCores',
        value: ceiling.verifyAllCoresPerSecond,
        unit: 'verifies/s',
        ceiling: scaled('verify.oneCore', ceiling.verifyOneCorePerSecond),
        note: `one worker thread per core (${ceiling.cores})`,
      },
      {
        name: 'sha256.leaf.oneCore',
        value: ceiling.sha256LeafOneCorePerSecond,
        unit: 'hashes/s',
        note: `sha256 of ${ceiling.leafBytes}-byte inputs`,
      },
      {
        name: 'sha256.leaf.allCores',
        value: ceiling.sha256LeafAllCoresPerSecond,
        unit: 'hashes/s',
        ceiling: scaled('sha256.leaf.oneCore', ceiling.sha256LeafOneCorePerSecond),
      },
      {
        name: 'codec.encode',
        value: ceiling.encodeRecordPerSecond,
        unit: 'records/s',
        note: `encodeCanonical of a ${ceiling.recordBytes}-byte record with a declaration's fields`,
      },
      {
        name: 'codec.decode',
        value: ceiling.decodeRecordPerSecond,
        unit: 'records/s',
        note: 'decodeCanonical (decode, re-encode, compare) of the same record',
      },
    ];
  },
};
