import type { RefObject } from 'react';
import { href } from '../../../routes.ts';
import { inputClass, linkClass } from '../common/explorer-ui.tsx';
import { searchModes, type SearchForm, type SearchMode, type SortKey } from './search-state.ts';
import { useSlashFocus } from '../common/use-list-keys.ts';

const modeLabels: Record<SearchMode, string> = {
  auto: 'Label, notes or id',
  text: 'Label & notes',
  token: 'Top token',
  id: 'Feature ids',
  similar: 'Similar to id',
};

const placeholders: Record<SearchMode, string> = {
  auto: 'Search labels and notes, or type ids (320, 40-50)…',
  text: 'Words in labels, notes and tags…',
  token: 'A token features fire on, e.g. years ("years" in quotes: that exact token)',
  id: 'Feature ids: 320, 40-50',
  similar: 'A feature id: nearest by decoder cosine',
};

const sortLabels: Record<SortKey, string> = {
  relevance: 'Relevance',
  id: 'Id',
  density: 'Density',
  max: 'Max activation',
  count: 'Count',
  detection: 'Detection score (auto)',
  fuzzing: 'Fuzzing score (auto)',
};
const sortKeys = Object.keys(sortLabels).filter((k): k is SortKey => Object.hasOwn(sortLabels, k));
const orders = ['default', 'desc', 'asc'] as const satisfies readonly SearchForm['order'][];

/** The query box with its mode and sort. */
export function SearchBar({
  form,
  onChange,
  inputRef,
}: {
  form: SearchForm;
  onChange: (f: SearchForm) => void;
  inputRef: RefObject<HTMLInputElement | null>;
}) {
  useSlashFocus(inputRef);
  return (
    <div className="flex flex-wrap items-center gap-2">
      <input
        ref={inputRef}
        type="search"
        aria-label="Search features"
        aria-keyshortcuts="/"
        placeholder={placeholders[form.mode]}
        value={form.text}
        onChange={(e) => onChange({ ...form, text: e.target.value })}
        onKeyDown={(e) => {
          // Escape hands the keyboard to the list (j/k); ArrowDown too.
          if (e.key === 'Escape' || e.key === 'ArrowDown') {
            e.currentTarget.blur();
            if (e.key === 'ArrowDown') document.querySelector<HTMLElement>('[data-testid="feature-results"]')?.focus();
          }
        }}
        className={`${inputClass} min-w-64 flex-1`}
      />
      <label className="flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
        Search by
        <select
          aria-label="Search by"
          value={form.mode}
          onChange={(e) => onChange({ ...form, mode: searchModes.find((m) => m === e.target.value) ?? 'auto' })}
          className={inputClass}
        >
          {searchModes.map((m) => (
            <option key={m} value={m}>
              {modeLabels[m]}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1.5 text-xs text-zinc-500 dark:text-zinc-400">
        Sort
        <select
          aria-label="Sort by"
          value={form.sort}
          onChange={(e) => onChange({ ...form, sort: sortKeys.find((k) => k === e.target.value) ?? 'relevance' })}
          className={inputClass}
        >
          {sortKeys.map((s) => (
            <option key={s} value={s}>
              {sortLabels[s]}
            </option>
          ))}
        </select>
      </label>
      <select
        aria-label="Order"
        value={form.order}
        onChange={(e) => onChange({ ...form, order: orders.find((o) => o === e.target.value) ?? 'default' })}
        className={inputClass}
      >
        <option value="default">Default order</option>
        <option value="desc">Descending</option>
        <option value="asc">Ascending</option>
      </select>
      <a className={`${linkClass} text-xs`} href={href('features', ['prompt'], form.text.trim() ? { text: form.text } : {})}>
        Search by prompt →
      </a>
    </div>
  );
}
