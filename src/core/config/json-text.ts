// Reading configuration text. The shell reads the file; this checks its size and syntax so
// every entry point reports the same one-line error naming the file.
import { fail } from '../errors.js';
import { LIMITS } from '../limits.js';

export function parseJsonText(text: string, source: string): unknown {
  if (text.length > LIMITS.maxConfigBytes) {
    fail('CONFIG_INVALID', `larger than the limit of ${LIMITS.maxConfigBytes} bytes`, source);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail('CONFIG_INVALID', `not valid JSON (${(error as Error).message})`, source);
  }
}
