import { FeatureLabel } from '../../components/FeatureLabel.tsx';
import { href } from '../../routes.ts';
import { updateDraft, type DraftFeature } from './draft.ts';
import { ModeSwitch, PositionsField, Presets, ValueField } from './FeatureControls.tsx';
import { short, visibleToken } from './format.ts';

/** The max activation as known, or why it is not. */
function maxText(info: DraftFeature['info']): string {
  const max = info?.max ?? null;
  if (max !== null) return `max activation ${short(max)}`;
  if (!info) return 'max activation: …';
  return info.index === 'building' ? 'max activation: the index is still being built' : 'no index: max activation unknown';
}

/** The feature's id (a link to its page), label, top tokens, max activation and remove button. */
function FeatureHeading({ f }: { f: DraftFeature }) {
  const info = f.info;
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
      <a
        href={href('features', [f.feature])}
        className="font-mono text-sm font-semibold text-violet-700 hover:underline dark:text-violet-300"
      >
        #{f.feature}
      </a>
      <FeatureLabel feature={f.feature} className="min-w-0 truncate text-sm font-medium text-zinc-900 dark:text-zinc-100" />
      {info && info.topTokens.length > 0 && (
        <span className="truncate font-mono text-xs text-zinc-500 dark:text-zinc-400">
          {info.topTokens.map((t) => `“${visibleToken(t)}”`).join(' ')}
        </span>
      )}
      <span className="ml-auto text-xs text-zinc-600 dark:text-zinc-400" data-testid="feature-max">
        {maxText(info)}
      </span>
      <button
        type="button"
        onClick={() => updateDraft((d) => ({ ...d, features: d.features.filter((x) => x.key !== f.key) }))}
        aria-label={`Remove feature ${f.feature}`}
        className="rounded px-1.5 text-zinc-400 hover:bg-zinc-100 hover:text-zinc-700 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
      >
        ×
      </button>
    </div>
  );
}

/** One feature to steer: its heading, then mode, value, presets and positions. */
export function FeatureEditor({ f, promptLength }: { f: DraftFeature; promptLength: number | null }) {
  const max = f.info?.max ?? null;
  return (
    <li className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800" data-testid="steer-feature" data-feature={f.feature}>
      <FeatureHeading f={f} />
      {f.problem && (
        <p role="alert" className="mt-1 text-xs text-rose-600 dark:text-rose-400">
          {f.problem}. Remove it, or open the SAE it was chosen for in Models.
        </p>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-2">
        <ModeSwitch f={f} max={max} />
        <ValueField f={f} />
        <Presets f={f} max={max} />
      </div>
      <PositionsField f={f} promptLength={promptLength} />
    </li>
  );
}
