/**
 * The catalog against SAELens: every release of catalog.json must agree with the facts
 * copied from SAELens's pretrained_saes.yaml (test/fixtures/saelens-catalog-facts.json, made
 * by test/fixtures/saelens-catalog-facts.py): repo, model, format, width, model kwargs,
 * normalisation, and SAE by SAE its path, hook and Neuronpedia id, both ways (no SAE the
 * catalog offers is missing from SAELens, no SAE of the release is missing from the catalog).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { CatalogEntry } from '#shared/hub-types.ts';
import { catalog, catalogSaes, findCatalogSae } from './catalog.ts';

const kwargs = z.record(z.string(), z.union([z.boolean(), z.number(), z.string()]));
const factsSchema = z.object({
  source: z.object({ repository: z.string().url(), commit: z.string().regex(/^[0-9a-f]{40}$/), files: z.array(z.string()).min(1) }),
  absent: z.array(z.string()),
  releases: z.record(
    z.string(),
    z.object({
      repoId: z.string(),
      model: z.string(),
      conversionFunc: z.enum(['gemma_2']).nullable(),
      modelFromPretrainedKwargs: kwargs.nullable(),
      normalizeActivations: z.string().nullable(),
      cfgModelName: z.string().optional(),
      dIn: z.number().int().optional(),
      saes: z
        .array(
          z.object({
            id: z.string(),
            path: z.string(),
            hook: z.string(),
            dSae: z.number().int().optional(),
            neuronpedia: z.string().optional(),
          }),
        )
        .min(1),
    }),
  ),
});
type Facts = z.infer<typeof factsSchema>;
type ReleaseFacts = Facts['releases'][string];

const facts: Facts = factsSchema.parse(
  JSON.parse(fs.readFileSync(new URL('../../../test/fixtures/saelens-catalog-facts.json', import.meta.url), 'utf8')),
);

const FORMAT_OF_CONVERSION = { none: 'saelens', gemma_2: 'gemma-scope' } as const;

/** Where `entry` disagrees with SAELens's facts about its release; empty when it agrees. */
function disagreements(entry: CatalogEntry, release: ReleaseFacts): string[] {
  const out: string[] = [];
  const differ = (what: string, ours: unknown, theirs: unknown): void => {
    if (!isDeepStrictEqual(ours, theirs)) out.push(`${what}: catalog ${JSON.stringify(ours)}, SAELens ${JSON.stringify(theirs)}`);
  };
  differ('repo', entry.repo, release.repoId);
  // gemma_2 releases: the model the loader writes into the SAE's cfg (the yaml's `model` omits `-it`)
  differ('model', entry.model, release.cfgModelName ?? release.model);
  differ('format', entry.format, FORMAT_OF_CONVERSION[release.conversionFunc ?? 'none']);
  if (release.dIn !== undefined) differ('dIn', entry.dIn, release.dIn);
  differ('modelFromPretrainedKwargs', entry.modelFromPretrainedKwargs ?? null, release.modelFromPretrainedKwargs);
  differ('normalizeActivations', entry.normalizeActivations ?? null, release.normalizeActivations);
  const neuronpedia = Object.fromEntries(release.saes.flatMap((s) => (s.neuronpedia ? [[s.path, s.neuronpedia]] : [])));
  differ('neuronpediaIds', entry.neuronpediaIds ?? {}, neuronpedia);

  // each SAE of the release, and the catalog pattern (path, maybe with {l0}) that finds it
  const patternOf = new Map(release.saes.map((s) => [s, findCatalogSae(release.repoId, s.path, [entry])?.sae.path]));
  for (const sae of catalogSaes(entry)) {
    const found = release.saes.filter((s) => patternOf.get(s) === sae.path);
    if (found.length === 0) out.push(`${sae.path}: not an SAE of the release`);
    for (const s of found) differ(`hook of ${s.path}`, sae.hook, s.hook);
    if (entry.dSae !== undefined) for (const s of found) if (s.dSae !== undefined) differ(`dSae of ${s.path}`, entry.dSae, s.dSae);
  }
  for (const s of release.saes) if (patternOf.get(s) === undefined) out.push(`${s.path} (${s.id}): missing from the catalog`);
  return out;
}

