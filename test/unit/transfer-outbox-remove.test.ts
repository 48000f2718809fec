// removeOutboxPayload (src/node/transfer/outbox.ts): a payload's folder goes, a missing one is
// left alone without error, and nothing else in the outbox is touched.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utf8 } from '../../src/core/bytes.js';
import { sha256 } from '../../src/core/crypto/hash.js';
import { outboxPayloadDirectory, removeOutboxPayload } from '../../src/node/transfer/outbox.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('removeOutboxPayload', () => {
  const outbox = useTempDir('bayledger-outbox-', 'each');

  it('removes the folder of the payload with that root and leaves the others', async () => {
    const outboxDir = outbox.path;
    const removed = sha256(utf8('removed payload'));
    const kept = sha256(utf8('kept payload'));
    for (const root of [removed, kept]) {
      await mkdir(outboxPayloadDirectory(outboxDir, root), { recursive: true });
      await writeFile(join(outboxPayloadDirectory(outboxDir, root), 'sealed'), utf8('bytes'));
    }
    await removeOutboxPayload(outboxDir, removed);
    assert.equal(existsSync(outboxPayloadDirectory(outboxDir, removed)), false);
    assert.equal(existsSync(join(outboxPayloadDirectory(outboxDir, kept), 'sealed')), true);
  });

  it('resolves for a payload the outbox never held, creating nothing', async () => {
    const outboxDir = outbox.path;
    await removeOutboxPayload(outboxDir, sha256(utf8('never sealed here')));
    assert.deepEqual(await readdir(outboxDir), []);
    // Also when the outbox folder itself is gone.
    await removeOutboxPayload(join(outboxDir, 'missing'), sha256(utf8('never sealed here')));
  });
});
