import type { ContractHandlers } from '../../shared/contract.ts';
import type { hubRequests, HubPull } from '../../shared/hub-types.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';
import { browseFolder } from './browse.ts';
import { searchCatalog } from './catalog.ts';
import { HubClient } from './client.ts';
import { hubConfig, publicSettings, writeHubSettings, readHubSettings } from './env.ts';
import { describePull, normalizeRepoPath, pullFromHub } from './pull.ts';
import { scanCache } from './scan.ts';

/** Handlers of every request declared in src/shared/hub-types.ts. */
export type HubHandlers = Pick<ContractHandlers, keyof typeof hubRequests>;

/** Pulls kept for `hub.pulls` (newest first). */
const KEEP_PULLS = 50;

/** Builds this area's handlers for one core instance. */
export function hubHandlers(core: CoreServices): HubHandlers {
  // read on every request: a token saved in the app, or the environment, applies at once
  const config = () => hubConfig(process.env, core.data.dir);
  const pulls = new Map<string, HubPull>();
  const remember = (p: HubPull): void => {
    pulls.set(p.job, p);
    for (const id of [...pulls.keys()].slice(0, Math.max(0, pulls.size - KEEP_PULLS))) pulls.delete(id);
  };

  return {
    'hub.catalog': async ({ query }) => searchCatalog(query),

    'hub.tree': async ({ repo, path, revision }) => {
      const c = config();
      if (c.offline) throw new AppError('unavailable', `HF_HUB_OFFLINE is set: cannot list ${repo}`);
      const client = new HubClient(c);
      const entries = await client.tree(repo, revision ?? 'main', normalizeRepoPath(path), false);
      return entries.map((e) => ({ path: e.path, type: e.type, size: e.type === 'file' ? (e.lfs?.size ?? e.size) : null }));
    },

    'hub.pull': async (req) => {
      const c = config();
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
      remember({
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
    },

    'hub.pulls': async () =>
      [...pulls.values()].reverse().map((p) => {
        // the job registry has the last word on the state (a cancel can land before the pull notices)
        const state = core.jobs.get(p.job)?.state ?? p.state;
        return state === p.state ? p : { ...p, state };
      }),

    'hub.cached': async () => scanCache(config().cacheDir),

    'hub.settings': async () => publicSettings(config()),

    'hub.setToken': async ({ token }) => {
      const { token: _old, ...rest } = readHubSettings(core.data.dir);
      writeHubSettings(core.data.dir, token ? { ...rest, token } : rest);
      return publicSettings(config());
    },

    'hub.browse': async ({ dir }) => browseFolder(dir, core.files, core.pickPath !== undefined),
  };
}
