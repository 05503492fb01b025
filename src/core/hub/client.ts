/**
 * The few hub endpoints a pull needs, spoken as huggingface_hub speaks them:
 * `GET /api/models/{repo}/revision/{rev}` (the commit), `GET /api/models/{repo}/tree/{rev}/{path}`
 * (a folder's files, paginated by `Link: <…>; rel="next"`), and `HEAD /{repo}/resolve/{rev}/{file}`
 * without following the redirect to the CDN, to read `X-Repo-Commit`, `X-Linked-Etag`,
 * `X-Linked-Size` and `Location`.
 */
import { AppError } from '#shared/reply.ts';
import type { HubConfig } from './env.ts';
import { hubHttpError, networkError, type HubAsk } from './errors.ts';
import { checkCommit, checkEtag, checkListedPath } from './safe-names.ts';

/** What a HEAD on a file's resolve URL tells. */
export interface FileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  readonly commit: string;
  /** sha256 for LFS files (`X-Linked-Etag`), the git blob sha1 otherwise (`ETag`), quotes stripped; always 40 or 64 hex digits. */
  readonly etag: string;
  readonly size: number;
  /** Where to GET the bytes: the CDN for LFS files, the resolve URL otherwise. */
  readonly location: string;
  /** Stored with git LFS (the hub sent X-Linked-Etag). */
  readonly lfs: boolean;
}

/** One file or folder of a tree listing. */
export interface TreeEntry {
  readonly type: 'file' | 'directory';
  /** Path inside the repo. */
  readonly path: string;
  readonly size: number | null;
  /** git blob sha1. */
  readonly oid: string | null;
  /** LFS files: their sha256 and size. */
  readonly lfs: { readonly oid: string; readonly size: number } | null;
}

