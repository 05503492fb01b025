import { parseArgs } from 'node:util';
import { outputText, type CommandOutput } from './output.ts';
import { errorMessage } from '#shared/error-message.ts';

/** One option of a command, as node:util parseArgs takes it plus help text. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** One line for --help. */
  readonly description: string;
  /** The placeholder shown in --help, e.g. DIR (string options). */
  readonly valueName?: string;
}

/** The options of a command by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed option values, typed from the specs. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]: O[K]['type'] extends 'boolean'
    ? O[K]['multiple'] extends true
      ? boolean[] | undefined
      : boolean | undefined
    : O[K]['multiple'] extends true
      ? string[] | undefined
      : string | undefined;
};

/** Where a command writes, and the signal that asks a long-running command to stop. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Aborted on SIGINT/SIGTERM (long-running commands such as `serve` stop on it). */
  readonly signal: AbortSignal;
}

/** What a command's run gets. */
export interface RunContext<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
  /** True with --json: print machine-readable output only. */
  readonly json: boolean;
  readonly io: CliIo;
}

export type { CommandOutput } from './output.ts';

/** A command as written in src/cli/commands/<name>.ts. */
export interface CommandSpec<O extends OptionSpecs> {
  /** The word after `sae-explorer`, e.g. `status`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Arguments after the name for the usage line, e.g. `[--port N] FILE`. */
  readonly usage?: string;
  /** Paragraphs for --help, below the usage line. */
  readonly description?: string;
  readonly options: O;
  /** Positional arguments taken: none unless set. */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** Adds `--json`: run returns data and the CLI prints it as JSON. */
  readonly json?: boolean;
  /** Does the work; returns output to print, or nothing when it printed itself. */
  run(ctx: RunContext<O>): Promise<CommandOutput | void>;
}

/** A registered command with its types erased, as the registry holds it. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The full --help text. */
  help(): string;
  /**
   * Parses argv (after the command name) and runs; resolves with the text to print (JSON
   * with --json), or nothing when the command printed itself. Throws CliError on failure.
   */
  execute(argv: readonly string[], io: CliIo): Promise<string | void>;
  readonly json: boolean;
}

/** A failure to report as `error: <message>` with a non-zero exit. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    /** 2 for usage errors, 1 for everything else. */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The name the CLI is invoked by in help texts. */
export const PROGRAM = 'sae-explorer';

const helpOption = { type: 'boolean', short: 'h', description: 'Show this help.' } as const satisfies OptionSpec;
const jsonOption = { type: 'boolean', description: 'Print machine-readable JSON.' } as const satisfies OptionSpec;

/** The `--data DIR` option, shared by every command that opens core. */
export const dataOption = {
  type: 'string',
  valueName: 'DIR',
  description: 'Data folder (default: $SAE_EXPLORER_DATA, else the OS app-data folder).',
} as const satisfies OptionSpec;

/** Turns a command spec into a registered command (parsing, --help, --json handled here). */
export function defineCommand<O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const all: OptionSpecs = { ...spec.options, ...(spec.json ? { json: jsonOption } : {}), help: helpOption };
  return {
    name: spec.name,
    summary: spec.summary,
    json: spec.json ?? false,
    help: () => commandHelp(spec, all),
    async execute(argv, io) {
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({ args: joinNegativeValues(argv, all), options: all, strict: true, allowPositionals: true });
      } catch (e) {
        // parseArgs appends a paragraph about '--' to unknown-option errors; one line is enough.
        const message = errorMessage(e).split('. To specify')[0];
        throw new CliError(`${message} (see '${PROGRAM} ${spec.name} --help')`, 2);
      }
      if (parsed.values['help']) {
        io.stdout(commandHelp(spec, all));
        return;
      }
      const { min, max } = spec.positionals ?? { min: 0, max: 0 };
      const n = parsed.positionals.length;
      if (n < min || n > max) {
        const extra = n > max ? `unexpected argument "${parsed.positionals[max]}"` : 'missing argument';
        throw new CliError(`${extra} (see '${PROGRAM} ${spec.name} --help')`, 2);
      }
      const json = parsed.values['json'] === true;
      const output = await spec.run({
        // parseArgs validated every value against `all`, whose types OptionValues<O> mirrors.
        values: parsed.values as OptionValues<O>,
        positionals: parsed.positionals,
        json,
        io,
      });
      return output ? outputText(output, json) : undefined;
    },
  };
}

/**
 * `--lo -2` as `--lo=-2`: parseArgs calls a value starting with a dash ambiguous, but after an
 * option that takes a value a negative number can only be that value.
 */
export function joinNegativeValues(argv: readonly string[], options: OptionSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === '--') return [...out, ...argv.slice(i)];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(?:\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function commandHelp(spec: CommandSpec<OptionSpecs>, options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    return [flag, o.description + (o.multiple ? ' Repeatable.' : '')] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [
    `Usage: ${PROGRAM} ${spec.name}${spec.usage ? ` ${spec.usage}` : ''}`,
    '',
    spec.summary,
    ...(spec.description ? ['', spec.description] : []),
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`),
    '',
  ].join('\n');
}

/** Parses a TCP port option (0 = any free port). */
export function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--port must be a number from 0 to 65535, got "${value}"`, 2);
  return n;
}
