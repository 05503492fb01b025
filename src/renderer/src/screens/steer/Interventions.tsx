import type { WorkspaceInfo } from '#shared/workspace-types.ts';
import { AddFeature } from './AddFeature.tsx';
import type { DraftFeature } from './draft.ts';
import { FeatureEditor } from './FeatureEditor.tsx';

/** The features to steer: add by id or search, then per feature its mode, value and positions. */
export function Interventions({
  features,
  workspace,
  promptLength,
}: {
  features: readonly DraftFeature[];
  workspace: WorkspaceInfo | null;
  promptLength: number | null;
}) {
  return (
    <div>
      <AddFeature workspace={workspace} />
      {features.length === 0 ? (
        <p className="mt-3 text-sm text-zinc-500 dark:text-zinc-400">
          No features yet: without any, both sides are the same. Add one by id (e.g. 444 on the demo), by search, or from a feature’s page.
        </p>
      ) : (
        <ul className="mt-3 space-y-3" aria-label="Features to steer">
          {features.map((f) => (
            <FeatureEditor key={f.key} f={f} promptLength={promptLength} />
          ))}
        </ul>
      )}
    </div>
  );
}
