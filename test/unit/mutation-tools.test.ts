// The mutation sweep's own pieces (test/mutations): every entry of equivalent.ts still names a line
// its file holds (an entry whose line is gone explains nothing and hides nothing), and mutantsOf
// leaves assertions alone, written on one line or over several.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EQUIVALENT } from '../mutations/equivalent.js';
import { ROOT } from '../mutations/in-place.js';
import { mutantsOf } from '../mutations/sweep.js';

describe('mutation tools', () => {
  it('every equivalent.ts entry names a line its file still holds', () => {
    const stale = EQUIVALENT.filter((entry) => entry.file !== '*').filter((entry) => {
      const lines = readFileSync(path.join(ROOT, entry.file), 'utf8').split('\n');
      return !lines.some((line) => line.trim() === entry.line);
    });
    assert.deepEqual(
      stale.map((entry) => `${entry.file}: ${entry.line}`),
      [],
    );
  });

  it('mutates code but not the arguments of an assertion, on one line or over several', () => {
    const text = [
      'if (a < b) return;',
      'assert(a < b, "one line");',
      'assert(',
      '  a < b && c > d,',
      '  "over several lines",',
      ');',
      'if (c > d) return;',
    ].join('\n');
    const lines = new Set(mutantsOf('src/x.ts', text).map((mutant) => mutant.line));
    assert.deepEqual([...lines].sort(), [1, 7]);
  });
});
