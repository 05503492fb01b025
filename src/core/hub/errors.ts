/**
 * The hub's failures as errors a user can act on. The hub says what went wrong in the
 * `X-Error-Code` / `X-Error-Message` headers (RepoNotFound, GatedRepo, EntryNotFound,
 * RevisionNotFound), as huggingface_hub's `hf_raise_for_status` reads them.
 */
import { AppError } from '#shared/reply.ts';
import type { HubConfig } from './env.ts';
import { errorMessage } from '#shared/error-message.ts';

/** The hub could not be reached at all (or answered 5xx): the cache may answer instead. */
export class HubUnreachableError extends AppError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** What was asked when the hub said no. */
export interface HubAsk {
  readonly repo: string;
  readonly revision: string;
  /** The file or folder inside the repo, when one was named. */
  readonly file?: string;
}

/** Where the token came from, in words (never the token). */
export function tokenWords(source: HubConfig['tokenSource'], file: string): string {
  if (source === 'env') return 'the token from HF_TOKEN';
  if (source === 'settings') return 'the token saved in the app';
  if (source === 'file') return `the token in ${file}`;
  return 'no token';
}

const INVALID_CREDENTIALS = /invalid (credentials|username or password)/i;

/** Turns a failed hub response into an AppError naming the repo, revision or file and what to do. */
export async function hubHttpError(
  res: Response,
  ask: HubAsk,
  config: Pick<HubConfig, 'endpoint' | 'tokenSource' | 'tokenFile'>,
): Promise<AppError> {
  const code = res.headers.get('x-error-code') ?? '';
  let message = res.headers.get('x-error-message') ?? '';
  if (!message) {
    try {
      const body = (await res.text()).slice(0, 2000);
      try {
        const j = JSON.parse(body) as { error?: unknown };
        message = typeof j.error === 'string' ? j.error : body;
      } catch {
        message = body;
      }
    } catch {
      // no body
    }
  }
  message = message.split('\n')[0]?.trim().slice(0, 300) ?? '';
  const repoUrl = `${config.endpoint}/${ask.repo}`;
  const token = tokenWords(config.tokenSource, config.tokenFile);
  const hasToken = config.tokenSource !== null;
  const at = ask.revision === 'main' ? '' : ` at revision "${ask.revision}"`;

  if (res.status === 401 && INVALID_CREDENTIALS.test(message)) {
    return new AppError(
      'unauthorized',
      `${config.endpoint} rejected ${token}: ${message || 'invalid credentials'}; set a valid token (HF_TOKEN, \`huggingface-cli login\`, or the Models screen)`,
    );
  }
  if (code === 'GatedRepo') {
    return new AppError(
      hasToken ? 'forbidden' : 'unauthorized',
      hasToken
        ? `"${ask.repo}" is a gated repository and ${token} has no access to it: accept its conditions at ${repoUrl} with that account`
        : `"${ask.repo}" is a gated repository: accept its conditions at ${repoUrl}, then set a token of that account (HF_TOKEN, \`huggingface-cli login\`, or the Models screen)`,
    );
  }
  if (code === 'RepoNotFound' || (res.status === 401 && !code)) {
    return new AppError(
      'not_found',
      hasToken
        ? `repository "${ask.repo}" not found on ${config.endpoint}, or ${token} has no access to it`
        : `repository "${ask.repo}" not found on ${config.endpoint} (if it is private, set a token: HF_TOKEN, \`huggingface-cli login\`, or the Models screen)`,
    );
  }
  if (code === 'RevisionNotFound') return new AppError('not_found', `revision "${ask.revision}" not found in "${ask.repo}"`);
  if (code === 'EntryNotFound' || res.status === 404) {
    return new AppError('not_found', `"${ask.file ?? ''}" not found in "${ask.repo}"${at}`);
  }
  if (res.status === 403) {
    return new AppError('forbidden', `${config.endpoint} refused access to "${ask.repo}" with ${token}${message ? `: ${message}` : ''}`);
  }
  if (res.status === 429) return new HubUnreachableError(`${config.endpoint} is rate-limiting requests (429); try again later`);
  if (res.status >= 500)
    return new HubUnreachableError(`${config.endpoint} failed (${res.status}${message ? `: ${message}` : ''}) on "${ask.repo}"`);
  return new AppError(
    'bad_request',
    `${config.endpoint} answered ${res.status} for "${ask.repo}"${ask.file ? ` "${ask.file}"` : ''}${message ? `: ${message}` : ''}`,
  );
}

/** Turns a fetch that threw (no answer at all) into an error; aborts pass through unchanged. */
export function networkError(e: unknown, endpoint: string, signal?: AbortSignal): Error {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new AppError('cancelled', 'cancelled');
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? errorMessage(e);
  return new HubUnreachableError(`cannot reach ${endpoint} (${why})`);
}
