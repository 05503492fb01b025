import { cx } from '../../../components/ui.tsx';
import { inputClass } from '../common/explorer-ui.tsx';

/** The Label field and the star toggle beside it. */
export function LabelRow({
  label,
  starred,
  onLabel,
  onStar,
  onBlur,
}: {
  label: string;
  starred: boolean;
  onLabel: (label: string) => void;
  onStar: () => void;
  onBlur: () => void;
}) {
  return (
    <div className="flex items-center gap-2">
      <input
        aria-label="Label"
        placeholder="Label this feature…"
        value={label}
        maxLength={500}
        onChange={(e) => onLabel(e.target.value)}
        onBlur={onBlur}
        className={`${inputClass} min-w-0 flex-1 font-medium`}
      />
      <button
        type="button"
        aria-pressed={starred}
        aria-label={starred ? 'Unstar' : 'Star'}
        title={starred ? 'Starred' : 'Star this feature'}
        onClick={onStar}
        className={cx(
          'rounded-md px-2 py-1 text-lg leading-none focus-visible:outline-2 focus-visible:outline-violet-500',
          starred ? 'text-amber-500' : 'text-zinc-300 hover:text-amber-400 dark:text-zinc-600',
        )}
      >
        {starred ? '★' : '☆'}
      </button>
    </div>
  );
}
