import type { AutoExplanationSummary } from '../../shared/autointerp-types.ts';
import { latestAutoExplanations } from '../autointerp/store.ts';
import path from 'node:path';
import type { Annotation } from '../../shared/annotation-types.ts';
import type { ContractHandlers, Payload } from '../../shared/contract.ts';
import type { explorerRequests, FeatureSearchResult, NearFeature } from '../../shared/explorer-types.ts';
import { AppError } from '../../shared/reply.ts';
import type { CoreServices } from '../app/services.ts';
import { hashCacheDir, saeHash } from '../annotations/identity.ts';
import { annotationStore, workspaceSaeKey } from '../annotations/service.ts';
import { releaseFactsForSaePath } from '../hub/release-facts.ts';
import { backfillTopTokens } from '../index/backfill-top-tokens.ts';
import { backfillCooccurrence, cooccurrenceMeta, readCooccurrence } from '../index/cooccurrence-store.ts';
import type { CooccurrenceMeta } from '../index/cooccurrence.ts';
import { searchTopTokens, type TokenHit } from '../index/top-tokens.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import { ablateExample } from './ablate.ts';
import { rankCooccurring } from './cooccurring.ts';
import { decoderCosines, nearestFeatures } from './decoder.ts';
import { FeatureTables, type FeatureTable } from './feature-table.ts';
import { parseIds } from './id-query.ts';
import { LogitEffects } from './logits.ts';
import { featureOnText } from './on-text.ts';
import { rankPrompt } from './prompt-rank.ts';
import { searchPage, type Candidate } from './search.ts';
import { TopTokenRows } from './top-token-rows.ts';

/** Handlers of every request declared in src/shared/explorer-types.ts. */
export type ExplorerHandlers = Pick<ContractHandlers, keyof typeof explorerRequests>;

/** A feature's label, null when it has none (blank counts as none). */
const labelOf = (a: Annotation | undefined): string | null => (a && a.label.trim() !== '' ? a.label : null);

const words = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Builds this area's handlers for one core instance: feature search over an index's
 * statistics joined with annotations, prompt ranking and the decoder / unembedding views
 * of the workspace SAE.
 */
