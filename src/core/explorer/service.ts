import path from 'node:path';
import type { Annotation } from '#shared/annotation-types.ts';
import type { AutoExplanationSummary } from '#shared/autointerp-types.ts';
import type { Payload } from '#shared/contract.ts';
import type { FeatureCooccurrence, FeatureSearchResult, NearFeature } from '#shared/explorer-types.ts';
import { AppError } from '#shared/reply.ts';
import type { AnnotationService } from '../annotations/service.ts';
import { latestAutoExplanations } from '../autointerp/store.ts';
import { releaseFactsForSaePath } from '../hub/release-facts.ts';
import { backfillTopTokens } from '../index/backfill-top-tokens.ts';
import { backfillCooccurrence, cooccurrenceMeta, readCooccurrence } from '../index/cooccurrence-store.ts';
import type { CooccurrenceMeta } from '../index/cooccurrence.ts';
import type { IndexService } from '../index/service.ts';
import { searchTopTokens, type TokenHit } from '../index/top-tokens.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { loadSae } from '../sae/load.ts';
import type { Sae } from '../sae/types.ts';
import type { WorkspaceService } from '../workspace/service.ts';
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
import { errorMessage } from '#shared/error-message.ts';
import { yieldTurn } from '../util/yield-turn.ts';

/** What the explorer is built from. */
export interface ExplorerServiceDeps extends Pick<Kernel, 'files' | 'onClose'> {
  readonly workspace: Pick<WorkspaceService, 'info' | 'currentEngine'>;
  readonly index: Pick<IndexService, 'reader'>;
  readonly annotations: AnnotationService;
}

/** A feature's label, null when it has none (blank counts as none). */
const labelOf = (a: Annotation | undefined): string | null => (a && a.label.trim() !== '' ? a.label : null);

/** A map per SAE hash, rebuilt when the annotation store's version moves. */
interface Versioned<V> {
  key: string;
  version: number;
  map: Map<number, V>;
}

/**
 * The explorer of one core: feature search over an index's statistics joined with
 * annotations, prompt ranking, and the decoder / unembedding views of the workspace SAE.
 * Indexes are read through the index service's shared readers.
 */
export class ExplorerService {
  readonly #tables: FeatureTables;
  readonly #logits = new LogitEffects();
  /** An SAE loaded for an index that is not the workspace's (one kept). */
  #other: { path: string; sae: Sae } | null = null;
  /** Top-token backfills under way, per index file (searches arriving meanwhile wait on the same run). */
  readonly #backfills = new Map<string, Promise<boolean>>();
  /** Co-occurrence backfills under way, per index file. */
  readonly #coocBackfills = new Map<string, Promise<boolean>>();
  readonly #topTokenRows = new TopTokenRows();
  /** Annotations by feature, per SAE hash, as of the store's version. */
  #annCache: Versioned<Annotation> | null = null;
  /** The best imported explanation by feature, per SAE hash, as of the store's version. */
  #explCache: Versioned<string> | null = null;
  /** The newest auto explanation by feature, per SAE hash, as of the store's version. */
  #autoCache: Versioned<AutoExplanationSummary> | null = null;

  constructor(private readonly core: ExplorerServiceDeps) {
    this.#tables = new FeatureTables((file) => core.index.reader(file));
    core.onClose(() => {
      this.#tables.clear();
      this.#logits.clear();
      this.#other = null;
    });
  }

