import { appVersion } from '../core/host/cli.ts';
import { CliError, PROGRAM, type CliIo, type Command } from './command.ts';
import { commands } from './commands/index.ts';
import { errorMessage } from '#shared/error-message.ts';

/** The top-level --help text. */
export function topHelp(list: readonly Command[] = commands): string {
  const width = Math.max(...list.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Explore and steer the features of sparse autoencoders, from the command line.',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (also: <command> --help)',
    '  -v, --version  Print the version',
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

/**
 * Runs the CLI on `argv` (without node and script) and resolves with the exit code.
 * Errors are printed as one `error: ...` line; nothing throws out of here.
 */
export async function runCli(argv: readonly string[], io: CliIo, list: readonly Command[] = commands): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr(topHelp(list));
      return 2;
    }
    if (first === '--help' || first === '-h') {
      io.stdout(topHelp(list));
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout(`${appVersion}\n`);
      return 0;
    }
    if (first === 'help') {
      const target = rest[0] === undefined ? undefined : find(list, rest[0]);
      io.stdout(target ? target.help() : topHelp(list));
      return 0;
    }
    const command = find(list, first);
    const output = await command.execute(rest, io);
    if (output) io.stdout(output);
    return 0;
  } catch (e) {
    const message = errorMessage(e);
    io.stderr(`error: ${message.split('\n')[0]}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  }
}

function find(list: readonly Command[], name: string): Command {
  const command = list.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"`;
    throw new CliError(`${what} (run '${PROGRAM} --help' for the list)`, 2);
  }
  return command;
}
