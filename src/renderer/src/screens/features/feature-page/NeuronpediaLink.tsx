import { formatNeuronpediaId, neuronpediaFeatureUrl } from '#shared/neuronpedia.ts';
import { useRequest } from '../../../api/api-context.tsx';
import { href } from '../../../routes.ts';
import { linkClass } from '../common/explorer-ui.tsx';

/**
 * This feature on Neuronpedia, when the SAE has Neuronpedia ids: a link out (the desktop app
 * opens it in the system browser, a browser in a new tab); else where to set the ids.
 */
export function NeuronpediaLink({ id }: { id: number }) {
  const { state } = useRequest('annotation.neuronpediaId', {});
  if (state.status !== 'ready') return null;
  const np = state.value.id;
  if (!np) {
    return (
      <a
        className={`${linkClass} text-xs`}
        href={href('models')}
        data-testid="neuronpedia-missing"
        title="Set this SAE's Neuronpedia ids on the Models screen"
      >
        No Neuronpedia id
      </a>
    );
  }
  return (
    <a
      className={`${linkClass} text-xs`}
      href={neuronpediaFeatureUrl(np, id)}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="neuronpedia-link"
      title={`${formatNeuronpediaId(np)} (${state.value.source === 'user' ? 'set on the Models screen' : "from the SAE's cfg.json or the catalog"})`}
    >
      Neuronpedia {formatNeuronpediaId(np)}/{id} ↗
    </a>
  );
}
