/**
 * How every CLI command reaches core: one createCore per command run (host `cli`, so any path
 * on the command line may be opened), closed when the command ends; then `core.request(...)`
 * or a service (`core.index`, `core.health`, ...) as the app's handlers use them.
 */
import { createCore } from '../core/host/core.ts';
import { InputFileError, type Core } from '../core/host/cli.ts';
import type { PayloadInput, RequestName, ResultOf } from '#shared/contract.ts';
import { AppError } from '#shared/reply.ts';
import { CliError } from './command.ts';

/** How a command opens core. */
export interface CliCoreOptions {
  /**
   * Create the data folder when it is missing (default false: commands that read only files
   * named on their command line leave no folder behind; those that write into it pass true).
   */
  readonly create?: boolean;
}

/** Runs `f` on a core for the data folder `--data` names (else $SAE_EXPLORER_DATA, else the OS default); closes it after. */
export async function withCore<T>(data: string | undefined, f: (core: Core) => T | Promise<T>, options: CliCoreOptions = {}): Promise<T> {
  const core = createCore({ host: 'cli', data: { flag: data }, createDataDir: options.create ?? false });
  try {
    return await f(core);
  } finally {
    await core.close();
  }
}

/** Sends one request on `core`; a failed reply becomes a one-line CLI error (exit 1). */
export async function request<K extends RequestName>(core: Core, name: K, payload?: PayloadInput<K>): Promise<ResultOf<K>> {
  const reply = await core.request(name, payload);
  if (!reply.ok) throw new CliError(reply.error.message);
  return reply.value;
}

/**
 * Runs core code, turning its AppErrors into one-line CLI errors: a `bad_request` is a usage
 * error (exit 2) unless it is about an input file's content (InputFileError: exit 1).
 */
export async function cliErrors<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, e.code === 'bad_request' && !(e instanceof InputFileError) ? 2 : 1);
    throw e;
  }
}
