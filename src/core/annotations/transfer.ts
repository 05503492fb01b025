/**
 * `annotation.import` and `annotation.export` over one SAE's annotations: the format is
 * detected on import (SAE Explorer JSON, or Neuronpedia explanation rows, gzip or not), and
 * Neuronpedia rows are matched by the SAE's Neuronpedia ids or an explicit mapping.
 */
import type { AnnotationExport, AnnotationImportResult } from '#shared/annotation-types.ts';
import type { Payload } from '#shared/contract.ts';
import { parseNeuronpediaId } from '#shared/neuronpedia.ts';
import type { AnnotationCore } from './identity.ts';
import { exportAnnotations } from './export.ts';
import { checkSameSae, importFormat, importWarning, parseImport } from './import.ts';
import { checkMatch, planImport, rowSources, type ImportContext } from './neuronpedia-import.ts';
import { importText, parseExplanationRows } from './neuronpedia-rows.ts';
import type { AnnotationStore } from './store.ts';
import { neuronpediaInfo, resolveSaeTarget, type SaeTarget } from './target.ts';

/** Imports a file into an SAE's annotations (see the `annotation.import` contract entry). */
export async function importFile(
  core: AnnotationCore,
  store: AnnotationStore,
  p: Payload<'annotation.import'>,
): Promise<AnnotationImportResult> {
  const target = await resolveSaeTarget(core, p.sae);
  const id = target.identity;
  store.rememberSae(id);
  const name = p.name ?? 'the file';
  const text = importText(p.content, p.encoding ?? 'text', name);
  const dryRun = p.dryRun === true;
  if (importFormat(text) === 'json') {
    const file = parseImport(text, name);
    checkSameSae(file.identity, id, p.force === true);
    const inRange = file.annotations.filter((a) => a.feature < id.dSae);
    const merged = store.merge(id.saeHash, inRange, Date.now(), dryRun);
    const explanations = file.explanations.filter(
      (e) => e.feature < id.dSae && !store.explanations.has(id.saeHash, e.feature, e.description),
    );
    const outOfRange = file.annotations.length - inRange.length;
    return {
      format: 'json',
      dryRun,
      ...merged,
      explanationsAdded: dryRun ? explanations.length : store.explanations.add(id.saeHash, explanations),
      skipped: outOfRange
        ? [
            {
              reason: 'out-of-range',
              count: outOfRange,
              detail: `${outOfRange} annotation(s) of features beyond this SAE's ${id.dSae} left out`,
            },
          ]
        : [],
      sources: [],
      matchedId: null,
      warning: importWarning(file.identity, id, outOfRange),
    };
  }
  const rows = parseExplanationRows(text, name);
  const ctx = importContext(store, target, name, p.neuronpediaId);
  if (!dryRun) checkMatch(ctx, rowSources(rows));
  const plan = planImport(rows, ctx);
  const added = dryRun ? plan.add.length : store.explanations.add(id.saeHash, plan.add);
  return { ...plan.result, dryRun, added, explanationsAdded: added };
}

function importContext(store: AnnotationStore, target: SaeTarget, name: string, mapping: string | undefined): ImportContext {
  const id = target.identity;
  const info = neuronpediaInfo(store, target);
  const mapped = mapping === undefined ? null : parseNeuronpediaId(mapping);
  const labels = new Map(store.all(id.saeHash).map((a) => [a.feature, a.label]));
  return {
    name,
    dSae: id.dSae,
    match: mapped ?? info.id,
    matchFrom: mapped ? 'the mapping given' : info.source === 'user' ? 'set on the Models screen' : 'from its cfg.json or the SAE catalog',
    label: (f) => labels.get(f) ?? '',
    stored: (f, d) => store.explanations.has(id.saeHash, f, d),
  };
}

/** Exports an SAE's annotations (see the `annotation.export` contract entry). */
export async function exportFile(core: AnnotationCore, store: AnnotationStore, p: Payload<'annotation.export'>): Promise<AnnotationExport> {
  const target = await resolveSaeTarget(core, p.sae);
  const id = target.identity;
  store.rememberSae(id);
  const override = p.neuronpediaId === undefined ? null : parseNeuronpediaId(p.neuronpediaId);
  return exportAnnotations(p.format, {
    identity: id,
    neuronpediaId: override ?? neuronpediaInfo(store, target).id,
    annotations: store.all(id.saeHash),
    explanations: store.explanations.all(id.saeHash),
  });
}