/** Strips the quotes (and a weak marker) off an ETag header. */
export function normalizeEtag(etag: string | null): string | null {
  if (etag === null) return null;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

const quotePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

/** A client for one endpoint and token. */
export class HubClient {
  readonly #config: Pick<HubConfig, 'endpoint' | 'token' | 'tokenSource' | 'tokenFile'>;
  readonly #origin: string;

  constructor(config: Pick<HubConfig, 'endpoint' | 'token' | 'tokenSource' | 'tokenFile'>) {
    this.#config = config;
    this.#origin = new URL(config.endpoint).origin;
  }

  get endpoint(): string {
    return this.#config.endpoint;
  }

  /** `{endpoint}/{repo}/resolve/{revision}/{file}`. */
  resolveUrl(repo: string, revision: string, file: string): string {
    return `${this.#config.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${quotePath(file)}`;
  }

  /**
   * Headers for a URL: the token only goes to the endpoint's own origin (a CDN gets
   * presigned URLs and must not see it).
   */
  headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'sae-explorer (huggingface_hub-compatible)', ...extra };
    if (this.#config.token && new URL(url).origin === this.#origin) h['authorization'] = `Bearer ${this.#config.token}`;
    return h;
  }

  /** fetch with the hub's headers; network failures become HubUnreachableError, aborts stay aborts. */
  async fetch(
    url: string,
    init: { method?: string; headers?: Record<string, string>; redirect?: 'follow' | 'manual' | 'error'; signal?: AbortSignal },
  ): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: this.headers(url, init.headers) });
    } catch (e) {
      throw networkError(e, this.#config.endpoint, init.signal);
    }
  }

  async #json<T>(url: string, ask: HubAsk, signal?: AbortSignal): Promise<{ value: T; res: Response }> {
    const res = await this.fetch(url, { signal });
    if (!res.ok) throw await hubHttpError(res, ask, this.#config);
    try {
      return { value: (await res.json()) as T, res };
    } catch (e) {
      if (signal?.aborted) throw networkError(e, this.#config.endpoint, signal);
      throw new AppError('internal', `${this.#config.endpoint} sent an unreadable answer for "${ask.repo}" (${(e as Error).message})`);
    }
  }

  /** The commit a revision points at (`sha` of the model info). */
  async commitOf(repo: string, revision: string, signal?: AbortSignal): Promise<string> {
    const url = `${this.#config.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
    const { value } = await this.#json<{ sha?: unknown }>(url, { repo, revision }, signal);
    if (typeof value.sha !== 'string') {
      throw new AppError('unavailable', `${this.#config.endpoint} gave no commit for "${repo}" at "${revision}"`);
    }
    checkCommit(value.sha, repo, this.#config.endpoint, `revision "${revision}"`);
    return value.sha;
  }

  /**
   * The files and folders under `dir` ('' = the root), recursively or not, following
   * pagination. `shown` is the revision named in errors (the user's, when `revision` is its commit).
   */
  async tree(
    repo: string,
    revision: string,
    dir: string,
    recursive: boolean,
    signal?: AbortSignal,
    shown = revision,
  ): Promise<TreeEntry[]> {
    const tail = dir ? `/${quotePath(dir)}` : '';
    let url: string | null =
      `${this.#config.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}${tail}?recursive=${recursive}&expand=false`;
    const out: TreeEntry[] = [];
    for (let page = 0; url && page < 10_000; page++) {
      const { value, res }: { value: unknown; res: Response } = await this.#json<unknown>(
        url,
        { repo, revision: shown, file: dir },
        signal,
      );
      if (!Array.isArray(value))
        throw new AppError('internal', `${this.#config.endpoint} sent a tree listing that is not a list for "${repo}"`);
      for (const raw of value as Record<string, unknown>[]) {
        const entry = treeEntry(raw);
        // listed paths become paths in the cache: one that leads elsewhere spoils the listing
        checkListedPath(entry.path, repo, this.#config.endpoint);
        out.push(entry);
      }
      url = nextLink(res.headers.get('link'), url);
    }
    return out;
  }

  /**
   * HEADs a file's resolve URL as huggingface_hub does: relative redirects (a renamed repo)
   * are followed, the absolute one to the CDN is not — its Location is where the bytes are.
   */
  async metadata(repo: string, revision: string, file: string, signal?: AbortSignal, shown = revision): Promise<FileMetadata> {
    let url = this.resolveUrl(repo, revision, file);
    const ask = { repo, revision: shown, file };
    for (let hop = 0; hop < 10; hop++) {
      const res = await this.fetch(url, { method: 'HEAD', headers: { 'accept-encoding': 'identity' }, redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && isRelative(location)) {
        url = new URL(location, url).toString();
        continue;
      }
      if (res.status >= 400) throw await hubHttpError(res, ask, this.#config);
      const commit = res.headers.get('x-repo-commit');
      const linked = normalizeEtag(res.headers.get('x-linked-etag'));
      const etag = linked ?? normalizeEtag(res.headers.get('etag'));
      const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length'));
      if (!commit) throw new AppError('internal', `${this.#config.endpoint} sent no X-Repo-Commit for "${file}" in "${repo}"`);
      if (!etag)
        throw new AppError('internal', `${this.#config.endpoint} sent no ETag for "${file}" in "${repo}"; cannot store it in the cache`);
      if (!Number.isFinite(size) || size < 0)
        throw new AppError('internal', `${this.#config.endpoint} sent no size for "${file}" in "${repo}"`);
      // the etag names the blob file and the commit a snapshot folder: both must be plain hashes
      checkEtag(etag, file, repo, this.#config.endpoint);
      checkCommit(commit, repo, this.#config.endpoint, `"${file}"`);
      const target = res.status >= 300 && location ? new URL(location, url).toString() : url;
      return { commit, etag, size, location: target, lfs: linked !== null };
    }
    throw new AppError('internal', `too many redirects resolving "${file}" in "${repo}"`);
  }
}

function isRelative(location: string): boolean {
  try {
    new URL(location);
    return false;
  } catch {
    return true;
  }
}

function treeEntry(raw: Record<string, unknown>): TreeEntry {
  const lfs = raw['lfs'] as { oid?: unknown; size?: unknown } | undefined;
  return {
    type: raw['type'] === 'directory' ? 'directory' : 'file',
    path: String(raw['path'] ?? ''),
    size: typeof raw['size'] === 'number' ? raw['size'] : null,
    oid: typeof raw['oid'] === 'string' ? raw['oid'] : null,
    lfs: lfs && typeof lfs.oid === 'string' ? { oid: lfs.oid, size: Number(lfs.size) } : null,
  };
}

/** The `rel="next"` URL of a Link header, resolved against the current URL. */
export function nextLink(header: string | null, current: string): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return new URL(m[1], current).toString();
  }
  return null;
}