  #reader(file: string) {
    return this.core.index.reader(file);
  }

  #tableOf(db: string): { file: string; table: FeatureTable } {
    const file = this.core.files.resolveIndex(db, 'read');
    return { file, table: this.#tables.table(file) };
  }

  /** A per-SAE map cached until the annotation store changes. */
  #cached<V>(cache: Versioned<V> | null, key: string, build: () => Map<number, V>): Versioned<V> {
    const version = this.core.annotations.store().version;
    return cache && cache.key === key && cache.version === version ? cache : { key, version, map: build() };
  }

  #annotationsOf(key: string | null): Map<number, Annotation> {
    if (!key) return new Map();
    const s = this.core.annotations.store();
    this.#annCache = this.#cached(this.#annCache, key, () => new Map(s.all(key).map((a) => [a.feature, a])));
    return this.#annCache.map;
  }

  #explanationsOf(key: string | null): Map<number, string> {
    if (!key) return new Map();
    const s = this.core.annotations.store();
    this.#explCache = this.#cached(this.#explCache, key, () => new Map([...s.explanations.best(key)].map(([f, e]) => [f, e.description])));
    return this.#explCache.map;
  }

  #autoOf(key: string | null): Map<number, AutoExplanationSummary> {
    if (!key) return new Map();
    const s = this.core.annotations.store();
    this.#autoCache = this.#cached(this.#autoCache, key, () => {
      const map = new Map<number, AutoExplanationSummary>();
      for (const [f, e] of latestAutoExplanations(s.db, key)) {
        map.set(f, {
          description: e.description,
          explainerModel: e.explainerModel,
          detection: e.detection?.balancedAccuracy ?? null,
          fuzzing: e.fuzzing?.balancedAccuracy ?? null,
        });
      }
      return map;
    });
    return this.#autoCache.map;
  }

  /** The annotation key of the SAE an index was built from, or why there is none. */
  #indexSaeKey(table: FeatureTable): { key: string | null; why: string | null } {
    try {
      return { key: this.core.annotations.saeKey(table.settings.sae), why: null };
    } catch (e) {
      return { key: null, why: `labels unavailable: ${errorMessage(e)}` };
    }
  }

  #workspaceKey(): Promise<string | null> {
    return this.core.annotations.workspaceSaeKey().catch(() => null);
  }

  /** The loaded SAE at a path: the workspace engine's when it is that SAE, else loaded once. */
  async #saeAt(saePath: string): Promise<Sae> {
    const sel = (await this.core.workspace.info()).selection;
    if (sel && path.resolve(sel.sae) === path.resolve(saePath)) return (await this.core.workspace.currentEngine()).sae;
    if (this.#other?.path !== path.resolve(saePath)) {
      try {
        this.#other = { path: path.resolve(saePath), sae: loadSae(saePath, { release: releaseFactsForSaePath(saePath) }) };
      } catch (e) {
        throw new AppError('unavailable', `the index's SAE cannot be loaded for decoder similarity: ${errorMessage(e)}`);
      }
    }
    return this.#other.sae;
  }

  /** Refuses an index built for another SAE than the workspace's (its densities would belong to other features). */
  async #checkSameSae(db: string, table: FeatureTable): Promise<void> {
    const ours = await this.#workspaceKey();
    const theirs = this.#indexSaeKey(table).key;
    if (ours && theirs && ours !== theirs) {
      throw new AppError(
        'bad_request',
        `the index ${db} was built for the SAE ${table.settings.sae}, not the open one: choose that SAE's index`,
      );
    }
  }

  /** One backfill per file at a time: later callers wait on the run under way. */
  async #backfill(runs: Map<string, Promise<boolean>>, file: string, start: () => Promise<boolean>): Promise<void> {
    let run = runs.get(file);
    if (!run) {
      run = start().finally(() => runs.delete(file));
      runs.set(file, run);
    }
    await run;
  }

  /**
   * Features whose top examples fire on tokens matching `text`. A finished index built before
   * token search existed gets its top-token tables filled from what it already holds the
   * first time it is searched this way. Undefined (with a note pushed) when it cannot answer.
   */
  async #tokenHits(file: string, complete: boolean, text: string, exact: boolean, notes: string[]): Promise<TokenHit[] | undefined> {
    const hits = searchTopTokens(this.#reader(file).db, text, exact);
    if (hits || !complete) {
      if (!hits) notes.push('token search works once the index is finished');
      return hits;
    }
    try {
      await this.#backfill(this.#backfills, file, () => backfillTopTokens(file, { pause: yieldTurn }));
    } catch (e) {
      notes.push(`token search is unavailable: the top tokens of ${path.basename(file)} could not be recorded: ${errorMessage(e)}`);
      return undefined;
    }
    const after = searchTopTokens(this.#reader(file).db, text, exact);
    if (!after) notes.push('token search works once the index is finished');
    return after;
  }

  #checkId(id: number, dSae: number): void {
    if (id >= dSae) throw new AppError('not_found', `no feature ${id}: this SAE has features 0–${dSae - 1}`);
  }

  /** The candidates a search query names, scored or not. */
  async #candidates(
    p: Payload<'feature.search'>,
    file: string,
    table: FeatureTable,
    key: string | null,
    notes: string[],
  ): Promise<{ candidates: Candidate[]; scored: boolean }> {
    const n = table.dSae;
    const q = p.query;
    switch (q.kind) {
      case 'all':
        return { candidates: Array.from({ length: n }, (_, id) => ({ id, score: null })), scored: false };
      case 'id': {
        const parsed = parseIds(q.text, n);
        if (parsed.note) notes.push(parsed.note);
        return { candidates: parsed.ids.map((id) => ({ id, score: null })), scored: false };
      }
      case 'text': {
        const hits = key ? this.core.annotations.store().search(key, q.text) : [];
        return { candidates: hits.map((h) => ({ id: h.feature, score: h.score })), scored: true };
      }
      case 'token': {
        const hits = await this.#tokenHits(file, table.complete, q.text, q.exact ?? false, notes);
        return { candidates: (hits ?? []).map((h) => ({ id: h.feature, score: h.hits })), scored: true };
      }
      case 'similar': {
        this.#checkId(q.feature, n);
        const sae = await this.#saeAt(table.settings.sae);
        if (sae.config.dSae !== n) {
          throw new AppError(
            'conflict',
            `the SAE at ${table.settings.sae} has ${sae.config.dSae} features, the index ${n}: rebuild the index`,
          );
        }
        const cos = decoderCosines(sae, q.feature);
        const candidates: Candidate[] = [];
        for (let id = 0; id < n; id++) if (id !== q.feature) candidates.push({ id, score: cos[id]! });
        return { candidates, scored: true };
      }
    }
  }

  /** `feature.search`: one page of an index's features for a query and filters. */
  async search(p: Payload<'feature.search'>): Promise<FeatureSearchResult> {
    const { file, table } = this.#tableOf(p.db);
    const { key, why } = this.#indexSaeKey(table);
    const notes: string[] = [];
    if (!table.complete) notes.push(`${path.basename(file)} is still being indexed: statistics cover part of the corpus`);
    const needsLabels = p.query.kind === 'text' || p.filters?.labelled !== undefined || p.filters?.starred || p.filters?.list;
    if (why && needsLabels) notes.push(why);
    const annotations = this.#annotationsOf(key);
    const { candidates, scored } = await this.#candidates(p, file, table, key, notes);
    const explanations = this.#explanationsOf(key);
    const autos = this.#autoOf(key);
    const topTokens = this.#topTokenRows.lookup(this.#reader(file).db, table);
    return searchPage(table, annotations, candidates, p, notes.length ? notes.join('; ') : null, scored, {
      explanation: (id) => explanations.get(id) ?? null,
      auto: (id) => autos.get(id) ?? null,
      topTokens,
    });
  }

  /** How an index's co-occurrence was counted, counting it first for an index finished before migration 3. */
  async #cooccurrenceOf(file: string): Promise<CooccurrenceMeta> {
    const ready = cooccurrenceMeta(this.#reader(file).db);
    if (ready) return ready;
    try {
      await this.#backfill(this.#coocBackfills, file, () => backfillCooccurrence(file, { pause: yieldTurn }));
    } catch (e) {
      throw new AppError('unavailable', `the co-occurring features of ${path.basename(file)} could not be counted: ${errorMessage(e)}`);
    }
    const after = cooccurrenceMeta(this.#reader(file).db);
    if (!after) throw new AppError('conflict', `${path.basename(file)} is not finished yet: co-occurring features are counted at its end`);
    return after;
  }

  /** `prompt.rank`: the features of a prompt, ranked, with densities from an index when one is named. */
  async rank(p: Payload<'prompt.rank'>): Promise<Awaited<ReturnType<typeof rankPrompt>>> {
    const engine = await this.core.workspace.currentEngine();
    const dSae = engine.sae.config.dSae;
    let table: FeatureTable | undefined;
    if (p.db) {
      table = this.#tableOf(p.db).table;
      if (table.dSae !== dSae) {
        throw new AppError('bad_request', `the index ${p.db} is for an SAE with ${table.dSae} features; the open SAE has ${dSae}`);
      }
      await this.#checkSameSae(p.db, table);
    } else if (p.maxDensity !== undefined) {
      throw new AppError('bad_request', 'a density cutoff needs an index (db) to read densities from');
    }
    const annotations = this.#annotationsOf(await this.#workspaceKey());
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
  }

  /** `feature.logits`: a feature's direct effect on the logits. */
  async logits(id: number, k: number): Promise<ReturnType<LogitEffects['effects']>> {
    const engine = await this.core.workspace.currentEngine();
    this.#checkId(id, engine.sae.config.dSae);
    return this.#logits.effects(engine, id, k);
  }

  /** `feature.cooccurring`: the features firing with one, from a finished index. */
  async cooccurring(p: Payload<'feature.cooccurring'>): Promise<FeatureCooccurrence> {
    const { file, table } = this.#tableOf(p.db);
    this.#checkId(p.id, table.dSae);
    if (!table.complete)
      throw new AppError('conflict', `${path.basename(file)} is still being indexed: co-occurring features are counted at its end`);
    const meta = await this.#cooccurrenceOf(file);
    const annotations = this.#annotationsOf(this.#indexSaeKey(table).key);
    const row = readCooccurrence(this.#reader(file).db, p.id);
    return rankCooccurring(row, meta, table, p.by, p.n, (f) => labelOf(annotations.get(f)));
  }

  /** `feature.onText`: one feature's activations over a text. */
  async onText(id: number, text: string): Promise<Awaited<ReturnType<typeof featureOnText>>> {
    const engine = await this.core.workspace.currentEngine();
    this.#checkId(id, engine.sae.config.dSae);
    return featureOnText(engine, id, text);
  }

  /** `feature.ablate`: an example of an index rerun with the feature ablated. */
  async ablate(p: Payload<'feature.ablate'>): Promise<Awaited<ReturnType<typeof ablateExample>>> {
    const engine = await this.core.workspace.currentEngine();
    this.#checkId(p.id, engine.sae.config.dSae);
    const { file, table } = this.#tableOf(p.db);
    await this.#checkSameSae(p.db, table);
    return ablateExample(engine, this.#reader(file), p.id, p.window, p.position);
  }

  /** `feature.nearest`: the features whose decoder directions are closest to one's. */
  async nearest(p: Payload<'feature.nearest'>): Promise<NearFeature[]> {
    const engine = await this.core.workspace.currentEngine();
    this.#checkId(p.id, engine.sae.config.dSae);
    const table = p.db ? this.#tableOf(p.db).table : undefined;
    if (p.db && table) await this.#checkSameSae(p.db, table);
    const annotations = this.#annotationsOf(await this.#workspaceKey());
    return nearestFeatures(engine.sae, p.id, p.n).map((f): NearFeature => ({
      id: f.id,
      cosine: f.cosine,
      label: labelOf(annotations.get(f.id)),
      density: table && f.id < table.dSae ? table.density(f.id) : null,
    }));
  }
}
