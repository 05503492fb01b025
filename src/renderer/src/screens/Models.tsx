import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { JobProgress, WorkspaceInfo } from '#shared/contract.ts';
import { formatProgress } from '#shared/format.ts';
import { useApi, useEvent, useRequest } from '../api/api-context.tsx';
import { indexProblem } from '../components/index-problem.ts';
import { IndexProblemNote } from '../components/IndexProblemNote.tsx';
import { bindTextFields, SubmitRow } from '../components/TextField.tsx';
import { Badge, Card, ErrorNote, ScreenHeader } from '../components/ui.tsx';
import { AddPanel } from './models/AddPanel.tsx';
import { Downloads, usePulls } from './models/Downloads.tsx';
import type { OpenTarget } from './models/format.ts';
import { NeuronpediaIdField } from './models/NeuronpediaIdField.tsx';

/** The fields of the open form. */
interface OpenFields {
  model: string;
  sae: string;
  hook: string;
  corpus: string;
}

/**
 * The model + SAE the app works on, its index, and a form to open another; below it, where
 * models and SAEs come from (catalog, hub repo, local folder, HF cache) and the downloads.
 */
export function Models() {
  const { state, reload } = useRequest('workspace.get');
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const info = state.status === 'ready' ? state.value : null;
  const [fields, setFields] = useState<OpenFields>({ model: '', sae: '', hook: '', corpus: '' });
  const [filled, setFilled] = useState<OpenTarget | null>(null);
  const formRef = useRef<HTMLDivElement>(null);
  const { pulls, progress: pullProgress, reload: reloadPulls } = usePulls();
  const [cacheVersion, setCacheVersion] = useState(0);
  const use = (target: OpenTarget, path: string): void => {
    setFields((f) => ({ ...f, [target]: path }));
    setFilled(target);
    formRef.current?.scrollIntoView?.({ behavior: 'smooth', block: 'center' });
  };
  // a finished download adds to the HF cache listing
  useEvent('job.state', (s) => {
    if (s.kind === 'download' && s.state === 'done') setCacheVersion((v) => v + 1);
  });

  // the index job's progress streams in; a finished job means the workspace changed
  useEvent('job.progress', (p) => {
    if (info?.indexJob && p.job === info.indexJob) setProgress(p);
  });
  useEvent('job.state', reload);
  useEvent('workspace.changed', reload);

  return (
    <>
      <ScreenHeader
        title="Models"
        lead="The language model and sparse autoencoder the app works on, and the corpus whose activations are indexed for them."
      />
      {state.status === 'error' && <ErrorNote title="Could not read the workspace" message={state.error.message} onRetry={reload} />}
      {state.status === 'loading' && !info && (
        <p role="status" className="text-sm text-zinc-500">
          Loading…
        </p>
      )}
      {info && <Current info={info} progress={progress} />}
      <div ref={formRef}>
        <OpenForm fields={fields} setFields={setFields} filled={filled} onOpened={reload} />
      </div>
      <AddPanel use={use} onPulled={reloadPulls} cacheVersion={cacheVersion} />
      <Downloads pulls={pulls} progress={pullProgress} use={use} />
    </>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-3 py-1 text-sm">
      <dt className="text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="min-w-0 break-all font-mono text-xs leading-5">{children}</dd>
    </div>
  );
}

function Current({ info, progress }: { info: WorkspaceInfo; progress: JobProgress | null }) {
  const sel = info.selection;
  if (!sel) {
    return (
      <Card title="Nothing open yet" data-testid="workspace">
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Open a model folder and an SAE below to start.</p>
      </Card>
    );
  }
  const idx = info.index;
  const problem = indexProblem(info);
  const fraction = progress && progress.total ? Math.min(1, progress.done / progress.total) : undefined;
  return (
    <Card
      title={<span className="flex items-center gap-2">Open now {sel.demo && <Badge tone="accent">embedded demo</Badge>}</span>}
      data-testid="workspace"
    >
      <dl>
        <Row label="Model">{sel.model}</Row>
        <Row label="SAE">{sel.sae}</Row>
        <Row label="Hook">{info.engine?.hook ?? sel.hook ?? 'from the SAE'}</Row>
        {info.engine && (
          <Row label="SAE shape">
            {info.engine.architecture} · d_in {info.engine.dIn} · {info.engine.dSae.toLocaleString()} latents
          </Row>
        )}
        {info.engine && <Row label="Preprocessing">{info.engine.preprocessing}</Row>}
        {info.engine && <Row label="Runs on">{info.engine.provider}</Row>}
        <Row label="Corpus">{sel.corpus ?? 'none'}</Row>
        <Row label="Index">
          <span data-testid="index-state">
            {problem ? problem.state : idx ? idx.state : info.indexJob ? 'starting' : 'not built'}
            {idx && ` · ${idx.tokens.toLocaleString()} tokens, ${idx.documents.toLocaleString()} documents${problem ? ' so far' : ''}`}
          </span>
        </Row>
      </dl>
      {info.engine && <NeuronpediaIdField />}
      {info.indexJob && (
        <div className="mt-3">
          <progress className="h-1.5 w-full accent-violet-600" max={1} value={fraction} aria-label="indexing progress" />
          <p className="mt-1 text-xs text-zinc-500">
            {progress ? formatProgress(progress) : 'Indexing in the background: the explorer is ready when it finishes.'}
          </p>
        </div>
      )}
      {problem && (
        <div className="mt-3">
          <IndexProblemNote problem={problem} />
        </div>
      )}
      {info.error && info.error !== problem?.message && <p className="mt-2 text-sm text-rose-600 dark:text-rose-400">{info.error}</p>}
    </Card>
  );
}

function OpenForm({
  fields,
  setFields,
  filled,
  onOpened,
}: {
  fields: OpenFields;
  setFields: (f: OpenFields) => void;
  /** The field a picker or download filled last, to say so. */
  filled: OpenTarget | null;
  onOpened: () => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setError(null), [fields]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const reply = await api.request('workspace.open', {
      model: fields.model.trim(),
      sae: fields.sae.trim(),
      ...(fields.hook.trim() ? { hook: fields.hook.trim() } : {}),
      ...(fields.corpus.trim() ? { corpus: fields.corpus.trim() } : {}),
    });
    setBusy(false);
    if (reply.ok) onOpened();
    else setError(reply.error.message);
  };

  const input = bindTextFields(fields, setFields);

  return (
    <Card title="Open a model and an SAE" className="mt-6">
      <form className="grid gap-3" onSubmit={(e) => void submit(e)} aria-label="Open a model and an SAE">
        {input('model', 'Model folder', 'folder with model.onnx (or onnx/model.onnx), config.json, tokenizer.json', true)}
        {input('sae', 'SAE', 'SAELens / sparsify folder, or a Gemma Scope params.npz', true)}
        {input('hook', 'Hook (optional)', "e.g. blocks.6.hook_resid_post; default: the SAE's own")}
        {input('corpus', 'Corpus to index (optional)', '.jsonl, .txt, .parquet, or a folder of them')}
        {filled && (
          <p className="text-xs text-zinc-500" data-testid="open-filled">
            The {filled === 'sae' ? 'SAE' : 'model folder'} field was filled from below; open when both are set.
          </p>
        )}
        <SubmitRow label="Open" busyLabel="Opening…" busy={busy} error={error} />
      </form>
    </Card>
  );
}
