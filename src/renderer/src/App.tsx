import type { ComponentType } from 'react';
import { AppShell } from './components/AppShell.tsx';
import { RouteProvider, useHashRoute, useRouteShortcuts, type RouteId } from './routes.ts';
import { Features } from './screens/Features.tsx';
import { Health } from './screens/Health.tsx';
import { Jobs } from './screens/Jobs.tsx';
import { Models } from './screens/Models.tsx';
import { Overview } from './screens/Overview.tsx';
import { Settings } from './screens/Settings.tsx';
import { Steer } from './screens/Steer.tsx';

const screens: Record<RouteId, ComponentType> = {
  overview: Overview,
  models: Models,
  features: Features,
  steer: Steer,
  health: Health,
  jobs: Jobs,
  settings: Settings,
};

/** The app: the shell and the screen the URL names. */
export function App({ transport }: { transport: 'ipc' | 'http' }) {
  const route = useHashRoute();
  useRouteShortcuts();
  const Screen = screens[route.id];
  return (
    <RouteProvider route={route}>
      <AppShell transport={transport}>
        <Screen />
      </AppShell>
    </RouteProvider>
  );
}
