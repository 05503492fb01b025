/** Small building blocks the explorer's views share: notices, tabs, segmented controls, inputs. */
import type { ReactNode } from 'react';
import { cx } from '../../../components/ui.tsx';

/** Classes of an inline text link. */
export const linkClass =
  'font-medium text-violet-700 underline decoration-violet-300 underline-offset-2 hover:decoration-violet-600 focus-visible:outline-2 focus-visible:outline-violet-500 dark:text-violet-300 dark:decoration-violet-700';

/** Classes of a text input or select. */
export const inputClass =
  'rounded-md border border-zinc-300 bg-white px-2 py-1.5 text-sm text-zinc-900 shadow-sm placeholder:text-zinc-400 focus:border-violet-500 focus:outline-2 focus:outline-violet-500/40 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100 dark:placeholder:text-zinc-500';

/** A "still loading" line that screen readers announce. */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="flex items-center gap-2 py-2 text-sm text-zinc-500 dark:text-zinc-400">
      <span className="inline-block size-3 animate-spin rounded-full border-2 border-violet-500 border-t-transparent" aria-hidden="true" />
      Loading {what}…
    </p>
  );
}

/** An empty or waiting state: what is going on and what to do about it. */
export function Notice({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <div
      role="status"
      data-testid={testId}
      className="rounded-lg border border-dashed border-zinc-300 bg-zinc-50 p-5 text-sm text-zinc-600 dark:border-zinc-700 dark:bg-zinc-900/50 dark:text-zinc-400"
    >
      <p className="font-medium text-zinc-900 dark:text-zinc-100">{title}</p>
      <div className="mt-1">{children}</div>
    </div>
  );
}

/** A one-line inline message, e.g. an input's error. */
export function InlineError({ children }: { children: ReactNode }) {
  return (
    <p role="alert" className="text-xs text-rose-600 dark:text-rose-400">
      {children}
    </p>
  );
}

/** A row of mutually exclusive options (a radio group that looks like buttons). */
export function Segmented<T extends string | number>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: readonly { value: T; label: ReactNode }[];
  value: T;
  onChange: (v: T) => void;
}) {
  return (
    <div role="radiogroup" aria-label={label} className="inline-flex rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
      {options.map((o) => (
        <button
          key={String(o.value)}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          onClick={() => onChange(o.value)}
          className={cx(
            'rounded px-2 py-0.5 text-xs font-medium focus-visible:outline-2 focus-visible:outline-violet-500',
            o.value === value
              ? 'bg-violet-600 text-white dark:bg-violet-500'
              : 'text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800',
          )}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

/** A figure with its caption, for statistics rows. */
export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 truncate font-mono text-sm font-medium text-zinc-900 dark:text-zinc-100" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** A link-styled button that looks like the primary action. */
export const primaryButtonClass =
  'inline-flex items-center gap-1.5 rounded-md bg-violet-600 px-3 py-1.5 text-xs font-medium text-white shadow-sm hover:bg-violet-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-500 disabled:opacity-50 dark:bg-violet-500 dark:hover:bg-violet-400';
