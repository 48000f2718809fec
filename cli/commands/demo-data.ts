// Synthetic records for the demo, generated locally in a temporary folder (mode 0600): nothing in
// them is real or identifies anybody. The imaging study has the DICOM Part 10 file layout
// (PS3.10 section 7.1: a 128-byte preamble and "DICM") followed by noise standing in for pixel
// data, so it does not compress and the payload channel moves its full size.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileWriteError } from '../../src/node/file-read-error.js';
import { writeOutputFile } from '../output-file.js';

const MIB = 1024 * 1024;
const PRIVATE_FILE_MODE = 0o600;

export async function writeImagingStudy(directory: string, sizeMiB: number): Promise<string> {
  const file = path.join(directory, 'synthetic-ct-study.dcm');
  let handle: FileHandle;
  try {
    handle = await open(file, 'w', PRIVATE_FILE_MODE);
  } catch (error) {
    throw fileWriteError(error, file, 'demo imaging study') ?? error;
  }
  try {
    const head = new Uint8Array(132);
    head.set(Buffer.from('DICM', 'ascii'), 128);
    await handle.write(head);
    let remaining = sizeMiB * MIB - head.byteLength;
    while (remaining > 0) {
      const block = randomBytes(Math.min(MIB, remaining));
      await handle.write(block);
      remaining -= block.byteLength;
    }
  } catch (error) {
    await handle.close();
    await rm(file, { force: true });
    throw fileWriteError(error, file, 'demo imaging study') ?? error;
  }
  await handle.close();
  return file;
}

async function writeText(directory: string, name: string, text: string): Promise<string> {
  const file = path.join(directory, name);
  await writeOutputFile(file, text, 'demo record', { mode: PRIVATE_FILE_MODE });
  return file;
}

export function writeRadiologyReport(
  directory: string,
  name = 'synthetic-radiology-report.pdf',
): Promise<string> {
  const lines = Array.from({ length: 400 }, (_, i) => `% synthetic finding line ${i}: no patient data\n`);
  return writeText(
    directory,
    name,
    `%PDF-1.4\n% bayledger demo: synthetic radiology report\n${lines.join('')}%%EOF\n`,
  );
}

export function writeGeneticResult(directory: string): Promise<string> {
  const header =
    '##fileformat=VCFv4.2\n##source=bayledger-demo-synthetic\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n';
  const rows = Array.from(
    { length: 2000 },
    (_, i) => `chr1\t${10_000 + i * 37}\t.\tA\tG\t50\tPASS\tSYNTHETIC\n`,
  );
  return writeText(directory, 'synthetic-genetic-test.vcf', header + rows.join(''));
}

export function writePopulationData(directory: string): Promise<string> {
  const rows = Array.from({ length: 200 }, (_, i) => `district-${i % 10},2025,${(i * 7919) % 1000}\n`);
  return writeText(directory, 'synthetic-population-health.csv', `district,year,cases\n${rows.join('')}`);
}

/** SHA-256 of a file, streamed. */
export function fileDigest(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
