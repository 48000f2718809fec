// Files the CLI writes for the user (cli/output-file.ts): an existing file it may not replace is
// FILE_EXISTS and left as it was; a refused write is named in words and leaves no file of ours;
// what it could not open is left as it was. Real files
// in a temporary folder (the full disk is test/e2e/chain-cli.test.ts's, through /dev/full).
import { strict as assert } from 'node:assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeOutputFile } from '../../cli/output-file.js';
import { rejectsWith } from '../helpers/rejects.js';
import { useTempDir } from '../helpers/temp-dir.js';

describe('CLI: output files', () => {
  const temp = useTempDir('bayledger-output-file-', 'each');

  it('writes the file, and replaces one unless told the file must be new', async () => {
    const file = path.join(temp.path, 'genesis.json');
    await writeOutputFile(file, 'first', 'genesis');
    await writeOutputFile(file, 'second', 'genesis');
    assert.equal(await readFile(file, 'utf8'), 'second');
  });

  it('refuses to replace an existing file when it must be new, and leaves that file as it was', async () => {
    const file = path.join(temp.path, 'genesis.json');
    await writeFile(file, 'kept');
    await rejectsWith(
      writeOutputFile(file, 'new', 'genesis', { exclusive: true }),
      'FILE_EXISTS',
      `${file}: cannot write the genesis file: it already exists (EEXIST)`,
    );
    assert.equal(await readFile(file, 'utf8'), 'kept');
  });

  it('names a write the system refused, and leaves nothing', async () => {
    const file = path.join(temp.path, 'no-such-folder', 'node.json');
    await rejectsWith(
      writeOutputFile(file, '{}', 'node config'),
      'FILE_UNWRITABLE',
      `${file}: cannot write the node config file: its folder does not exist (ENOENT)`,
    );
    assert.deepEqual(await readdir(temp.path), []);
  });

  it('leaves what it could not open as it was: a directory in the way stays, with its contents', async () => {
    // The file the user named is theirs until this call opens it: removing it after a failed
    // open once deleted a read-only file that could not be replaced (and, for a directory, failed
    // with rm's words instead of these).
    const target = path.join(temp.path, 'bundle.cbor');
    await mkdir(target);
    await writeFile(path.join(target, 'inside'), 'kept');
    await rejectsWith(
      writeOutputFile(target, 'bundle', 'proof bundle'),
      'FILE_UNWRITABLE',
      `${target}: cannot write the proof bundle file: a directory is in the way (EISDIR)`,
    );
    assert.equal(await readFile(path.join(target, 'inside'), 'utf8'), 'kept');
  });
});
