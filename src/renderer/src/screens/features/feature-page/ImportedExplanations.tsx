import { useRequest } from '../../../api/api-context.tsx';

/** Explanations imported from Neuronpedia for this feature (kept beside the user's own label), best first. */
export function ImportedExplanations({ feature }: { feature: number }) {
  const { state } = useRequest('annotation.explanations', { feature });
  if (state.status !== 'ready' || state.value.length === 0) return null;
  return (
    <div className="mt-4 border-t border-zinc-200 pt-3 dark:border-zinc-800">
      <h3 className="mb-1.5 text-xs font-medium text-zinc-500 dark:text-zinc-400">Explanations from Neuronpedia</h3>
      <ul className="space-y-1.5" data-testid="imported-explanations">
        {state.value.map((e) => (
          <li key={e.description} className="text-sm" data-testid="imported-explanation">
            <p className="text-zinc-900 dark:text-zinc-100">{e.description}</p>
            <p className="text-[11px] text-zinc-500 dark:text-zinc-400">
              {[e.explainerModel, e.typeName, e.score === null ? null : `score ${e.score.toFixed(2)}`, `${e.modelId}/${e.layer}`]
                .filter(Boolean)
                .join(' · ')}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
