import { cx } from '../../../components/ui.tsx';
import { href } from '../../../routes.ts';

/** The explorer's tabs (the feature page is reached from them, not a tab itself). */
export type FeaturesTab = 'search' | 'prompt' | 'annotations';

const tabs: readonly { id: FeaturesTab; label: string; path: string[] }[] = [
  { id: 'search', label: 'Search', path: [] },
  { id: 'prompt', label: 'Prompt inspector', path: ['prompt'] },
  { id: 'annotations', label: 'Annotations', path: ['annotations'] },
];

/** Links between the explorer's views; shows the open feature as a crumb. */
export function FeatureTabs({ current, feature }: { current: FeaturesTab | null; feature: number | null }) {
  return (
    <nav aria-label="Explorer" className="flex items-center gap-1 border-b border-zinc-200 dark:border-zinc-800">
      {tabs.map((t) => (
        <a
          key={t.id}
          href={href('features', t.path)}
          aria-current={current === t.id ? 'page' : undefined}
          className={cx(
            '-mb-px border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-violet-500',
            current === t.id
              ? 'border-violet-600 text-violet-700 dark:border-violet-400 dark:text-violet-300'
              : 'border-transparent text-zinc-500 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
          )}
        >
          {t.label}
        </a>
      ))}
      {feature !== null && (
        <span
          aria-current="page"
          className="-mb-px ml-2 border-b-2 border-violet-600 px-3 py-2 text-sm font-medium text-violet-700 dark:border-violet-400 dark:text-violet-300"
        >
          Feature {feature}
        </span>
      )}
    </nav>
  );
}
