// Whether the file system under `dir` lets a file be opened with O_DIRECT, found by trying: tests
// of the O_DIRECT write path (src/node/transfer/direct-appender.ts) expect it exactly there.
import { closeSync, constants, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function directIoAllowed(dir: string): boolean {
  const probe = path.join(dir, '.direct-io-probe');
  writeFileSync(probe, '');
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}
