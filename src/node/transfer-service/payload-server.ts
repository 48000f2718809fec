// The sender end of the payload channel on the network (design section 9): a handler on
// PROTOCOL.payload that reads one request frame, asks the release gate (gates.ts) and writes the
// PayloadSender's frames back with back-pressure. The recipient pulls: it is the side that must
// verify the approval on its own chain anyway, and a pull resumes naturally from the chunk it
// asks for. The gate is checked against this node's committed state on every request, so nothing
// leaves before the approving block is final here, nor for anybody but the declared recipient.
import { toHex } from '../../core/bytes.js';
import { errorMessage, isBayledgerError } from '../../core/errors.js';
import type { StateReader } from '../../core/ledger/state-kv.js';
import { LIMITS } from '../../core/limits.js';
import type { Logger } from '../log/logger.js';
import type { FramedStream } from '../net/framed-stream.js';
import type { PeerNetwork } from '../net/types.js';
import { PROTOCOL } from '../protocols.js';
import { MAX_REQUEST_BYTES, type PayloadRequest } from '../transfer/protocol.js';
import { type FramedResponse, PayloadSender, type SendDecision } from '../transfer/sender.js';
import { releaseDecision } from './gates.js';
import { IdleTimeout } from './idle-timeout.js';
import type { PayloadStats } from './payload-stats.js';

export interface PayloadServerOptions {
  readonly net: PeerNetwork;
  readonly state: StateReader;
  /** This node's organisation id. */
  readonly self: string;
  readonly outboxDir: string;
  readonly stats: PayloadStats;
  readonly logger: Logger;
}

/** A revocation committed while a stream runs stops it at the next chunk (gates.ts). */
function stillReleased(options: PayloadServerOptions, peer: string, request: PayloadRequest): boolean {
  return releaseDecision(options.state, options.self, peer, request.transferId).ok;
}

export async function servePayloads(options: PayloadServerOptions): Promise<void> {
  const sender = new PayloadSender({
    outboxDir: options.outboxDir,
    onProblem: (error) => options.logger.error('outbox payload unusable', { error }),
  });
  await options.net.registerStreamHandler(
    PROTOCOL.payload,
    async (peer, stream) => {
      try {
        await serveOne(peer, stream, sender, options);
      } catch (error) {
        // A broken stream is the transport's business, never a reason to penalise the peer.
        options.logger.info('payload stream ended early', {
          peer,
          reason: isBayledgerError(error) ? error.code : 'ERROR',
          detail: errorMessage(error),
        });
        stream.abort('payload stream failed');
      }
    },
    { maxMessageBytes: MAX_REQUEST_BYTES },
  );
}

async function serveOne(
  peer: string,
  stream: FramedStream,
  sender: PayloadSender,
  options: PayloadServerOptions,
): Promise<void> {
  const requestFrame = await stream.read({ signal: AbortSignal.timeout(LIMITS.payloadStreamIdleMs) });
  if (requestFrame === null) {
    // Nothing was asked: close our side too, or the stream stays half open and keeps one of the
    // peer's inbound stream slots until the connection ends.
    await stream.closeWrite();
    return;
  }
  options.stats.requested();
  let request: PayloadRequest | undefined;
  const decide = (decoded: PayloadRequest): SendDecision => {
    request = decoded;
    const decision = releaseDecision(options.state, options.self, peer, decoded.transferId);
    if (!decision.ok) {
      options.stats.refused(decision.code);
      options.logger.info('payload request refused', {
        peer,
        transferId: toHex(decoded.transferId),
        code: decision.code,
      });
    }
    return decision;
  };
  let chunks = 0;
  let last: FramedResponse['kind'] = 'BAD_REQUEST';
  const idle = new IdleTimeout(LIMITS.payloadStreamIdleMs, 'payload stream');
  try {
    for await (const response of sender.respondFramed(requestFrame, decide)) {
      last = response.kind;
      if (last === 'chunk' && request !== undefined) {
        chunks++;
        options.stats.chunkSent(
          toHex(request.transferId),
          response.frame.byteLength - response.messageOffset,
        );
      }
      idle.touch();
      await stream.writeFramed(response.frame, { signal: idle.signal });
      if (last === 'chunk' && request !== undefined && !stillReleased(options, peer, request)) {
        options.logger.info('payload stream stopped: no longer approved', {
          peer,
          transferId: toHex(request.transferId),
        });
        stream.abort('no longer approved');
        return;
      }
    }
  } finally {
    idle.dispose();
  }
  await stream.closeWrite();
  if (last === 'COMPLETE' && request !== undefined) {
    options.stats.completed();
    options.logger.info('payload stream served', {
      peer,
      transferId: toHex(request.transferId),
      fromChunk: request.fromChunk,
      chunks,
    });
  } else if (last === 'PAYLOAD_UNAVAILABLE' || last === 'BAD_REQUEST') {
    options.stats.refused(last);
    options.logger.warn('payload request not served', { peer, code: last });
  }
}
