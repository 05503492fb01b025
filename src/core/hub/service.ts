import type { Payload, ResultOf } from '#shared/contract.ts';
import type { HubPull, HubPullResult } from '#shared/hub-types.ts';
import { AppError } from '#shared/reply.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { browseFolder } from './browse.ts';
import { searchCatalog } from './catalog.ts';
import { HubClient } from './client.ts';
import { hubConfig, publicSettings, writeHubSettings, readHubSettings } from './env.ts';
import { describePull, normalizeRepoPath, pullFromHub, type PullHooks, type PullRequest } from './pull.ts';
import { scanCache } from './scan.ts';

/** Pulls kept for `hub.pulls` (newest first). */
const KEEP_PULLS = 50;

/** The Hub for one core: browsing, downloads into the HF cache as jobs, the cache's contents, the token. */
export class HubService {
  readonly #pulls = new Map<string, HubPull>();

  constructor(private readonly core: Pick<Kernel, 'data' | 'files' | 'jobs' | 'pickPath'>) {}

  // read on every request: a token saved in the app, or the environment, applies at once
  #config(): ReturnType<typeof hubConfig> {
    return hubConfig(process.env, this.core.data.dir);
  }

  #remember(p: HubPull): void {
    const pulls = this.#pulls;
    pulls.set(p.job, p);
    for (const id of [...pulls.keys()].slice(0, Math.max(0, pulls.size - KEEP_PULLS))) pulls.delete(id);
  }

  /** `hub.catalog`: known SAE releases matching a query. */
  catalog(query: string | undefined): ReturnType<typeof searchCatalog> {
    return searchCatalog(query);
  }

  /** `hub.tree`: one folder of a Hub repository. */
  async tree({ repo, path, revision }: Payload<'hub.tree'>): Promise<ResultOf<'hub.tree'>> {
    const config = () => this.#config();
    const c = config();
    if (c.offline) throw new AppError('unavailable', `HF_HUB_OFFLINE is set: cannot list ${repo}`);
    const client = new HubClient(c);
    const entries = await client.tree(repo, revision ?? 'main', normalizeRepoPath(path), false);
    return entries.map((e) => ({ path: e.path, type: e.type, size: e.type === 'file' ? (e.lfs?.size ?? e.size) : null }));
  }

  /** `hub.pull`: downloads into the HF cache as a job, remembered for `hub.pulls`. */
  async pull(req: Payload<'hub.pull'>): Promise<ResultOf<'hub.pull'>> {
    const { core } = this;
    const pulls = this.#pulls;
    const c = this.#config();
    const revision = req.revision ?? 'main';
    const base = normalizeRepoPath(req.path);
    const info = core.jobs.start('download', `Download ${describePull(req.repo, base, revision)}`, async (ctx) => {
      const record = (patch: Partial<HubPull>): void => {
        const now = pulls.get(ctx.id);
        if (now) pulls.set(ctx.id, { ...now, ...patch });
      };
      ctx.progress('download', 0, null);
      try {
        const result = await pullFromHub(c, req, {
          signal: ctx.signal,
          update: (s) => {
            record({ kind: s.kind, commit: s.commit, files: s.files, total: s.total, done: s.done, state: 'running' });
            ctx.progress('download', s.done, s.total);
          },
          log: (level, message) => ctx.log(level, message),
        });
        record({ result, kind: result.kind, commit: result.commit, state: 'done' });
        ctx.log('info', `${result.files.length} files in ${result.path} (${result.downloaded} bytes downloaded)`);
      } catch (e) {
        record({
          state: ctx.signal.aborted ? 'cancelled' : 'failed',
          error: ctx.signal.aborted ? 'cancelled' : ((e as Error).message.split('\n')[0] ?? ''),
        });
        throw e;
      }
    });
    this.#remember({
      job: info.id,
      repo: req.repo,
      path: base,
      revision,
      kind: req.kind ?? null,
      state: 'running',
      commit: null,
      files: [],
      total: 0,
      done: 0,
      result: null,
      error: null,
      startedAt: info.createdAt,
    });
    return { job: info };
  }

  /** `hub.pulls`: the pulls of this run, newest first. */
  pulls(): HubPull[] {
    return [...this.#pulls.values()].reverse().map((p) => {
      // the job registry has the last word on the state (a cancel can land before the pull notices)
      const state = this.core.jobs.get(p.job)?.state ?? p.state;
      return state === p.state ? p : { ...p, state };
    });
  }

  /** `hub.cached`: what the HF cache holds. */
  cached(): ReturnType<typeof scanCache> {
    return scanCache(this.#config().cacheDir);
  }

  /** `hub.settings`: the Hub settings (no token). */
  settings(): ReturnType<typeof publicSettings> {
    return publicSettings(this.#config());
  }

  /** `hub.setToken`: saves (or with an empty token forgets) the Hub token. */
  setToken(token: string | null | undefined): ResultOf<'hub.setToken'> {
    const config = () => this.#config();
    const core = this.core;
    const { token: _old, ...rest } = readHubSettings(core.data.dir);
    writeHubSettings(core.data.dir, token ? { ...rest, token } : rest);
    return publicSettings(config());
  }

  /** `hub.browse`: a folder's entries inside the allowed roots. */
  browse(dir: string | undefined): ReturnType<typeof browseFolder> {
    return browseFolder(dir, this.core.files, this.core.pickPath !== undefined);
  }

  /**
   * Pulls into the HF cache on this caller's promise, not as a job (the CLI's `pull`, which
   * shows its own progress): the same pull `hub.pull` runs, with this core's Hub settings.
   */
  download(req: PullRequest, hooks: PullHooks): Promise<HubPullResult> {
    return pullFromHub(this.#config(), req, hooks);
  }

  /** How a pull is named in messages: `org/name:path @ rev` (the path as given). */
  describe(repo: string, path: string | undefined, revision: string | undefined): string {
    return describePull(repo, path ?? '', revision ?? 'main');
  }
}
