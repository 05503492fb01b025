/** Test helper: the CLI run in-process, with what it prints captured. */
import type { CliIo } from '../../cli/command.ts';
import { runCli } from '../../cli/main.ts';

/** A finished CLI run: its exit code and everything it printed. */
export interface CapturedRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `sae-explorer ...argv` in this process (no abort signal) and captures stdout and stderr. */
export async function runCliCaptured(...argv: string[]): Promise<CapturedRun> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), signal: new AbortController().signal };
  const code = await runCli(argv, io);
  return { code, out, err };
}
