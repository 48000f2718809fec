export {
  createLogger,
  createMemoryLogger,
  createSilentLogger,
  isLogThreshold,
  LOG_LEVELS,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogThreshold,
} from './logger.js';
export { isSensitiveFieldName, REDACTED, redactValue } from './redact.js';
