// What travels through the simulated network and what sits in the simulator's event queue.
import type { ConsensusInput } from '../../src/core/consensus/types.js';
import type { CommittedEntry } from './sim-ledger.js';

export type MessageKind = 'proposal' | 'prevote' | 'precommit' | 'proposal-request';

export type Packet =
  /** A consensus message as canonical CBOR bytes: every receiver decodes it for real. */
  | {
      readonly channel: 'consensus';
      readonly bytes: Uint8Array;
      /** What the sender meant to send, for message-kind faults (the bytes may be garbage). */
      readonly kind: MessageKind;
    }
  /** "My committed height is h": peers that are ahead answer with sync. */
  | { readonly channel: 'status'; readonly height: number }
  /** Block sync: committed blocks with their certificates, in height order. */
  | { readonly channel: 'sync'; readonly entries: readonly CommittedEntry[] };

export type SimEvent =
  | { readonly kind: 'deliver'; readonly to: number; readonly from: number; readonly packet: Packet }
  | {
      readonly kind: 'input';
      readonly node: number;
      readonly incarnation: number;
      readonly input: ConsensusInput;
    }
  | {
      readonly kind: 'heartbeat';
      readonly node: number;
      readonly incarnation: number;
      readonly height: number;
    }
  | { readonly kind: 'crash'; readonly node: number; readonly midStep: boolean }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'new-tx' }
  | { readonly kind: 'tx-arrives'; readonly node: number; readonly tx: Uint8Array }
  | { readonly kind: 'regossip' }
  | { readonly kind: 'status' }
  | { readonly kind: 'gst' };
