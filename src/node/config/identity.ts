// A node must be who the genesis file says it is: its organisation exists with the same role,
// and its key file holds the secrets of the public keys published there. Checked at startup so
// a mixed-up key file fails with one clear line instead of votes nobody accepts.
import { bytesEqual } from '../../core/bytes.js';
import type { Genesis } from '../../core/config/genesis.js';
import { organisationById } from '../../core/config/validators.js';
import { Ed25519Signer } from '../../core/crypto/ed25519.js';
import { x25519KeyPairFromSecret } from '../../core/crypto/x25519.js';
import { fail } from '../../core/errors.js';
import type { KeyFile } from '../keys/key-file.js';
import type { NodeConfig } from './node-config.js';

export function checkNodeIdentity(config: NodeConfig, genesis: Genesis, keyFile: KeyFile): void {
  const organisation = organisationById(genesis, config.org);
  if (organisation === undefined) {
    fail(
      'CONFIG_INVALID',
      `organisation ${config.org} is not in ${config.genesis}`,
      `${config.configPath}: org`,
    );
  }
  if (organisation.role !== config.role) {
    fail(
      'CONFIG_INVALID',
      `the genesis gives ${config.org} role ${organisation.role}`,
      `${config.configPath}: role`,
    );
  }
  for (const peer of Object.keys(config.peerAddresses ?? {})) {
    // A mistyped id would leave the peer dialled at its genesis address without a word.
    if (peer === config.org || organisationById(genesis, peer) === undefined) {
      fail(
        'CONFIG_INVALID',
        peer === config.org
          ? 'a node does not dial itself: remove its own organisation'
          : `organisation ${peer} is not in ${config.genesis}`,
        `${config.configPath}: peerAddresses.${peer}`,
      );
    }
  }
  if (keyFile.kind !== 'node' || keyFile.org !== config.org) {
    fail('KEY_FILE_INVALID', `not a node key file of organisation ${config.org}`, config.keyFile);
  }
  if (!bytesEqual(new Ed25519Signer(keyFile.ed25519Seed).publicKey, organisation.nodeKey)) {
    fail(
      'KEY_FILE_INVALID',
      `its Ed25519 key is not the nodeKey of ${config.org} in the genesis`,
      config.keyFile,
    );
  }
  if (!bytesEqual(x25519KeyPairFromSecret(keyFile.x25519Secret).publicKey, organisation.encryptionKey)) {
    fail(
      'KEY_FILE_INVALID',
      `its X25519 key is not the encryptionKey of ${config.org} in the genesis`,
      config.keyFile,
    );
  }
}
