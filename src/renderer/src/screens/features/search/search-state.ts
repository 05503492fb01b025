/**
 * The search form's state, the `feature.search` query and filters it stands for, and its
 * round trip through the URL query (so Back from a feature page restores the search). Pure.
 */
import type { FeatureFilters, FeatureQuery, featureSortKeys } from '#shared/explorer-types.ts';
import { parseNumberish } from '../common/format.ts';
import { looksLikeIds, parseIdList } from './ids.ts';

/** How the search box's text is read. `auto`: ids when it looks like ids, else label/notes text. */
export const searchModes = ['auto', 'text', 'token', 'id', 'similar'] as const;

/** One of the search modes. */
export type SearchMode = (typeof searchModes)[number];

/** A sort key of feature.search. */
export type SortKey = (typeof featureSortKeys)[number];

/** The filter fields as typed. */
export interface FilterForm {
  readonly densityMin: string;
  readonly densityMax: string;
  readonly maxMin: string;
  readonly maxMax: string;
  readonly labelled: 'any' | 'yes' | 'no';
  readonly starred: boolean;
  readonly list: string;
}

/** Everything the search screen's form holds. */
export interface SearchForm {
  readonly mode: SearchMode;
  readonly text: string;
  readonly filters: FilterForm;
  readonly sort: SortKey;
  readonly order: 'asc' | 'desc' | 'default';
}

/** No filters. */
export const emptyFilters: FilterForm = {
  densityMin: '',
  densityMax: '',
  maxMin: '',
  maxMax: '',
  labelled: 'any',
  starred: false,
  list: '',
};

/** The form before the user touches it: every feature, by id. */
export const defaultSearch: SearchForm = { mode: 'auto', text: '', filters: emptyFilters, sort: 'relevance', order: 'default' };

/** A value or why the input cannot be used. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** The feature.search query the box's text and mode stand for. */
export function buildQuery(mode: SearchMode, text: string, dSae?: number): Checked<FeatureQuery> {
  const t = text.trim();
  switch (mode) {
    case 'auto':
      if (!t) return { ok: true, value: { kind: 'all' } };
      if (looksLikeIds(t)) return idQuery(t, dSae);
      return { ok: true, value: { kind: 'text', text: t } };
    case 'text':
      return t ? { ok: true, value: { kind: 'text', text: t } } : { ok: true, value: { kind: 'all' } };
    case 'id':
      return t ? idQuery(t, dSae) : { ok: true, value: { kind: 'all' } };
    case 'token': {
      // Core ignores surrounding spaces and matches substrings; quotes ask for the whole token.
      const quoted = t.length >= 2 && /^(["'`]).*\1$/s.test(t);
      const raw = quoted ? t.slice(1, -1) : t;
      if (!raw.trim()) return { ok: false, error: 'type a token, e.g. years (in quotes for an exact match: "years")' };
      return {
        ok: true,
        value: quoted ? { kind: 'token', text: raw.slice(0, 200), exact: true } : { kind: 'token', text: raw.slice(0, 200) },
      };
    }
    case 'similar': {
      if (!t) return { ok: false, error: 'type the feature id to find neighbours of' };
      if (!/^\d+$/.test(t)) return { ok: false, error: `“${t}” is not one feature id` };
      const id = Number(t);
      if (dSae !== undefined && id >= dSae) return { ok: false, error: `${id} is out of range: this SAE has features 0–${dSae - 1}` };
      return { ok: true, value: { kind: 'similar', feature: id } };
    }
  }
}

function idQuery(text: string, dSae?: number): Checked<FeatureQuery> {
  const parsed = parseIdList(text, dSae);
  return parsed.ok ? { ok: true, value: { kind: 'id', text } } : { ok: false, error: parsed.error };
}

/** The feature.search filters the form's fields stand for (empty fields: no constraint). */
export function buildFilters(form: FilterForm): Checked<FeatureFilters> {
  const out: { -readonly [K in keyof FeatureFilters]: FeatureFilters[K] } = {};
  const fields = [
    ['densityMin', form.densityMin, 'min density'],
    ['densityMax', form.densityMax, 'max density'],
    ['maxMin', form.maxMin, 'lowest max activation'],
    ['maxMax', form.maxMax, 'highest max activation'],
  ] as const;
  for (const [key, text, name] of fields) {
    const v = parseNumberish(text);
    if (v === undefined) continue;
    if (Number.isNaN(v)) return { ok: false, error: `${name}: “${text.trim()}” is not a number (e.g. 0.001 or 0.1%)` };
    if (key.startsWith('density') && v < 0) return { ok: false, error: `${name} cannot be negative` };
    out[key] = v;
  }
  if (out.densityMin !== undefined && out.densityMax !== undefined && out.densityMin > out.densityMax) {
    return { ok: false, error: 'min density is above max density' };
  }
  if (out.maxMin !== undefined && out.maxMax !== undefined && out.maxMin > out.maxMax) {
    return { ok: false, error: 'the lowest max activation is above the highest' };
  }
  if (form.labelled !== 'any') out.labelled = form.labelled === 'yes';
  if (form.starred) out.starred = true;
  if (form.list.trim()) out.list = form.list.trim();
  return { ok: true, value: out };
}

/** True when any filter is set. */
export function hasFilters(form: FilterForm): boolean {
  return (
    form.densityMin !== '' ||
    form.densityMax !== '' ||
    form.maxMin !== '' ||
    form.maxMax !== '' ||
    form.labelled !== 'any' ||
    form.starred ||
    form.list !== ''
  );
}

const sortKeys: readonly SortKey[] = ['relevance', 'id', 'density', 'max', 'count', 'detection', 'fuzzing'];

/** The form as URL query parameters (only what differs from the default). */
export function searchToParams(form: SearchForm): Record<string, string> {
  const q: Record<string, string> = {};
  if (form.text) q['q'] = form.text;
  if (form.mode !== 'auto') q['mode'] = form.mode;
  if (form.sort !== 'relevance') q['sort'] = form.sort;
  if (form.order !== 'default') q['order'] = form.order;
  const f = form.filters;
  if (f.densityMin) q['dmin'] = f.densityMin;
  if (f.densityMax) q['dmax'] = f.densityMax;
  if (f.maxMin) q['mmin'] = f.maxMin;
  if (f.maxMax) q['mmax'] = f.maxMax;
  if (f.labelled !== 'any') q['labelled'] = f.labelled;
  if (f.starred) q['starred'] = '1';
  if (f.list) q['list'] = f.list;
  return q;
}

/** The form from URL query parameters; anything unknown falls back to the default. */
export function searchFromParams(p: URLSearchParams): SearchForm {
  const mode = p.get('mode');
  const sort = p.get('sort');
  const order = p.get('order');
  const labelled = p.get('labelled');
  return {
    text: p.get('q') ?? '',
    mode: searchModes.find((m) => m === mode) ?? 'auto',
    sort: sortKeys.find((s) => s === sort) ?? 'relevance',
    order: order === 'asc' || order === 'desc' ? order : 'default',
    filters: {
      densityMin: p.get('dmin') ?? '',
      densityMax: p.get('dmax') ?? '',
      maxMin: p.get('mmin') ?? '',
      maxMax: p.get('mmax') ?? '',
      labelled: labelled === 'yes' || labelled === 'no' ? labelled : 'any',
      starred: p.get('starred') === '1',
      list: p.get('list') ?? '',
    },
  };
}