function releaseOf(name: string): ReleaseFacts {
  const release = facts.releases[name];
  assert.ok(release, `${name}: no SAELens facts (regenerate test/fixtures/saelens-catalog-facts.json, or list it in "absent")`);
  return release;
}

describe('the SAE catalog agrees with SAELens', () => {
  test('the facts name their source: a SAELens commit', () => {
    assert.match(facts.source.repository, /SAELens/);
    assert.ok(facts.source.files.includes('sae_lens/pretrained_saes.yaml'));
  });

  test('every release of the catalog is in the facts, or listed as absent from SAELens', () => {
    const names = catalog.map((e) => e.name);
    assert.deepEqual(
      names.filter((n) => !facts.releases[n] && !facts.absent.includes(n)),
      [],
    );
    assert.deepEqual(
      facts.absent.filter((n) => !names.includes(n)),
      [],
      'facts about releases the catalog no longer has',
    );
    assert.deepEqual(
      Object.keys(facts.releases).filter((n) => !names.includes(n)),
      [],
      'facts about releases the catalog no longer has',
    );
  });

  for (const entry of catalog.filter((e) => !facts.absent.includes(e.name))) {
    test(`${entry.name}: repo, model, kwargs, normalisation, Neuronpedia ids, and every SAE's path and hook`, () => {
      assert.deepEqual(disagreements(entry, releaseOf(entry.name)), []);
    });
  }

  test('a drifted entry is caught: hook, kwargs, Neuronpedia id, a missing or an extra SAE', () => {
    const entry = catalog.find((e) => e.name === 'gpt2-small-res-jb');
    assert.ok(entry);
    const release = releaseOf(entry.name);
    assert.deepEqual(disagreements(entry, release), []);

    const { modelFromPretrainedKwargs: _kw, ...withoutKwargs } = entry;
    assert.deepEqual(disagreements(withoutKwargs, release), [
      'modelFromPretrainedKwargs: catalog null, SAELens {"center_writing_weights":true}',
    ]);
    const post = disagreements({ ...entry, hook: 'blocks.{layer}.hook_resid_post' }, release);
    assert.equal(post.length, 12);
    assert.ok(post.includes('hook of blocks.8.hook_resid_pre: catalog "blocks.8.hook_resid_post", SAELens "blocks.8.hook_resid_pre"'));
    const ids = { ...entry.neuronpediaIds, 'blocks.8.hook_resid_pre': 'gpt2-small/8-res-jbx' };
    assert.equal(disagreements({ ...entry, neuronpediaIds: ids }, release).length, 1);
    assert.deepEqual(disagreements({ ...entry, otherSaes: [] }, release), [
      'blocks.11.hook_resid_post (blocks.11.hook_resid_post): missing from the catalog',
    ]);
    assert.deepEqual(disagreements({ ...entry, layers: [...entry.layers, 12] }, release), [
      'blocks.12.hook_resid_pre: not an SAE of the release',
    ]);
    assert.deepEqual(disagreements({ ...entry, repo: 'jbloom/other' }, release).slice(0, 1), [
      'repo: catalog "jbloom/other", SAELens "jbloom/GPT2-Small-SAEs-Reformatted"',
    ]);
  });

  test('pythia-70m-deduped-res-sm: `{layer}-res-sm` is hook_resid_post, `e-res-sm` the embeddings (resid_pre of block 0)', () => {
    const entry = catalog.find((e) => e.name === 'pythia-70m-deduped-res-sm');
    assert.ok(entry);
    assert.equal(findCatalogSae(entry.repo, '3-res-sm')?.sae.hook, 'blocks.3.hook_resid_post');
    assert.equal(findCatalogSae(entry.repo, 'e-res-sm')?.sae.hook, 'blocks.0.hook_resid_pre');
    const pre = disagreements({ ...entry, hook: 'blocks.{layer}.hook_resid_pre' }, releaseOf(entry.name));
    assert.equal(pre.length, 6);
  });
});
