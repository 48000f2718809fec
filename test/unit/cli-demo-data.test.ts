// The demo's synthetic records (cli/commands/demo-data.ts): each is written private to its owner
// (0600), the imaging study has exactly the size asked for and the DICOM Part 10 layout (a
// 128-byte preamble, then "DICM"), the text records are what their names say, and fileDigest is
// SHA-256 of the whole file.
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  fileDigest,
  writeGeneticResult,
  writeImagingStudy,
  writePopulationData,
  writeRadiologyReport,
} from '../../cli/commands/demo-data.js';
import { useTempDir } from '../helpers/temp-dir.js';

const MIB = 1024 * 1024;

async function modeOf(file: string): Promise<number> {
  return (await stat(file)).mode & 0o777;
}

describe('CLI demo: synthetic records', () => {
  const temp = useTempDir('bayledger-demo-data-', 'each');

  it('writes an imaging study of exactly the size asked for, in the DICOM file layout, 0600', async () => {
    const file = await writeImagingStudy(temp.path, 3);
    assert.equal(path.basename(file), 'synthetic-ct-study.dcm');
    const bytes = await readFile(file);
    assert.equal(bytes.byteLength, 3 * MIB);
    assert.ok(
      bytes.subarray(0, 128).every((byte) => byte === 0),
      'the preamble is zeros',
    );
    assert.equal(bytes.subarray(128, 132).toString('ascii'), 'DICM');
    // Noise, not a pattern a channel could compress: no 4 KiB block repeats another.
    const blocks = new Set<string>();
    for (let offset = 4096; offset < bytes.byteLength; offset += 4096)
      blocks.add(bytes.subarray(offset, offset + 4096).toString('hex'));
    assert.equal(blocks.size, (3 * MIB) / 4096 - 1);
    assert.equal(await modeOf(file), 0o600);
  });

  it('writes the report, the genetic result and the population data as their formats, 0600', async () => {
    const report = await writeRadiologyReport(temp.path);
    const second = await writeRadiologyReport(temp.path, 'second-report.pdf');
    const genetic = await writeGeneticResult(temp.path);
    const population = await writePopulationData(temp.path);
    assert.deepEqual(
      [report, second, genetic, population].map((file) => path.basename(file)),
      [
        'synthetic-radiology-report.pdf',
        'second-report.pdf',
        'synthetic-genetic-test.vcf',
        'synthetic-population-health.csv',
      ],
    );
    const pdf = await readFile(report, 'utf8');
    assert.ok(pdf.startsWith('%PDF-1.4\n') && pdf.endsWith('%%EOF\n'), pdf.slice(0, 40));
    assert.equal(await readFile(second, 'utf8'), pdf);
    const vcf = (await readFile(genetic, 'utf8')).split('\n');
    assert.equal(vcf[0], '##fileformat=VCFv4.2');
    assert.equal(vcf.filter((line) => line.startsWith('chr1\t')).length, 2000);
    const csv = (await readFile(population, 'utf8')).split('\n');
    assert.deepEqual([csv[0], csv.length], ['district,year,cases', 202]);
    for (const file of [report, second, genetic, population]) assert.equal(await modeOf(file), 0o600, file);
  });

  it('digests a whole file with SHA-256, and refuses one that is not there', async () => {
    const file = path.join(temp.path, 'three-chunks.bin');
    // Larger than one read (64 KiB), so every chunk must be hashed.
    const content = Buffer.alloc(200_000, 7);
    content[199_999] = 8;
    await writeFile(file, content);
    assert.equal(await fileDigest(file), createHash('sha256').update(content).digest('hex'));
    await assert.rejects(fileDigest(path.join(temp.path, 'absent')), { code: 'ENOENT' });
  });
});
