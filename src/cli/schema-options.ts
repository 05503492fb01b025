/**
 * Command-line options checked by the very zod schemas the API validates its payloads with,
 * so the CLI accepts exactly what a request would (`--top-p 2` is refused by both), and a
 * refusal names the option as the user typed it.
 */
import type { z } from 'zod';
import { generationSettingsSchema, type GenerationSettings } from '#shared/steer-types.ts';
import { CliError } from './command.ts';

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** One payload field from the command line: its option name, the raw value, and whether it is a number. */
export interface OptionField {
  readonly flag: string;
  readonly value: string | undefined;
  readonly number?: boolean;
}

/** A number option's field. */
export function numberField(flag: string, value: string | undefined): OptionField {
  return { flag, value, number: true };
}

/** A text option's field. */
export function textField(flag: string, value: string | undefined): OptionField {
  return { flag, value };
}

/**
 * Builds a payload from option values (absent ones left out, numbers converted) plus `fixed`
 * fields, parses it with `schema` and returns the parsed payload; a problem is a usage error
 * (exit 2) naming the option: `--top-p: Too big: expected number to be <=1 (got 2)`.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  fields: Readonly<Record<string, OptionField>>,
  fixed: Readonly<Record<string, unknown>> = {},
): z.output<S> {
  const payload: Record<string, unknown> = { ...fixed };
  for (const [key, f] of Object.entries(fields)) {
    if (f.value === undefined) continue;
    if (f.number && !NUMBER.test(f.value.trim())) throw new CliError(`--${f.flag} must be a number, got "${f.value}"`, 2);
    payload[key] = f.number ? Number(f.value) : f.value;
  }
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path[0];
  const field = typeof key === 'string' ? fields[key] : undefined;
  const where = field ? `--${field.flag}` : issue.path.length ? issue.path.map(String).join('.') : 'options';
  const got = field?.value !== undefined ? ` (got ${field.value})` : '';
  throw new CliError(`${where}: ${issue.message}${got}`, 2);
}

/**
 * Parses an already-built value with `schema`; a problem is a usage error naming the option
 * `flags` maps its first key to (`{ topP: 'top-p' }`).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, flags: Readonly<Record<string, string>>): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path[0];
  const flag = typeof key === 'string' && Object.hasOwn(flags, key) ? flags[key] : undefined;
  const got =
    flag !== undefined && value && typeof value === 'object'
      ? ` (got ${JSON.stringify((value as Record<string, unknown>)[key as string])})`
      : '';
  throw new CliError(`${flag !== undefined ? `--${flag}` : issue.path.map(String).join('.') || 'options'}: ${issue.message}${got}`, 2);
}

/** The option each generation setting comes from. */
const SETTING_FLAGS = { maxNewTokens: 'max-new-tokens', temperature: 'temperature', topK: 'top-k', topP: 'top-p', seed: 'seed' };

/**
 * The steer command's generation settings, checked by the schema `steer.run` checks them
 * with; `given` are the sampling options as typed, checked even where greedy decoding
 * ignores them (`--top-p 2` is refused, as the API refuses it).
 */
export function generationSettingsOption(
  settings: GenerationSettings,
  given: Readonly<Partial<Record<'temperature' | 'topK' | 'topP' | 'seed', number | undefined>>> = {},
): GenerationSettings {
  const typed = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  parseWith(generationSettingsSchema, { ...settings, ...typed }, SETTING_FLAGS);
  return parseWith(generationSettingsSchema, settings, SETTING_FLAGS);
}
