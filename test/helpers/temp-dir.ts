// A temporary folder for the tests of one describe block: created before them (or before each
// test) and removed with everything in it afterwards, so no test leaves files behind.
//
//   const temp = useTempDir('bayledger-keys-', 'each');
//   it('...', async () => { await writeFile(path.join(temp.path, 'x'), ...); });
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TempDir {
  /** The folder's path; read it inside hooks and tests, not while the suite is being defined. */
  readonly path: string;
}

/**
 * Registers the hooks of the calling describe block: one folder for all its tests ('all', the
 * default) or a fresh one for each test ('each').
 */
export function useTempDir(prefix: string, scope: 'all' | 'each' = 'all'): TempDir {
  let current: string | undefined;
  const create = async () => {
    current = await mkdtemp(path.join(tmpdir(), prefix));
  };
  const remove = async () => {
    if (current !== undefined) await rm(current, { recursive: true, force: true });
    current = undefined;
  };
  if (scope === 'each') {
    beforeEach(create);
    afterEach(remove);
  } else {
    before(create);
    after(remove);
  }
  return {
    get path(): string {
      if (current === undefined)
        throw new Error(`${prefix}: the temporary folder exists only while tests run`);
      return current;
    },
  };
}
