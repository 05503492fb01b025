import { useRequest } from '../../../api/api-context.tsx';
import { Checkbox } from '../../../components/Checkbox.tsx';
import { Button } from '../../../components/ui.tsx';
import { inputClass } from '../common/explorer-ui.tsx';
import { emptyFilters, hasFilters, type FilterForm } from './search-state.ts';

/** Filters under the search box: density and max-activation ranges, labelled, starred, list. */
export function FilterBar({ form, onChange }: { form: FilterForm; onChange: (f: FilterForm) => void }) {
  const lists = useRequest('annotation.lists');
  const field = (key: 'densityMin' | 'densityMax' | 'maxMin' | 'maxMax', label: string, placeholder: string) => (
    <input
      aria-label={label}
      placeholder={placeholder}
      value={form[key]}
      onChange={(e) => onChange({ ...form, [key]: e.target.value })}
      className={`${inputClass} w-20 py-1 text-xs`}
    />
  );
  const known = lists.state.status === 'ready' ? lists.state.value : [];
  return (
    <fieldset className="flex flex-wrap items-center gap-x-4 gap-y-2 text-xs text-zinc-500 dark:text-zinc-400" aria-label="Filters">
      <span className="flex items-center gap-1.5">
        Density {field('densityMin', 'Minimum density', 'min')}–{field('densityMax', 'Maximum density', 'max')}
      </span>
      <span className="flex items-center gap-1.5">
        Max act. {field('maxMin', 'Lowest max activation', 'min')}–{field('maxMax', 'Highest max activation', 'max')}
      </span>
      <select
        aria-label="Labelled"
        value={form.labelled}
        onChange={(e) => onChange({ ...form, labelled: e.target.value === 'yes' ? 'yes' : e.target.value === 'no' ? 'no' : 'any' })}
        className={`${inputClass} py-1 text-xs`}
      >
        <option value="any">Labelled or not</option>
        <option value="yes">Labelled</option>
        <option value="no">Unlabelled</option>
      </select>
      <Checkbox checked={form.starred} onChange={(starred) => onChange({ ...form, starred })}>
        Starred
      </Checkbox>
      <select
        aria-label="In list"
        value={form.list}
        onChange={(e) => onChange({ ...form, list: e.target.value })}
        className={`${inputClass} py-1 text-xs`}
      >
        <option value="">Any list</option>
        {form.list && !known.some((l) => l.name === form.list) && <option value={form.list}>{form.list}</option>}
        {known.map((l) => (
          <option key={l.name} value={l.name}>
            {l.name} ({l.count})
          </option>
        ))}
      </select>
      {hasFilters(form) && <Button onClick={() => onChange(emptyFilters)}>Clear filters</Button>}
    </fieldset>
  );
}
