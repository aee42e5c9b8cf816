/** `qdc`: dispatches to a subcommand, prints help, and turns known errors into clean exits. */
import { ConfigError } from '../config.js';
import { isDomainError } from '../errors.js';
import { helpText, parseCommandArgs, UsageError, type Command } from './command.js';
import { exportCommand } from './commands/export.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { serveCommand } from './commands/serve.js';
import { workerCommand } from './commands/worker.js';
import { computeCommand } from './commands/compute.js';
import { datasetsCommand } from './commands/datasets.js';
import { embedCommand } from './commands/embed.js';
import { metricsCommand } from './commands/metrics.js';
import { tintCommand } from './commands/tint.js';
import { runsCommand } from './commands/runs.js';
import { lineageCommand } from './commands/lineage.js';
import { compareCommand } from './commands/compare.js';
import { searchCommand } from './commands/search.js';
import { overlapCommand } from './commands/overlap.js';
import { scoresCommand } from './commands/scores.js';
import { backupCommand, restoreCommand } from './commands/backup.js';

const COMMANDS: Command[] = [
  serveCommand,
  workerCommand,
  migrateCommand,
  keysCommand,
  datasetsCommand,
  ingestCommand,
  exportCommand,
  computeCommand,
  embedCommand,
  metricsCommand,
  tintCommand,
  runsCommand,
  lineageCommand,
  compareCommand,
  searchCommand,
  overlapCommand,
  scoresCommand,
  backupCommand,
  restoreCommand,
];

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'qdc: catalog of LLM-generated training data with Quality/Diversity/Complexity metrics.',
    '',
    'Usage: qdc <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run "qdc <command> --help" for a command\'s options.',
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    const { VERSION } = await import('../app.js');
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`qdc: unknown command "${name}"\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`qdc ${command.name}: ${error.message}\n\n${helpText(command)}`);
      return 2;
    }
    if (error instanceof ConfigError || isDomainError(error)) {
      process.stderr.write(`qdc ${command.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
