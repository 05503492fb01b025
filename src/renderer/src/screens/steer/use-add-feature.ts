import { useApi } from '../../api/api-context.tsx';
import { newDraftFeature, updateDraft } from './draft.ts';

/** Adds a feature by id (checked against the SAE, with its index figures) and returns whether it worked. */
export function useAddFeature(): { add: (id: number) => Promise<string | null> } {
  const api = useApi();
  return {
    add: async (id) => {
      const reply = await api.request('steer.feature', { id });
      if (!reply.ok) return reply.error.message;
      updateDraft((d) => ({ ...d, features: [...d.features, newDraftFeature(id, reply.value)] }));
      return null;
    },
  };
}
