// `bayledger node start --config FILE`: runs one node until SIGINT or SIGTERM, then shuts down
// cleanly (API, consensus, network, then the store). Logs are JSON lines on stdout.
//
// With --stop-on-stdin-end the end of standard input stops it the same way. `up` and `demo` start
// their nodes so, holding the other end of a pipe: when they die, even by SIGKILL, the kernel
// closes that end and their nodes stop instead of running on unowned.
//
// A signal that arrives while the node is still starting is honoured as soon as the start is
// over. A store that can no longer be written (a full or failing disk) stops the node too, and the
// command then exits 1 with that fault. Shutdown is bounded: a close that hangs (a peer that never
// lets go, a stuck disk) is cut after LIMITS.nodeShutdownTimeoutMs, and a second signal ends the
// process at once. Both exit 1: every block commit is one atomic batch, so an abrupt end loses
// nothing that was committed.
import { BayledgerError, fail } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';
import { loadNodeConfig, type NodeConfig } from '../../src/node/config/node-config.js';
import { createLogger, isLogThreshold, type Logger } from '../../src/node/log/logger.js';
import { type RunningNode, startNode } from '../../src/node/node.js';
import { attachTransferService } from '../../src/node/transfer-service/service.js';

export interface StartOptions {
  readonly config: string;
  readonly logLevel: string;
  readonly stopOnStdinEnd?: boolean;
}

/** Why the node stops: a signal, or the end of standard input (--stop-on-stdin-end). */
export type StopReason = NodeJS.Signals | 'stdin-end';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Where stop signals come from and how the process ends at once: `process`, or stand-ins in a test. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/** Resolves with the first stop signal; a second one ends the process at once. */
export function stopSignal(logger: Logger, source: SignalSource = process): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        logger.warn('second signal: stopping at once', { signal });
        source.exit(1);
      }
      received = true;
      resolve(signal);
    };
    for (const signal of STOP_SIGNALS) source.on(signal, onSignal);
  });
}

/**
 * Resolves when `input` ends, closes or fails: whoever held its other end is gone. What arrives on
 * it is read and dropped (nothing is meant to); the caller destroys it once the node has stopped,
 * so that it does not keep the process alive.
 */
export function inputEnd(input: NodeJS.ReadableStream): Promise<'stdin-end'> {
  return new Promise((resolve) => {
    const ended = (): void => resolve('stdin-end');
    input.once('end', ended);
    input.once('close', ended);
    input.once('error', ended);
    input.resume();
  });
}

async function closeWithin(node: RunningNode, logger: Logger): Promise<void> {
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long: stopping at once', { timeoutMs: LIMITS.nodeShutdownTimeoutMs });
    process.exit(1);
  }, LIMITS.nodeShutdownTimeoutMs);
  deadline.unref();
  try {
    await node.close();
  } finally {
    clearTimeout(deadline);
  }
}

export async function nodeStart(options: StartOptions): Promise<void> {
  if (!isLogThreshold(options.logLevel))
    fail('USAGE', `--log-level ${options.logLevel}: use debug, info, warn, error or silent`);
  const config = await loadNodeConfig(options.config);
  const logger = createLogger({ level: options.logLevel });
  const stopped: Promise<StopReason> = options.stopOnStdinEnd
    ? Promise.race([stopSignal(logger), inputEnd(process.stdin)])
    : stopSignal(logger);
  try {
    await runUntilStopped(config, logger, stopped);
  } finally {
    // An open standard input keeps the process alive: let go of it however the node ended.
    if (options.stopOnStdinEnd) process.stdin.destroy();
  }
}

async function runUntilStopped(
  config: NodeConfig,
  logger: Logger,
  stopped: Promise<StopReason>,
): Promise<void> {
  const node = await startNode(config, { logger });
  try {
    await attachTransferService(node, config, config.keyFile, logger);
  } catch (error) {
    await closeWithin(node, logger);
    throw error;
  }
  node.markReady();
  // A store that can no longer be written stops the node as a signal would, but the command then
  // fails with that fault (exit 1, the disk and its error on stderr) instead of ending cleanly.
  const reason = await Promise.race([stopped, node.fatal]);
  if (reason instanceof BayledgerError) {
    logger.error('stopping', { reason: reason.code });
    await closeWithin(node, logger);
    throw reason;
  }
  logger.info('stopping', { reason });
  await closeWithin(node, logger);
}
