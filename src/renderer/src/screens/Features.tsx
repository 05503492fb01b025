import { ScreenHeader } from '../components/ui.tsx';
import { useRouteParams } from '../routes.ts';
import { AnnotationsView } from './features/annotations/AnnotationsView.tsx';
import { FeaturePage } from './features/feature-page/FeaturePage.tsx';
import { FeatureTabs, type FeaturesTab } from './features/shell/FeatureTabs.tsx';
import { Notice } from './features/common/explorer-ui.tsx';
import { PromptInspector } from './features/prompt/PromptInspector.tsx';
import { SearchView } from './features/search/SearchView.tsx';
import { IndexGate, EngineGate } from './features/shell/WorkspaceGate.tsx';
import { useExplorerWorkspace } from './features/shell/use-explorer-workspace.ts';

/** Which view `#/features/...` names: search, a feature page, the prompt inspector or annotations. */
function viewOf(path: readonly string[]): { tab: FeaturesTab | null; feature: number | null } {
  const head = path[0];
  if (head === undefined) return { tab: 'search', feature: null };
  if (head === 'prompt' || head === 'annotations') return { tab: head, feature: null };
  if (/^\d+$/.test(head)) return { tab: null, feature: Number(head) };
  return { tab: null, feature: null };
}

/** The feature explorer: search, feature pages, the prompt inspector, annotations. */
export function Features() {
  const { path, query } = useRouteParams();
  const ws = useExplorerWorkspace();
  const { tab, feature } = viewOf(path);

  return (
    <>
      <ScreenHeader
        title="Features"
        lead="Search the SAE’s latents over the indexed corpus, open a feature to see where it fires, inspect prompts, and label what you find."
      />
      <FeatureTabs current={tab} feature={feature} />
      <div className="mt-5">
        {tab === 'search' && <IndexGate ws={ws}>{(w) => <SearchView workspace={w} params={query} />}</IndexGate>}
        {tab === 'prompt' && <EngineGate ws={ws}>{(db) => <PromptInspector db={db} initialText={query.get('text') ?? ''} />}</EngineGate>}
        {tab === 'annotations' && <AnnotationsView />}
        {feature !== null && <IndexGate ws={ws}>{(w) => <FeaturePage key={feature} id={feature} workspace={w} />}</IndexGate>}
        {tab === null && feature === null && (
          <Notice title="No such page">
            “{path.join('/')}” is not a feature id. Feature pages are at #/features/&lt;id&gt;, e.g. #/features/320.
          </Notice>
        )}
      </div>
    </>
  );
}
