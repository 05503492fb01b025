import { useState, type FormEvent } from 'react';
import type { HubSettings } from '#shared/hub-types.ts';
import { useApi, useRequest } from '../../api/api-context.tsx';
import { bindTextFields, SubmitRow, textInputClass } from '../../components/TextField.tsx';
import { Button } from '../../components/ui.tsx';
import type { StartPull } from './CatalogTab.tsx';

/** Any hub repo: repo id, path inside it, revision and kind; plus where downloads go and the token. */
export function RepoTab({ pull }: { pull: StartPull }) {
  const [f, setF] = useState({ repo: '', path: '', revision: '', kind: '', onnxFile: '' });
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const kind = f.kind === 'sae' || f.kind === 'model' ? f.kind : undefined;
    setMessage(
      await pull({
        repo: f.repo.trim(),
        ...(f.path.trim() ? { path: f.path.trim() } : {}),
        ...(f.revision.trim() ? { revision: f.revision.trim() } : {}),
        ...(kind ? { kind } : {}),
        ...(f.onnxFile.trim() ? { onnxFile: f.onnxFile.trim() } : {}),
      }),
    );
    setBusy(false);
  };

  const field = bindTextFields(f, setF);

  return (
    <div className="grid gap-5">
      <form className="grid gap-3" onSubmit={(e) => void submit(e)} aria-label="Pull from a hub repo" data-testid="hub-pull-form">
        <div className="grid gap-3 sm:grid-cols-2">
          {field('repo', 'Repo id', 'org/name, e.g. jbloom/GPT2-Small-SAEs-Reformatted', true)}
          {field('path', 'Path in the repo', 'e.g. blocks.8.hook_resid_pre (empty: the root)')}
          {field('revision', 'Revision', 'branch, tag or commit (default main)')}
          <label className="block text-sm">
            <span className="font-medium">Kind</span>
            <select name="kind" value={f.kind} onChange={(e) => setF({ ...f, kind: e.target.value })} className={textInputClass}>
              <option value="">guess from the files</option>
              <option value="sae">SAE folder</option>
              <option value="model">ONNX model</option>
            </select>
          </label>
          {f.kind !== 'sae' && field('onnxFile', 'ONNX file (models, optional)', 'e.g. onnx/model_fp16.onnx; default: as the engine picks')}
        </div>
        <SubmitRow label="Pull" busy={busy} error={message} />
      </form>
      <HubSettingsBox />
    </div>
  );
}

const sources = { env: 'from HF_TOKEN', settings: 'saved in this app', file: 'from the HF token file' } as const;

/** Endpoint, cache folder and token: where it comes from, and a field to save or forget one. */
function HubSettingsBox() {
  const api = useApi();
  const { state } = useRequest('hub.settings');
  const [settings, setSettings] = useState<HubSettings | null>(null);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const s = settings ?? (state.status === 'ready' ? state.value : null);
  if (!s) return null;

  const save = async (value: string | null) => {
    const r = await api.request('hub.setToken', { token: value });
    if (r.ok) {
      setSettings(r.value);
      setToken('');
      setError(null);
    } else setError(r.error.message);
  };

  return (
    <div className="rounded-lg bg-zinc-50 p-3 text-xs dark:bg-zinc-800/50" data-testid="hub-settings">
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1">
        <dt className="text-zinc-500">Hub</dt>
        <dd className="break-all font-mono">{s.endpoint}</dd>
        <dt className="text-zinc-500">HF cache</dt>
        <dd className="break-all font-mono">
          {s.cacheDir} <span className="text-zinc-400">({s.cacheDirSource === 'default' ? 'default' : `from ${s.cacheDirSource}`})</span>
        </dd>
        <dt className="text-zinc-500">Token</dt>
        <dd data-testid="hub-token">
          {s.token.present && s.token.source ? `set, ${sources[s.token.source]}` : 'none (public repos only)'}
          {s.offline && ' · HF_HUB_OFFLINE is set: only the cache is used'}
        </dd>
      </dl>
      <form
        className="mt-2 flex flex-wrap items-end gap-2"
        aria-label="HuggingFace token"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) void save(token.trim());
        }}
      >
        <label className="min-w-60 flex-1">
          <span className="font-medium">Access token for gated and private repos</span>
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="hf_…"
            className={textInputClass}
          />
        </label>
        <Button type="submit" disabled={!token.trim()}>
          Save token
        </Button>
        {s.token.source === 'settings' && <Button onClick={() => void save(null)}>Forget saved token</Button>}
      </form>
      {error && <p className="mt-1 text-rose-600 dark:text-rose-400">{error}</p>}
    </div>
  );
}
