/**
 * Importing Neuronpedia explanation rows for one SAE: rows are matched to the SAE by their
 * `modelId`/`layer` (the SAE's Neuronpedia ids, or an explicit mapping), then each is added
 * as an explanation or left out with a reason. The user's own labels are never touched.
 */
import type { AnnotationImportResult, ImportSkip, ImportSource } from '#shared/annotation-types.ts';
import { formatNeuronpediaId, type NeuronpediaId } from '#shared/neuronpedia.ts';
import { AppError } from '#shared/reply.ts';
import type { NewExplanation } from './explanation-store.ts';
import type { ParsedExplanationRow } from './neuronpedia-rows.ts';

/** What a plan needs to know about the SAE and what it holds already. */
export interface ImportContext {
  /** The file's name, for messages. */
  readonly name: string;
  readonly dSae: number;
  /** The ids rows must name: the mapping given, else the SAE's; null when neither exists. */
  readonly match: NeuronpediaId | null;
  /** Where `match` comes from, in words (e.g. `its cfg.json or the SAE catalog`), for messages. */
  readonly matchFrom: string;
  /** The user's label of a feature ('' for none). */
  label(feature: number): string;
  /** True when the feature already has this explanation text. */
  stored(feature: number, description: string): boolean;
}

/** What an import will add, and what it leaves out. */
export interface ImportPlan {
  readonly add: NewExplanation[];
  readonly result: Omit<AnnotationImportResult, 'dryRun'>;
}

/** The SAEs a file's rows name, most rows first (then by id). */
export function rowSources(rows: readonly ParsedExplanationRow[]): ImportSource[] {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const id = formatNeuronpediaId(r);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts]
    .map(([neuronpediaId, n]) => ({ neuronpediaId, rows: n }))
    .sort((a, b) => b.rows - a.rows || a.neuronpediaId.localeCompare(b.neuronpediaId));
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function listSources(sources: readonly ImportSource[]): string {
  const shown = sources.slice(0, 5).map((s) => `${s.neuronpediaId} (${plural(s.rows, 'row')})`);
  return shown.join(', ') + (sources.length > 5 ? `, and ${sources.length - 5} more` : '');
}

/**
 * Refuses a file none of whose rows belong to the SAE: without ids to match (the SAE has no
 * Neuronpedia ids and no mapping was given), or when every row names another SAE. The message
 * says what the file holds and how to map it.
 */
export function checkMatch(ctx: ImportContext, sources: readonly ImportSource[]): void {
  const how = `to import them as this SAE's, map them: pass neuronpediaId ${sources[0]?.neuronpediaId ?? 'MODEL/LAYER'} (CLI: --neuronpedia-id), or confirm the mapping in the app`;
  if (!ctx.match) {
    throw new AppError(
      'conflict',
      `${ctx.name} holds explanations of ${listSources(sources)}, and this SAE has no Neuronpedia id (set one on the Models screen); nothing was imported; ${how}`,
    );
  }
  const want = formatNeuronpediaId(ctx.match);
  if (!sources.some((s) => s.neuronpediaId === want)) {
    throw new AppError(
      'conflict',
      `${ctx.name} holds explanations of ${listSources(sources)}, not of this SAE's ${want} (${ctx.matchFrom}); nothing was imported; ${how}`,
    );
  }
}

/** Sorts every row into added or skipped (by reason, with a worded example of each). */
export function planImport(rows: readonly ParsedExplanationRow[], ctx: ImportContext): ImportPlan {
  const sources = rowSources(rows);
  const want = ctx.match ? formatNeuronpediaId(ctx.match) : null;
  const skips = new Map<ImportSkip['reason'], { count: number; detail: string }>();
  const skip = (reason: ImportSkip['reason'], detail: string): void => {
    const s = skips.get(reason);
    if (s) s.count++;
    else skips.set(reason, { count: 1, detail });
  };
  const add: NewExplanation[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const at = `e.g. line ${r.line}, feature ${r.feature}`;
    const id = formatNeuronpediaId(r);
    if (!r.description.trim()) skip('empty', `rows with an empty description (${at})`);
    else if (id !== want) skip('other-sae', `rows of another SAE: ${id}, not ${want ?? 'this SAE (it has no Neuronpedia id)'} (${at})`);
    else if (r.feature >= ctx.dSae) skip('out-of-range', `rows of features beyond this SAE's ${ctx.dSae} (${at})`);
    else if (r.description.trim().toLowerCase() === ctx.label(r.feature).trim().toLowerCase())
      skip('same-as-label', `rows that repeat your own label (${at})`);
    else {
      const key = `${r.feature}\n${r.description}`;
      if (seen.has(key) || ctx.stored(r.feature, r.description)) {
        skip('duplicate', `rows whose feature has this explanation already, from an earlier import or an earlier row (${at})`);
        continue;
      }
      seen.add(key);
      add.push({
        feature: r.feature,
        description: r.description,
        modelId: r.modelId,
        layer: r.layer,
        explanationId: r.explanationId,
        authorId: r.authorId,
        typeName: r.typeName,
        explainerModel: r.explainerModel,
        score: r.score,
        extra: r.extra,
      });
    }
  }
  const skipped: ImportSkip[] = [...skips].map(([reason, s]) => ({
    reason,
    count: s.count,
    detail: `${plural(s.count, 'row')} left out: ${s.detail}`,
  }));
  return {
    add,
    result: {
      format: 'neuronpedia',
      added: add.length,
      updated: 0,
      unchanged: 0,
      conflicts: [],
      explanationsAdded: add.length,
      skipped,
      sources,
      matchedId: want,
      warning: null,
    },
  };
}
