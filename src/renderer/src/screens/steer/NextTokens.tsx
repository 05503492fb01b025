import type { NextTokenRow, NextTokenTable } from '#shared/steer-types.ts';
import { cx } from '../../components/ui.tsx';
import { percent, visibleToken } from './format.ts';

/** The prompt's next token: the 10 most likely without and with steering, each with both probabilities. */
export function NextTokens({ table }: { table: NextTokenTable }) {
  return (
    <div
      className="mt-5 rounded-xl border border-zinc-200 bg-white shadow-sm dark:border-zinc-800 dark:bg-zinc-900"
      data-testid="steer-next"
    >
      <h3 className="border-b border-zinc-200 px-4 py-2 text-sm font-semibold dark:border-zinc-800">
        The prompt’s next token: top 10, default vs steered
      </h3>
      <div className="grid grid-cols-2 gap-4 p-4">
        <List title="Most likely by default" rows={table.default} own="default" />
        <List title="Most likely when steered" rows={table.steered} own="steered" />
      </div>
    </div>
  );
}

function List({ title, rows, own }: { title: string; rows: readonly NextTokenRow[]; own: 'default' | 'steered' }) {
  if (!rows.length) return <p className="text-xs text-zinc-500">{title}: waiting for the first step…</p>;
  const top = Math.exp((own === 'default' ? rows[0]!.defaultLogprob : rows[0]!.steeredLogprob) ?? 0);
  return (
    <table className="w-full table-fixed text-xs" aria-label={title}>
      <caption className="mb-1 text-left font-medium text-zinc-700 dark:text-zinc-300">{title}</caption>
      <thead>
        <tr className="text-left text-zinc-500 dark:text-zinc-400">
          <th className="w-[40%] py-1 font-normal">token</th>
          <th className="py-1 text-right font-normal">default</th>
          <th className="py-1 text-right font-normal">steered</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const mine = own === 'default' ? r.defaultLogprob : r.steeredLogprob;
          const width = mine === null ? 0 : Math.max(2, (Math.exp(mine) / (top || 1)) * 100);
          const up = r.defaultLogprob !== null && r.steeredLogprob !== null ? r.steeredLogprob - r.defaultLogprob : 0;
          return (
            <tr key={r.id} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="relative py-1 pr-2">
                <span
                  aria-hidden="true"
                  className={cx(
                    'absolute inset-y-1 left-0 rounded-sm',
                    own === 'steered' ? 'bg-violet-100 dark:bg-violet-500/20' : 'bg-zinc-100 dark:bg-zinc-800',
                  )}
                  style={{ width: `${width}%` }}
                />
                <span className="relative font-mono whitespace-pre" title={`id ${r.id}`}>
                  {visibleToken(r.text)}
                </span>
              </td>
              <td className="py-1 text-right tabular-nums">{percent(r.defaultLogprob)}</td>
              <td
                className={cx(
                  'py-1 text-right tabular-nums',
                  up > 0.1 && 'text-emerald-700 dark:text-emerald-400',
                  up < -0.1 && 'text-rose-700 dark:text-rose-400',
                )}
              >
                {percent(r.steeredLogprob)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
