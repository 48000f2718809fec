// `bayledger node start --config FILE`: runs one node until SIGINT or SIGTERM, then shuts down
// cleanly (API, consensus, network, then the store). Logs are JSON lines on stdout.

import { fail } from '../../src/core/errors.js';
import { loadNodeConfig } from '../../src/node/config/node-config.js';
import { createLogger, isLogThreshold } from '../../src/node/log/logger.js';
import { startNode } from '../../src/node/node.js';
import { attachTransferService } from '../../src/node/transfer-service/service.js';

export interface StartOptions {
  readonly config: string;
  readonly logLevel: string;
}

export async function nodeStart(options: StartOptions): Promise<void> {
  if (!isLogThreshold(options.logLevel))
    fail('USAGE', `--log-level ${options.logLevel}: use debug, info, warn, error or silent`);
  const config = await loadNodeConfig(options.config);
  const logger = createLogger({ level: options.logLevel });
  const node = await startNode(config, { logger });
  await attachTransferService(node, config, config.keyFile, logger);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await node.close();
}
