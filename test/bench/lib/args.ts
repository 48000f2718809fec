// Command line of `npm run bench -- [options]`.
export interface BenchArgs {
  /** Benchmarks to run by name; all when empty. */
  readonly only: readonly string[];
  readonly list: boolean;
  readonly sampleMs: number;
  readonly samples: number;
  readonly outputPath: string;
}

export const USAGE = `usage: npm run bench -- [--only NAME[,NAME]] [--list] [--sample-ms MS] [--samples N] [--out FILE]
  --only       run only these benchmarks (see --list)
  --list       print the registered benchmarks and exit
  --sample-ms  length of one measurement sample (default 1000)
  --samples    samples per figure; the median is reported (default 3)
  --out        where to write the JSON results (default bench-results.json)`;

function positiveInteger(text: string | undefined, option: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${option} needs a positive integer`);
  return value;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  let only: string[] = [];
  let list = false;
  let sampleMs = 1000;
  let samples = 3;
  let outputPath = 'bench-results.json';
  for (let index = 0; index < argv.length; index++) {
    const option = argv[index]!;
    const value = (): string | undefined => argv[++index];
    if (option === '--only') only = (value() ?? '').split(',').filter((name) => name.length > 0);
    else if (option === '--list') list = true;
    else if (option === '--sample-ms') sampleMs = positiveInteger(value(), option);
    else if (option === '--samples') samples = positiveInteger(value(), option);
    else if (option === '--out') outputPath = value() ?? outputPath;
    else throw new Error(`unknown option ${option}`);
  }
  return { only, list, sampleMs, samples, outputPath };
}
