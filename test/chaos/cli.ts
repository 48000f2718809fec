// npm run test:chaos -- [--seconds N] [--seed S] [--runs R] [--rate TX_PER_S] [--transfers] [--partitions] [--clocks] [--keep] [--quiet]
// Runs R fault soaks of real node processes (chaos.ts), seeds S, S+1, ...: each N seconds of
// crashes, clean stops and freezes under load (with --transfers, payloads declared from the
// hospital to the platform too; with --partitions, network partitions too; with --clocks, one
// node's wall clock skewed at a time), then every check. Prints one report per run as
// JSON, and exits 1 if any run broke an invariant (each violation is printed).
import '../../src/polyfill.js';
import { LIVE_CHILDREN } from '../helpers/child.js';
import { runChaos } from './chaos.js';

// Stopped by hand (Ctrl-C): a frozen node would never hear its standard input end, so every node
// is woken and killed before this process goes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of LIVE_CHILDREN) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    process.stderr.write(
      `stopped by ${signal}: nodes killed; the network's folder (/tmp/bayledger-e2e-*) is left\n`,
    );
    process.exit(130);
  });
}

interface CliOptions {
  seconds: number;
  firstSeed: number;
  runs: number;
  rate: number;
  transfers: boolean;
  partitions: boolean;
  clocks: boolean;
  keep: boolean;
  quiet: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run test:chaos -- [--seconds N] [--seed S] [--runs R] [--rate TX_PER_S] [--transfers] [--partitions] [--clocks] [--keep] [--quiet]\n`,
  );
  process.exit(2);
}

function wholeNumber(text: string | undefined, name: string, min: number): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < min) {
    usage(`${name} needs a whole number of at least ${min}`);
  }
  return value;
}

function parse(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    seconds: 120,
    firstSeed: 1,
    runs: 1,
    rate: 20,
    transfers: false,
    partitions: false,
    clocks: false,
    keep: false,
    quiet: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--seconds') options.seconds = wholeNumber(value, '--seconds', 1);
    else if (flag === '--seed') options.firstSeed = wholeNumber(value, '--seed', 0);
    else if (flag === '--runs') options.runs = wholeNumber(value, '--runs', 1);
    else if (flag === '--rate') options.rate = wholeNumber(value, '--rate', 1);
    else if (flag === '--partitions') {
      options.partitions = true;
      continue;
    } else if (flag === '--clocks') {
      options.clocks = true;
      continue;
    } else if (flag === '--transfers') {
      options.transfers = true;
      continue;
    } else if (flag === '--keep') {
      options.keep = true;
      continue;
    } else if (flag === '--quiet') {
      options.quiet = true;
      continue;
    } else usage(`unknown argument ${flag}`);
    i++;
  }
  return options;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  let failures = 0;
  for (let i = 0; i < options.runs; i++) {
    const seed = options.firstSeed + i;
    const started = Date.now();
    const report = await runChaos({
      seed,
      durationMs: options.seconds * 1000,
      ratePerSecond: options.rate,
      transfers: options.transfers,
      partitions: options.partitions,
      clocks: options.clocks,
      keep: options.keep,
      keepOnFailure: true,
      say: options.quiet ? undefined : (line) => process.stderr.write(`seed ${seed}: ${line}\n`),
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    process.stdout.write(`${JSON.stringify({ ...report, wallSeconds: Number(seconds) })}\n`);
    if (report.violations.length > 0) {
      failures++;
      process.stdout.write(`FAIL seed ${seed}:\n${report.violations.map((v) => `  ${v}`).join('\n')}\n`);
      const flags = [
        options.transfers ? ' --transfers' : '',
        options.partitions ? ' --partitions' : '',
        options.clocks ? ' --clocks' : '',
      ].join('');
      process.stdout.write(
        `  replay: npm run test:chaos -- --seed ${seed} --seconds ${options.seconds} --rate ${options.rate}${flags}\n`,
      );
    }
  }
  process.stdout.write(`${options.runs - failures}/${options.runs} chaos runs passed\n`);
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
