import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildFilters,
  buildQuery,
  defaultSearch,
  emptyFilters,
  hasFilters,
  searchFromParams,
  searchToParams,
  type SearchForm,
} from './search-state.ts';

describe('search box → feature.search query', () => {
  test('auto: empty is every feature, ids are ids, words are label/notes text', () => {
    assert.deepEqual(buildQuery('auto', ''), { ok: true, value: { kind: 'all' } });
    assert.deepEqual(buildQuery('auto', ' 12, 40-50 '), { ok: true, value: { kind: 'id', text: '12, 40-50' } });
    assert.deepEqual(buildQuery('auto', 'years'), { ok: true, value: { kind: 'text', text: 'years' } });
  });

  test('ids are checked against the SAE size', () => {
    const r = buildQuery('auto', '2000', 1536);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /out of range/);
    assert.equal(buildQuery('id', 'abc').ok, false);
  });

  test('token mode: substring match, quotes ask for the exact token', () => {
    assert.deepEqual(buildQuery('token', ' Paris'), { ok: true, value: { kind: 'token', text: 'Paris' } });
    assert.deepEqual(buildQuery('token', '" years"'), { ok: true, value: { kind: 'token', text: ' years', exact: true } });
    assert.equal(buildQuery('token', "' '").ok, false, 'nothing but spaces');
    assert.equal(buildQuery('token', '   ').ok, false);
    assert.equal(buildQuery('token', '').ok, false);
  });

  test('similar needs one id', () => {
    assert.deepEqual(buildQuery('similar', '320'), { ok: true, value: { kind: 'similar', feature: 320 } });
    assert.equal(buildQuery('similar', '3, 4').ok, false);
    assert.equal(buildQuery('similar', '').ok, false);
    assert.equal(buildQuery('similar', '1536', 1536).ok, false);
  });
});

describe('filter fields → feature.search filters', () => {
  test('empty fields constrain nothing', () => {
    assert.deepEqual(buildFilters(emptyFilters), { ok: true, value: {} });
    assert.equal(hasFilters(emptyFilters), false);
  });

  test('numbers, percentages and flags', () => {
    const form = {
      ...emptyFilters,
      densityMin: '0.01%',
      densityMax: '1e-2',
      maxMin: '2',
      labelled: 'no',
      starred: true,
      list: ' dates ',
    } as const;
    assert.deepEqual(buildFilters(form), {
      ok: true,
      value: { densityMin: 0.0001, densityMax: 0.01, maxMin: 2, labelled: false, starred: true, list: 'dates' },
    });
    assert.equal(hasFilters(form), true);
    assert.deepEqual(buildFilters({ ...emptyFilters, labelled: 'yes' }), { ok: true, value: { labelled: true } });
  });

  test('says which field is wrong', () => {
    const r = buildFilters({ ...emptyFilters, maxMax: 'lots' });
    assert.match(!r.ok ? r.error : '', /highest max activation: “lots” is not a number/);
    assert.equal(buildFilters({ ...emptyFilters, densityMin: '0.5', densityMax: '0.1' }).ok, false);
    assert.equal(buildFilters({ ...emptyFilters, densityMin: '-1' }).ok, false);
    assert.equal(buildFilters({ ...emptyFilters, maxMin: '5', maxMax: '4' }).ok, false);
  });
});

describe('search form ↔ URL', () => {
  test('the default form leaves the URL clean', () => {
    assert.deepEqual(searchToParams(defaultSearch), {});
    assert.deepEqual(searchFromParams(new URLSearchParams()), defaultSearch);
  });

  test('round-trips every field', () => {
    const form: SearchForm = {
      mode: 'token',
      text: ' Paris',
      sort: 'density',
      order: 'asc',
      filters: { densityMin: '0.1%', densityMax: '', maxMin: '1', maxMax: '9', labelled: 'yes', starred: true, list: 'my list' },
    };
    const params = new URLSearchParams(searchToParams(form));
    assert.deepEqual(searchFromParams(new URLSearchParams(params.toString())), form);
  });

  test('unknown values fall back to defaults', () => {
    const f = searchFromParams(new URLSearchParams('mode=nope&sort=x&order=up&labelled=maybe'));
    assert.equal(f.mode, 'auto');
    assert.equal(f.sort, 'relevance');
    assert.equal(f.order, 'default');
    assert.equal(f.filters.labelled, 'any');
  });
});