export function explorerHandlers(core: CoreServices): ExplorerHandlers {
  const tables = new FeatureTables();
  const logits = new LogitEffects();
  /** An SAE loaded for an index that is not the workspace's (one kept). */
  let other: { path: string; sae: Sae } | null = null;
  /** Top-token backfills under way, per index file (searches arriving meanwhile wait on the same run). */
  const backfills = new Map<string, Promise<boolean>>();
  /** Co-occurrence backfills under way, per index file. */
  const coocBackfills = new Map<string, Promise<boolean>>();
  const topTokenRows = new TopTokenRows();
  /** Annotations by feature, per SAE hash, as of the store's version. */
  let annCache: { key: string; version: number; map: Map<number, Annotation> } | null = null;
  /** The best imported explanation by feature, per SAE hash, as of the store's version. */
  let explCache: { key: string; version: number; map: Map<number, string> } | null = null;
  /** The newest auto explanation by feature, per SAE hash, as of the store's version. */
  let autoCache: { key: string; version: number; map: Map<number, AutoExplanationSummary> } | null = null;
  core.onClose(() => {
    tables.close();
    logits.clear();
    other = null;
  });

  const store = () => annotationStore(core);
  const tableOf = (db: string): { file: string; table: FeatureTable } => {
    const file = core.files.resolveIndex(db, 'read');
    return { file, table: tables.table(file) };
  };

  const annotationsOf = (key: string | null): Map<number, Annotation> => {
    if (!key) return new Map();
    const s = store();
    if (!annCache || annCache.key !== key || annCache.version !== s.version) {
      annCache = { key, version: s.version, map: new Map(s.all(key).map((a) => [a.feature, a])) };
    }
    return annCache.map;
  };

  const explanationsOf = (key: string | null): Map<number, string> => {
    if (!key) return new Map();
    const s = store();
    if (!explCache || explCache.key !== key || explCache.version !== s.version) {
      explCache = { key, version: s.version, map: new Map([...s.explanations.best(key)].map(([f, e]) => [f, e.description])) };
    }
    return explCache.map;
  };

  const autoOf = (key: string | null): Map<number, AutoExplanationSummary> => {
    if (!key) return new Map();
    const s = store();
    if (!autoCache || autoCache.key !== key || autoCache.version !== s.version) {
      const map = new Map<number, AutoExplanationSummary>();
      for (const [f, e] of latestAutoExplanations(s.db, key)) {
        map.set(f, {
          description: e.description,
          explainerModel: e.explainerModel,
          detection: e.detection?.balancedAccuracy ?? null,
          fuzzing: e.fuzzing?.balancedAccuracy ?? null,
        });
      }
      autoCache = { key, version: s.version, map };
    }
    return autoCache.map;
  };

  /** The annotation key of the SAE an index was built from, or why there is none. */
  const indexSaeKey = (table: FeatureTable): { key: string | null; why: string | null } => {
    try {
      return { key: saeHash(table.settings.sae, hashCacheDir(core)), why: null };
    } catch (e) {
      return { key: null, why: `labels unavailable: ${words(e)}` };
    }
  };

  /** The loaded SAE at a path: the workspace engine's when it is that SAE, else loaded once. */
  const saeAt = async (saePath: string): Promise<Sae> => {
    const sel = (await core.workspace.info()).selection;
    if (sel && path.resolve(sel.sae) === path.resolve(saePath)) return (await core.workspace.currentEngine()).sae;
    if (other?.path !== path.resolve(saePath)) {
      try {
        other = { path: path.resolve(saePath), sae: loadSae(saePath, { release: releaseFactsForSaePath(saePath) }) };
      } catch (e) {
        throw new AppError('unavailable', `the index's SAE cannot be loaded for decoder similarity: ${words(e)}`);
      }
    }
    return other.sae;
  };

  /** Refuses an index built for another SAE than the workspace's (its densities would belong to other features). */
  const checkSameSae = async (db: string, table: FeatureTable): Promise<void> => {
    const ours = await workspaceSaeKey(core).catch(() => null);
    const theirs = indexSaeKey(table).key;
    if (ours && theirs && ours !== theirs) {
      throw new AppError(
        'bad_request',
        `the index ${db} was built for the SAE ${table.settings.sae}, not the open one: choose that SAE's index`,
      );
    }
  };

  /**
   * Features whose top examples fire on tokens matching `text`. A finished index built before
   * token search existed gets its top-token tables filled from what it already holds the
   * first time it is searched this way. Undefined (with a note pushed) when it cannot answer.
   */
  const tokenHits = async (
    file: string,
    complete: boolean,
    text: string,
    exact: boolean,
    notes: string[],
  ): Promise<TokenHit[] | undefined> => {
    const hits = searchTopTokens(tables.reader(file).db, text, exact);
    if (hits || !complete) {
      if (!hits) notes.push('token search works once the index is finished');
      return hits;
    }
    let run = backfills.get(file);
    if (!run) {
      run = backfillTopTokens(file, { pause: () => new Promise((resolve) => setImmediate(resolve)) }).finally(() => backfills.delete(file));
      backfills.set(file, run);
    }
    try {
      await run;
    } catch (e) {
      notes.push(`token search is unavailable: the top tokens of ${path.basename(file)} could not be recorded: ${words(e)}`);
      return undefined;
    }
    const after = searchTopTokens(tables.reader(file).db, text, exact);
    if (!after) notes.push('token search works once the index is finished');
    return after;
  };

  const checkId = (id: number, dSae: number): void => {
    if (id >= dSae) throw new AppError('not_found', `no feature ${id}: this SAE has features 0–${dSae - 1}`);
  };

  const search = async (p: Payload<'feature.search'>): Promise<FeatureSearchResult> => {
    const { file, table } = tableOf(p.db);
    const { key, why } = indexSaeKey(table);
    const notes: string[] = [];
    if (!table.complete) notes.push(`${path.basename(file)} is still being indexed: statistics cover part of the corpus`);
    const needsLabels = p.query.kind === 'text' || p.filters?.labelled !== undefined || p.filters?.starred || p.filters?.list;
    if (why && needsLabels) notes.push(why);
    const annotations = annotationsOf(key);
    const n = table.dSae;
    let candidates: Candidate[];
    let scored = true;
    const q = p.query;
    switch (q.kind) {
      case 'all':
        candidates = Array.from({ length: n }, (_, id) => ({ id, score: null }));
        scored = false;
        break;
      case 'id': {
        const parsed = parseIds(q.text, n);
        if (parsed.note) notes.push(parsed.note);
        candidates = parsed.ids.map((id) => ({ id, score: null }));
        scored = false;
        break;
      }
      case 'text':
        candidates = key
          ? store()
              .search(key, q.text)
              .map((h) => ({ id: h.feature, score: h.score }))
          : [];
        break;
      case 'token': {
        const hits = await tokenHits(file, table.complete, q.text, q.exact ?? false, notes);
        candidates = (hits ?? []).map((h) => ({ id: h.feature, score: h.hits }));
        break;
      }
      case 'similar': {
        checkId(q.feature, n);
        const sae = await saeAt(table.settings.sae);
        if (sae.config.dSae !== n) {
          throw new AppError(
            'conflict',
            `the SAE at ${table.settings.sae} has ${sae.config.dSae} features, the index ${n}: rebuild the index`,
          );
        }
        const cos = decoderCosines(sae, q.feature);
        candidates = [];
        for (let id = 0; id < n; id++) if (id !== q.feature) candidates.push({ id, score: cos[id]! });
        break;
      }
    }
    const explanations = explanationsOf(key);
    const autos = autoOf(key);
    const topTokens = topTokenRows.lookup(tables.reader(file).db, table);
    return searchPage(table, annotations, candidates, p, notes.length ? notes.join('; ') : null, scored, {
      explanation: (id) => explanations.get(id) ?? null,
      auto: (id) => autos.get(id) ?? null,
      topTokens,
    });
  };

  /** How an index's co-occurrence was counted, counting it first for an index finished before migration 3. */
  const cooccurrenceOf = async (file: string): Promise<CooccurrenceMeta> => {
    const db = tables.reader(file).db;
    const ready = cooccurrenceMeta(db);
    if (ready) return ready;
    let run = coocBackfills.get(file);
    if (!run) {
      run = backfillCooccurrence(file, { pause: () => new Promise((resolve) => setImmediate(resolve)) }).finally(() =>
        coocBackfills.delete(file),
      );
      coocBackfills.set(file, run);
    }
    try {
      await run;
    } catch (e) {
      throw new AppError('unavailable', `the co-occurring features of ${path.basename(file)} could not be counted: ${words(e)}`);
    }
    const after = cooccurrenceMeta(tables.reader(file).db);
    if (!after) throw new AppError('conflict', `${path.basename(file)} is not finished yet: co-occurring features are counted at its end`);
    return after;
  };

  return {
    'feature.search': search,

    'prompt.rank': async (p) => {
      const engine = await core.workspace.currentEngine();
      const dSae = engine.sae.config.dSae;
      let table: FeatureTable | undefined;
      if (p.db) {
        table = tableOf(p.db).table;
        if (table.dSae !== dSae) {
          throw new AppError('bad_request', `the index ${p.db} is for an SAE with ${table.dSae} features; the open SAE has ${dSae}`);
        }
        await checkSameSae(p.db, table);
      } else if (p.maxDensity !== undefined) {
        throw new AppError('bad_request', 'a density cutoff needs an index (db) to read densities from');
      }
      const key = await workspaceSaeKey(core).catch(() => null);
      const annotations = annotationsOf(key);
      const t = table;
      return rankPrompt(engine, p.text, {
        span: p.span,
        sort: p.sort,
        ignoreBos: p.ignoreBos,
        top: p.top,
        limit: p.limit,
        ...(t && p.maxDensity !== undefined ? { exclude: (id: number) => t.density(id) > p.maxDensity! } : {}),
        density: (id) => (t ? t.density(id) : null),
        label: (id) => labelOf(annotations.get(id)),
      });
    },

    'feature.logits': async ({ id, k }) => {
      const engine = await core.workspace.currentEngine();
      checkId(id, engine.sae.config.dSae);
      return logits.effects(engine, id, k);
    },

    'feature.cooccurring': async ({ db, id, by, n }) => {
      const { file, table } = tableOf(db);
      checkId(id, table.dSae);
      if (!table.complete)
        throw new AppError('conflict', `${path.basename(file)} is still being indexed: co-occurring features are counted at its end`);
      const meta = await cooccurrenceOf(file);
      const annotations = annotationsOf(indexSaeKey(table).key);
      const row = readCooccurrence(tables.reader(file).db, id);
      return rankCooccurring(row, meta, table, by, n, (f) => labelOf(annotations.get(f)));
    },

    'feature.onText': async ({ id, text }) => {
      const engine = await core.workspace.currentEngine();
      checkId(id, engine.sae.config.dSae);
      return featureOnText(engine, id, text);
    },

    'feature.ablate': async ({ db, id, window, position }) => {
      const engine = await core.workspace.currentEngine();
      checkId(id, engine.sae.config.dSae);
      const { file, table } = tableOf(db);
      await checkSameSae(db, table);
      return ablateExample(engine, tables.reader(file), id, window, position);
    },

    'feature.nearest': async ({ id, n, db }) => {
      const engine = await core.workspace.currentEngine();
      checkId(id, engine.sae.config.dSae);
      const table = db ? tableOf(db).table : undefined;
      if (db && table) await checkSameSae(db, table);
      const annotations = annotationsOf(await workspaceSaeKey(core).catch(() => null));
      return nearestFeatures(engine.sae, id, n).map((f): NearFeature => ({
        id: f.id,
        cosine: f.cosine,
        label: labelOf(annotations.get(f.id)),
        density: table && f.id < table.dSae ? table.density(f.id) : null,
      }));
    },
  };
}
