import { useState, type FormEvent } from 'react';
import { formatShare } from '#shared/format.ts';
import type { CompareOrder, HealthComparison, HealthPair } from '#shared/health-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { bindTextFields, SubmitRow } from '../../components/TextField.tsx';
import { Button, Card } from '../../components/ui.tsx';
import { href } from '../../routes.ts';
import { HealthHistogram } from './HealthHistogram.tsx';

const PAGE = 25;

const orderNames: Record<CompareOrder, string> = { desc: 'best match first', asc: 'worst match first', latent: 'by latent id' };

function Latent({ id, linked, label }: { id: number; linked: boolean; label: string }) {
  if (!linked) return <span className="font-mono">{id}</span>;
  return (
    <a
      href={href('features', [id])}
      className="font-mono text-violet-700 hover:underline dark:text-violet-300"
      aria-label={`${label} feature ${id}`}
    >
      {id}
    </a>
  );
}

function Pairs({ c, onPage }: { c: HealthComparison; onPage: (offset: number, order: CompareOrder) => void }) {
  const { offset, total, order, items } = c.pairs;
  return (
    <div className="mt-5">
      <div className="flex flex-wrap items-center gap-3">
        <h3 className="flex-1 text-sm font-medium">Matched pairs</h3>
        <label className="text-xs">
          Order{' '}
          <select
            value={order}
            onChange={(e) => onPage(0, e.target.value as CompareOrder)}
            className="rounded-md border border-zinc-300 bg-white px-1.5 py-1 text-xs dark:border-zinc-700 dark:bg-zinc-900"
          >
            {Object.entries(orderNames).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <Button onClick={() => onPage(Math.max(0, offset - PAGE), order)} disabled={offset === 0}>
          Previous
        </Button>
        <span className="text-xs tabular-nums text-zinc-500">
          {(offset + 1).toLocaleString()}–{Math.min(total, offset + items.length).toLocaleString()} of {total.toLocaleString()}
        </span>
        <Button onClick={() => onPage(offset + PAGE, order)} disabled={offset + items.length >= total}>
          Next
        </Button>
      </div>
      <table className="mt-2 w-full text-left text-sm" data-testid="compare-pairs">
        <thead className="text-xs text-zinc-500 dark:text-zinc-400">
          <tr>
            <th className="py-1 font-medium">A latent</th>
            <th className="py-1 font-medium">best B latent</th>
            <th className="py-1 font-medium">cosine</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
          {items.map((p: HealthPair) => (
            <tr key={p.a} data-testid="compare-pair">
              <td className="py-1">
                <Latent id={p.a} linked={c.a.current} label="A" />
              </td>
              <td className="py-1">
                <Latent id={p.b} linked={c.b.current} label="B" />
              </td>
              <td className="py-1 font-mono tabular-nums">{p.cosine.toFixed(4)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
        Feature pages exist only for the workspace's SAE ({c.a.current ? 'A' : c.b.current ? 'B' : 'neither side here'}): the other side's
        latents show their id and cosine only. To browse B's features, open B in Models and compare the other way round.
      </p>
    </div>
  );
}

/** Two SAEs on the same hook, compared by the cosine of their decoder rows. */
export function ComparePanel() {
  const api = useApi();
  const [fields, setFields] = useState({ a: '', b: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<HealthComparison | null>(null);

  const fetchPage = async (offset: number, order: CompareOrder, f = fields) => {
    setBusy(true);
    setError(null);
    const reply = await api.request('health.compare', {
      b: f.b.trim(),
      ...(f.a.trim() ? { a: f.a.trim() } : {}),
      offset,
      limit: PAGE,
      order,
    });
    setBusy(false);
    if (reply.ok) setResult(reply.value);
    else setError(reply.error.message);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    void fetchPage(0, 'desc');
  };

  const input = bindTextFields(fields, setFields);

  return (
    <Card title="Compare dictionaries" className="mt-6" data-testid="health-compare">
      <p className="mb-3 text-sm text-zinc-600 dark:text-zinc-400">
        For each latent of A, the largest cosine similarity between its decoder direction and any of B's. Two SAEs trained on the same hook
        that learned the same feature have a pair near 1.
      </p>
      <form className="grid gap-3" onSubmit={submit} aria-label="Compare dictionaries">
        {input('a', 'SAE A (optional)', "default: the workspace's SAE")}
        {input('b', 'SAE B', 'SAE folder or file on the same hook', true)}
        <SubmitRow label="Compare" busyLabel="Comparing…" busy={busy} error={error} />
      </form>
      {result && (
        <div className="mt-5" data-testid="compare-result">
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            A <span className="font-mono">{result.a.sae}</span> ({result.a.d_sae.toLocaleString()} latents) vs B{' '}
            <span className="font-mono">{result.b.sae}</span> ({result.b.d_sae.toLocaleString()} latents)
            {result.a.hook ? ` at ${result.a.hook}` : ''}.
          </p>
          <div className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="compare-shares">
            {(
              [
                ['> 0.9', result.shares.above_0_9],
                ['> 0.8', result.shares.above_0_8],
                ['> 0.7', result.shares.above_0_7],
              ] as const
            ).map(([k, v]) => (
              <div key={k} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
                <div className="text-xs text-zinc-500">best cosine {k}</div>
                <div className="font-mono text-lg font-semibold tabular-nums">{formatShare(v)}</div>
              </div>
            ))}
            <div className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
              <div className="text-xs text-zinc-500">mean</div>
              <div className="font-mono text-lg font-semibold tabular-nums">{result.mean_max_cosine.toFixed(3)}</div>
            </div>
            <div className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
              <div className="text-xs text-zinc-500">median</div>
              <div className="font-mono text-lg font-semibold tabular-nums">{result.median_max_cosine.toFixed(3)}</div>
            </div>
          </div>
          <div className="mt-4">
            <h3 className="text-sm font-medium">Best cosine of each A latent</h3>
            <HealthHistogram bins={result.histogram} label={(v) => v.toFixed(2)} unit="latents of A" testId="similarity-histogram" />
          </div>
          <Pairs c={result} onPage={(offset, order) => void fetchPage(offset, order)} />
        </div>
      )}
    </Card>
  );
}
