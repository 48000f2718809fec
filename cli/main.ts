// The `bayledger` command. The polyfill comes first: the libp2p stack needs it on Node 20
// (see src/polyfill.ts), and later commands load that stack.
import '../src/polyfill.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerChainCommands } from './commands/chain.js';
import { registerConsentCommands } from './commands/consent.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerNodeCommands } from './commands/node.js';
import { registerProofCommands } from './commands/proof.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerUpCommand } from './commands/up.js';
import { type CommandRegistration, runProgram } from './program.js';

// To add a command: write cli/commands/<name>.ts exporting a CommandRegistration
// ((program) => void), then add ONE line to this list; its order is the order in `--help`.
// Keep registration files light and import the implementation inside the action (see
// commands/network.ts), so `bayledger --help` never loads libp2p or LevelDB. Print results
// with printResult from cli/output.ts (table, or JSON with --json). Usage errors:
// fail('USAGE', ...) exits 2; any other BayledgerError exits 1 with one line on stderr.
const COMMANDS: readonly CommandRegistration[] = [
  registerKeysCommands,
  registerNetworkCommands,
  registerChainCommands,
  registerProofCommands,
  registerNodeCommands,
  registerUpCommand,
  registerConsentCommands,
  registerTransferCommands,
  registerAuditCommands,
  registerEvidenceCommands,
  registerDemoCommand,
];

// runProgram always settles, also for a command that would wait forever on an event that cannot
// come (see runProgram): this top-level await never leaves Node's silent exit code 13.
process.exitCode = await runProgram(COMMANDS, process.argv);
