import { useEffect, useState } from 'react';
import type { NeuronpediaIdInfo } from '#shared/annotation-types.ts';
import { formatNeuronpediaId, NEURONPEDIA_ID_PATTERN } from '#shared/neuronpedia.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';

/**
 * The open SAE's Neuronpedia ids as stored, the text being edited, and `save` (null clears
 * the user's own, going back to the SAE's).
 */
export function useNeuronpediaId() {
  const api = useApi();
  const { state, reload } = useRequest('annotation.neuronpediaId', {});
  const [info, setInfo] = useState<NeuronpediaIdInfo | null>(null);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = info ?? (state.status === 'ready' ? state.value : null);
  useEffect(() => {
    if (state.status === 'ready') setText(state.value.id ? formatNeuronpediaId(state.value.id) : '');
  }, [state]);

  const save = async (value: string | null): Promise<void> => {
    if (value !== null && !NEURONPEDIA_ID_PATTERN.test(value.trim())) {
      setError('MODEL/LAYER, e.g. gpt2-small/8-res-jb');
      return;
    }
    setBusy(true);
    const reply = await api.request('annotation.setNeuronpediaId', { neuronpediaId: value === null ? null : value.trim() });
    setBusy(false);
    if (!reply.ok) return setError(reply.error.message);
    setError(null);
    setInfo(reply.value);
    setText(reply.value.id ? formatNeuronpediaId(reply.value.id) : '');
  };

  return { state, reload, current, text, setText, error, busy, save };
}
