// Yamux window updates at half a window instead of after every data frame.
//
// js-yamux (@chainsafe/libp2p-yamux 8) grants the sender new receive window after every data
// frame it reads, so each message a peer sends us costs a second frame back: a yamux header, a
// Noise seal, a socket write, and on the other side a read, a Noise open and a dispatch. Consensus
// traffic is many small messages, so this doubled the frames per block height (measured: about 16
// data frames sent and 9 received per validator per height, each answered by a window update).
// The yamux specification leaves the moment of a window update to the receiver, and hashicorp's
// yamux (Go) and rust-yamux send one only once half of the window has been consumed: the sender
// still holds at least half a window of credit, so it is never stalled by the wait.
//
// libp2p creates the streams inside the muxer and offers no option for this, so the policy is
// installed on the stream class once, before the first node starts. The original method still
// runs whenever an update is due (and whenever the stream is not plainly established, so the
// SYN/ACK flags, pause/resume and window growth behave as before); it is skipped only while the
// peer's unused credit is at least half of the current window. The method's presence is asserted
// at install and the fields it reads on each call, so a yamux release that renames them fails on
// the first frame (and test/unit/net-yamux-window.test.ts, which drives a real stream), not silently.
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream';
import { assert } from '../../core/errors.js';

interface WindowFields {
  state: StreamState;
  recvWindow: number;
  recvWindowCapacity: number;
}

let installed = false;

/** True when a window update should wait: the stream is established and the peer holds half a window or more. */
export function windowUpdateCanWait(stream: WindowFields): boolean {
  return stream.state === StreamState.Established && stream.recvWindowCapacity * 2 >= stream.recvWindow;
}

/** Installs the half-window update policy on every yamux stream (idempotent). */
export function installHalfWindowUpdates(): void {
  if (installed) return;
  const prototype = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: WindowFields) => void };
  const original = prototype.sendWindowUpdate;
  assert(typeof original === 'function', 'yamux stream has no sendWindowUpdate: the muxer changed');
  prototype.sendWindowUpdate = function sendWindowUpdateAtHalfWindow(this: WindowFields): void {
    assert(
      typeof this.recvWindow === 'number' && typeof this.recvWindowCapacity === 'number',
      'yamux stream window fields changed: update src/node/net/yamux-window-updates.ts',
    );
    if (windowUpdateCanWait(this)) return;
    original.call(this);
  };
  installed = true;
}
