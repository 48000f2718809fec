// The mutation tools' own pieces (test/mutations): every recorded mutation's `from` text occurs
// exactly once in its file (a stale one tests nothing, and `npm run test:mutations` is not in npm
// test to say so), every entry of equivalent.ts still names a line its file holds (an entry whose
// line is gone explains nothing and hides nothing), and mutantsOf leaves assertions alone, written
// on one line or over several.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EQUIVALENT } from '../mutations/equivalent.js';
import { ROOT } from '../mutations/in-place.js';
import { MUTATIONS } from '../mutations/mutations.js';
import { mutantsOf } from '../mutations/sweep.js';

describe('mutation tools', () => {
  it("every recorded mutation's text occurs exactly once in its file", () => {
    const stale = MUTATIONS.filter(
      (mutation) => readFileSync(path.join(ROOT, mutation.file), 'utf8').split(mutation.from).length !== 2,
    );
    assert.deepEqual(
      stale.map((mutation) => `${mutation.name} (${mutation.file})`),
      [],
    );
  });

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
