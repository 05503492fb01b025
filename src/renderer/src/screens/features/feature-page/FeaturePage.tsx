import { useState } from 'react';
import type { FeatureDashboard } from '#shared/contract.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { AutoExplanations } from '../../../components/autointerp/AutoExplanations.tsx';
import { Card, ErrorNote } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';
import { AnnotationEditor } from '../annotations/AnnotationEditor.tsx';
import { CooccurringFeatures } from './CooccurringFeatures.tsx';
import { DensityChart } from '../histogram/DensityChart.tsx';
import { ExampleList } from '../examples/ExampleList.tsx';
import { linkClass, Loading, Notice, primaryButtonClass, Segmented, Stat } from '../common/explorer-ui.tsx';
import { contextSizes, REQUEST_CONTEXT, type ContextSize } from '../examples/examples.ts';
import { formatCount, formatDensity, formatValue } from '../common/format.ts';
import { ImportedExplanations } from './ImportedExplanations.tsx';
import { IntervalGroups } from '../examples/IntervalGroups.tsx';
import { LogitEffects } from './LogitEffects.tsx';
import { NearestFeatures } from './NearestFeatures.tsx';
import { NeuronpediaLink } from './NeuronpediaLink.tsx';
import { RangeSampler } from '../histogram/RangeSampler.tsx';
import { TokenChips } from '../list/TokenChips.tsx';
import { topTokenSummary } from './top-tokens.ts';
import { TryText } from './TryText.tsx';
import type { IndexedWorkspace } from '../shell/use-explorer-workspace.ts';

/**
 * One feature: statistics and top tokens, histogram with range sampling, examples (each with
 * the effect of ablating it), typed text, logit effects with their histogram, neighbours by
 * decoder and by co-occurrence, the annotation with imported explanations, and a link to
 * Neuronpedia.
 */
export function FeaturePage({ id, workspace }: { id: number; workspace: IndexedWorkspace }) {
  const { db, dSae, info } = workspace;
  const { state, reload } = useRequest('feature.get', { db, id, context: REQUEST_CONTEXT });
  const [context, setContext] = useState<ContextSize>(16);
  // bumped when the user accepts an auto explanation as their label: the editor reloads it
  const [labelVersion, setLabelVersion] = useState(0);
  const saeKey = `${info.selection?.sae ?? ''}|${info.engine?.hook ?? info.selection?.hook ?? ''}`;

  if (id >= dSae) {
    return (
      <Notice title={`No feature ${id}`}>
        This SAE has features 0–{dSae - 1}.{' '}
        <a className={linkClass} href={href('features')}>
          Back to search
        </a>
      </Notice>
    );
  }
  return (
    <div className="space-y-5" data-testid="feature-page" data-feature={id}>
      <FeatureHeader id={id} dSae={dSae} />
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="min-w-0 space-y-5">
          {state.status === 'loading' && <Loading what={`feature ${id}`} />}
          {state.status === 'error' && <ErrorNote title={`Could not load feature ${id}`} message={state.error.message} onRetry={reload} />}
          {state.status === 'ready' && (
            <Dashboard
              dashboard={state.value}
              db={db}
              context={context}
              setContext={setContext}
              densityBins={info.index?.summary?.densityHistogram ?? []}
            />
          )}
        </div>
        <aside className="min-w-0 space-y-5">
          <Card title="Annotation">
            <AnnotationEditor key={labelVersion} feature={id} saeKey={saeKey} />
            <ImportedExplanations feature={id} />
            <AutoExplanations feature={id} db={db} onAccepted={() => setLabelVersion((v) => v + 1)} />
          </Card>
          <Card title="Logit effects">
            <LogitEffects id={id} />
          </Card>
          <Card
            title="Nearest by decoder cosine"
            actions={
              <a className={`${linkClass} text-xs`} href={href('features', [], { mode: 'similar', q: id })}>
                more
              </a>
            }
          >
            <NearestFeatures id={id} db={db} />
          </Card>
          <Card title="Co-occurring features">
            <CooccurringFeatures id={id} db={db} />
          </Card>
        </aside>
      </div>
    </div>
  );
}

function FeatureHeader({ id, dSae }: { id: number; dSae: number }) {
  return (
    <div className="flex flex-wrap items-center gap-3">
      <h2 className="text-xl font-semibold tracking-tight" data-testid="feature-title">
        Feature {id}
      </h2>
      <NeuronpediaLink id={id} />
      <nav aria-label="Neighbouring ids" className="flex items-center gap-1 text-xs">
        {id > 0 && (
          <a className={linkClass} href={href('features', [id - 1])} aria-label={`Previous feature, ${id - 1}`}>
            ← {id - 1}
          </a>
        )}
        {id < dSae - 1 && (
          <a className={`${linkClass} ml-2`} href={href('features', [id + 1])} aria-label={`Next feature, ${id + 1}`}>
            {id + 1} →
          </a>
        )}
      </nav>
      <a className={`${primaryButtonClass} ml-auto`} href={href('steer', [], { add: id })} data-testid="steer-link">
        Steer with this feature
      </a>
    </div>
  );
}

function Dashboard({
  dashboard,
  db,
  context,
  setContext,
  densityBins,
}: {
  dashboard: FeatureDashboard;
  db: string;
  context: ContextSize;
  setContext: (c: ContextSize) => void;
  densityBins: Parameters<typeof DensityChart>[0]['bins'];
}) {
  const d = dashboard;
  const contextToggle = (
    <Segmented
      label="Context size"
      options={contextSizes.map((c) => ({ value: c, label: `${c} tokens` }))}
      value={context}
      onChange={setContext}
    />
  );
  const tryText = (
    <Card title="Try your own text">
      <TryText id={d.id} max={d.max} />
    </Card>
  );
  if (d.count === 0) {
    return (
      <>
        <Notice title="A dead feature" testId="dead-feature">
          Feature {d.id} never fires on the indexed corpus, so it has no examples. Its logit effects and nearest features (at the side)
          still say what its decoder direction does.
        </Notice>
        {tryText}
      </>
    );
  }
  return (
    <>
      <Card title="Activations">
        <dl className="mb-4 grid grid-cols-2 gap-4 sm:grid-cols-4" data-testid="feature-stats">
          <Stat label="Density" value={formatDensity(d.density)} testId="stat-density" />
          <Stat label="Activations" value={formatCount(d.count)} testId="stat-count" />
          <Stat label="Max" value={formatValue(d.max)} testId="stat-max" />
          <Stat label="Mean" value={formatValue(d.mean)} testId="stat-mean" />
        </dl>
        <div className="mb-4 flex items-start gap-3">
          <span className="shrink-0 pt-0.5 text-xs text-zinc-500 dark:text-zinc-400">Top tokens</span>
          <TokenChips tokens={topTokenSummary(d.top)} label={`Tokens the top ${d.top.length} activations fire on`} testId="top-tokens" />
        </div>
        <RangeSampler db={db} dashboard={d} context={context} />
      </Card>
      {densityBins.length > 0 && (
        <Card title="Density among all features">
          <DensityChart bins={densityBins} density={d.density} />
        </Card>
      )}
      <Card title="Top activations" actions={contextToggle}>
        <ExampleList examples={d.top} context={context} max={d.max} testId="top-examples" effect={{ db, id: d.id }} />
      </Card>
      {tryText}
      <Card title="By activation interval" actions={contextToggle}>
        <IntervalGroups intervals={d.intervals} context={context} max={d.max} />
      </Card>
    </>
  );
}
