import { StatusPanel } from '../components/StatusPanel.tsx';
import { ExplainerSettingsForm } from '../components/autointerp/ExplainerSettings.tsx';
import { Card, cx, ScreenHeader } from '../components/ui.tsx';
import { setThemePreference, useTheme, type ThemePreference } from '../theme.ts';

const choices: readonly { value: ThemePreference; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Appearance and the engine's facts. */
export function Settings() {
  const { preference } = useTheme();
  return (
    <>
      <ScreenHeader title="Settings" lead="Appearance, and what the engine found on this machine." />
      <div className="space-y-6">
        <Card title="Appearance">
          <fieldset>
            <legend className="text-sm text-zinc-600 dark:text-zinc-400">Theme</legend>
            <div
              className="mt-2 inline-flex rounded-lg border border-zinc-200 bg-zinc-100 p-0.5 dark:border-zinc-700 dark:bg-zinc-800"
              data-testid="theme-choice"
            >
              {choices.map((c) => (
                <label
                  key={c.value}
                  className={cx(
                    'cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-violet-500',
                    preference === c.value
                      ? 'bg-white text-zinc-900 shadow-sm dark:bg-zinc-950 dark:text-zinc-50'
                      : 'text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100',
                  )}
                >
                  <input
                    type="radio"
                    name="theme"
                    value={c.value}
                    checked={preference === c.value}
                    onChange={() => setThemePreference(c.value)}
                    className="sr-only"
                  />
                  {c.label}
                </label>
              ))}
            </div>
            <p className="mt-2 text-xs text-zinc-500">System follows your operating system’s light or dark setting.</p>
          </fieldset>
        </Card>
        <Card title="Explainer">
          <ExplainerSettingsForm />
        </Card>
        <StatusPanel />
      </div>
    </>
  );
}
