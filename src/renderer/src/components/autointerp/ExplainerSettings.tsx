import { useState, type FormEvent } from 'react';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { TextField } from '../TextField.tsx';
import { Button } from '../ui.tsx';

const keySources = { env: 'from $SAE_EXPLORER_EXPLAINER_KEY', settings: 'saved (mode 0600)', none: 'none' } as const;

/**
 * The explainer backend for automatic explanations: a local ONNX model folder, or an
 * OpenAI-compatible endpoint (base URL, model, optional API key). Nothing leaves the machine
 * unless the endpoint is remote.
 */
export function ExplainerSettingsForm() {
  const api = useApi();
  const { state, reload } = useRequest('autointerp.settings');
  const [form, setForm] = useState<{ endpoint: string; model: string; onnxModel: string; apiKey: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (state.status !== 'ready') return null;
  const s = state.value;
  const f = form ?? { endpoint: s.endpoint ?? '', model: s.model ?? '', onnxModel: s.onnxModel ?? '', apiKey: '' };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await api.request('autointerp.setSettings', {
      endpoint: f.endpoint.trim() || null,
      model: f.model.trim() || null,
      onnxModel: f.onnxModel.trim() || null,
      ...(f.apiKey.trim() ? { apiKey: f.apiKey.trim() } : {}),
    });
    if (r.ok) {
      setForm(null);
      setError(null);
      reload();
    } else setError(r.error.message);
  };
  const field = (name: keyof typeof f, label: string, hint: string) => (
    <TextField name={`explainer-${name}`} label={label} hint={hint} value={f[name]} onChange={(v) => setForm({ ...f, [name]: v })} />
  );
  return (
    <form className="space-y-2" onSubmit={(e) => void save(e)} data-testid="explainer-settings">
      {field('onnxModel', 'Local ONNX model folder', 'e.g. /models/qwen2.5-0.5b-instruct-onnx (leave empty to use an endpoint)')}
      {field('endpoint', 'OpenAI-compatible endpoint', 'e.g. http://127.0.0.1:8080/v1 (llama.cpp, Ollama, vLLM, LM Studio)')}
      {field('model', 'Endpoint model name', 'e.g. qwen2.5-7b-instruct')}
      {field('apiKey', `API key (${keySources[s.keySource]})`, 'only for hosted endpoints; left empty keeps the current one')}
      {error && <p className="text-xs text-red-600 dark:text-red-400">{error}</p>}
      <Button type="submit">Save explainer</Button>
    </form>
  );
}
