import { useRequest, useEvent } from '../api/api-context.tsx';
import { ScreenHeader } from '../components/ui.tsx';
import { ComparePanel } from './health/ComparePanel.tsx';
import { EvaluationPanel } from './health/EvaluationPanel.tsx';

/** SAE health: evaluation metrics on the workspace's corpus, and dictionary comparison. */
export function Health() {
  const ws = useRequest('workspace.get');
  useEvent('workspace.changed', ws.reload);
  const info = ws.state.status === 'ready' ? ws.state.value : null;
  return (
    <>
      <ScreenHeader
        title="Health"
        lead="How well the SAE reconstructs the model on your corpus: the numbers the SAE papers judge a dictionary by, and how two dictionaries on the same hook compare."
      />
      <EvaluationPanel info={info} />
      <ComparePanel />
    </>
  );
}
