import { useEffect, useState } from 'react';
import { useRequest } from '../../../api/api-context.tsx';
import { cx } from '../../../components/ui.tsx';
import { inputClass } from '../common/explorer-ui.tsx';

/** Named lists as toggle chips (every known list), plus a field to start a new one. */
export function ListPicker({
  lists,
  version,
  onChange,
}: {
  lists: readonly string[];
  version: number;
  onChange: (lists: string[]) => void;
}) {
  const known = useRequest('annotation.lists');
  const { reload } = known;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  const [name, setName] = useState('');
  const names = [...new Set([...(known.state.status === 'ready' ? known.state.value.map((l) => l.name) : []), ...lists])].sort((a, b) =>
    a.localeCompare(b),
  );
  const toggle = (n: string): void => onChange(lists.includes(n) ? lists.filter((l) => l !== n) : [...lists, n]);
  const add = (): void => {
    const n = name.trim().slice(0, 100);
    if (n && !lists.includes(n)) onChange([...lists, n]);
    setName('');
  };
  return (
    <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Lists">
      <span className="text-xs text-zinc-500 dark:text-zinc-400">Lists</span>
      {names.map((n) => (
        <button
          key={n}
          type="button"
          aria-pressed={lists.includes(n)}
          onClick={() => toggle(n)}
          className={cx(
            'rounded-full px-2 py-0.5 text-xs ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-violet-500',
            lists.includes(n)
              ? 'bg-violet-600 text-white ring-violet-600 dark:bg-violet-500'
              : 'text-zinc-600 ring-zinc-300 hover:bg-zinc-100 dark:text-zinc-300 dark:ring-zinc-700 dark:hover:bg-zinc-800',
          )}
        >
          {n}
        </button>
      ))}
      <input
        aria-label="Add to a new list"
        placeholder="+ new list"
        value={name}
        onChange={(e) => setName(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
        className={`${inputClass} w-28 py-0.5 text-xs`}
      />
    </div>
  );
}
