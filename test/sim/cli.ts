// npm run test:sim -- [--seeds N] [--seed S] [--validators V] [--profile mixed|targeted|split-brain]
//                     [--ledger sim|real] [--bug ignore-lock|quorum-is-f] [--trace]
// Runs N seeded scenarios starting at seed S (default 1), or replays one with --seed S alone.
// Without --validators, seeds cycle through 4, 7 and 10 validators. Exits 1 on any violation
// and prints the command that replays it.
import '../../src/polyfill.js';
import type { ConsensusBugFlags } from '../../src/core/consensus/types.js';
import type { ScenarioProfile } from './scenario.js';
import { runScenario } from './simulator.js';

interface CliOptions {
  seeds: number;
  firstSeed: number;
  validators: number | null;
  bugs: ConsensusBugFlags;
  profile: ScenarioProfile;
  ledger: 'sim' | 'real';
  trace: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run test:sim -- [--seeds N] [--seed S] [--validators 4|7|10] [--profile mixed|targeted|split-brain] [--ledger sim|real] [--bug ignore-lock|quorum-is-f] [--trace]\n`,
  );
  process.exit(2);
}

function positiveInteger(text: string | undefined, name: string): number {
  const value = Number(text);
  if (text === undefined || !Number.isSafeInteger(value) || value < 0) usage(`${name} needs a whole number`);
  return value;
}

function parse(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    seeds: 1,
    firstSeed: 1,
    validators: null,
    bugs: {},
    profile: 'mixed',
    ledger: 'sim',
    trace: false,
  };
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--seeds') {
      options.seeds = positiveInteger(value, '--seeds');
      seedsGiven = true;
      i++;
    } else if (flag === '--seed') {
      options.firstSeed = positiveInteger(value, '--seed');
      i++;
    } else if (flag === '--validators') {
      options.validators = positiveInteger(value, '--validators');
      if (options.validators < 1 || options.validators > 100) usage('--validators must be 1 to 100');
      i++;
    } else if (flag === '--bug') {
      if (value === 'ignore-lock') options.bugs = { ...options.bugs, ignoreLockWhenPrevoting: true };
      else if (value === 'quorum-is-f') options.bugs = { ...options.bugs, quorumIsF: true };
      else usage(`unknown bug ${value}`);
      i++;
    } else if (flag === '--profile') {
      if (value !== 'mixed' && value !== 'targeted' && value !== 'split-brain')
        usage(`unknown profile ${value}`);
      options.profile = value;
      i++;
    } else if (flag === '--ledger') {
      if (value !== 'sim' && value !== 'real') usage(`unknown ledger ${value}`);
      options.ledger = value;
      i++;
    } else if (flag === '--trace') {
      options.trace = true;
    } else {
      usage(`unknown argument ${flag}`);
    }
  }
  if (!seedsGiven) options.seeds = 1;
  return options;
}

const SIZES = [4, 7, 10] as const;

function main(): void {
  const options = parse(process.argv.slice(2));
  const started = performance.now();
  let failures = 0;
  for (let i = 0; i < options.seeds; i++) {
    const seed = options.firstSeed + i;
    const validatorCount = options.validators ?? SIZES[seed % SIZES.length]!;
    const result = runScenario({
      seed,
      validatorCount,
      bugs: options.bugs,
      profile: options.profile,
      ledger: options.ledger,
      trace: options.trace ? (line) => process.stdout.write(`${line}\n`) : undefined,
    });
    const { stats, scenario } = result;
    const byzantine =
      [...scenario.byzantine].map(([index, behaviour]) => `v${index}:${behaviour}`).join(',') || '-';
    const summary = `seed ${seed} n=${validatorCount} byz=${byzantine} gst=${scenario.gstMs} height=${stats.committedHeight} sim=${stats.simulatedMs}ms events=${stats.events} sigs=${stats.signatureChecks} rejected=${stats.rejectedMessages} evidence=${stats.evidence}`;
    if (result.violations.length === 0) {
      process.stdout.write(`ok   ${summary}\n`);
      continue;
    }
    failures++;
    process.stdout.write(`FAIL ${summary}\n`);
    for (const violation of result.violations) {
      process.stdout.write(`     ${violation.kind} at ${violation.atMs} ms: ${violation.message}\n`);
    }
    process.stdout.write(`     replay: ${result.replay}\n`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${options.seeds - failures}/${options.seeds} scenarios passed in ${seconds} s\n`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main();
