import { cx } from '../../components/ui.tsx';
import { updateDraft, type Draft } from './draft.ts';

/** Plain text or chat: a two-way switch (arrow keys move within it, as radio buttons do). */
export function PromptMode({ mode }: { mode: Draft['mode'] }) {
  return (
    <div
      role="radiogroup"
      aria-label="Prompt kind"
      className="inline-flex overflow-hidden rounded-md border border-zinc-300 dark:border-zinc-700"
    >
      {(['text', 'chat'] as const).map((m) => (
        <button
          key={m}
          type="button"
          role="radio"
          aria-checked={mode === m}
          tabIndex={mode === m ? 0 : -1}
          onClick={() => updateDraft((d) => ({ ...d, mode: m }))}
          onKeyDown={(e) => {
            if (['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) {
              e.preventDefault();
              const other = m === 'text' ? 'chat' : 'text';
              updateDraft((d) => ({ ...d, mode: other }));
              (e.currentTarget.parentElement?.querySelector(`[data-mode="${other}"]`) as HTMLElement | null)?.focus();
            }
          }}
          data-mode={m}
          className={cx(
            'px-2.5 py-0.5 text-xs font-medium',
            mode === m
              ? 'bg-violet-600 text-white'
              : 'bg-white text-zinc-700 hover:bg-zinc-50 dark:bg-zinc-900 dark:text-zinc-300 dark:hover:bg-zinc-800',
          )}
        >
          {m === 'text' ? 'Text' : 'Chat'}
        </button>
      ))}
    </div>
  );
}
