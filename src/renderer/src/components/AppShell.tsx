import { useEffect, useRef, type ReactNode } from 'react';
import { href, routes, useRoute, type RouteId } from '../routes.ts';
import { icons, Logo } from './icons.tsx';
import { cx } from './ui.tsx';

/** Screens whose content uses the whole width (tables, continuations side by side); the others keep a reading width. */
const wideRoutes: ReadonlySet<RouteId> = new Set(['features', 'steer']);

/** The frame around every screen: navigation on the left, the screen on the right. */
export function AppShell({ transport, children }: { transport: 'ipc' | 'http'; children: ReactNode }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After navigating, start the new screen at its top and move focus there, so keyboard and
  // screen-reader users land on it.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    main.current?.focus({ preventScroll: true });
  }, [route]);

  return (
    // The document scrolls (so printing and full-page captures get the whole screen); the navigation stays in view.
    <div className="flex min-h-screen bg-white text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
      <a
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
        className="sr-only z-10 rounded-md bg-violet-600 px-3 py-2 text-sm text-white focus:not-sr-only focus:absolute focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      {/* the sidebar's frame runs the page's full height; its contents stay in view as the page scrolls */}
      <aside className="w-56 shrink-0 border-r border-zinc-200 bg-zinc-50 print:hidden dark:border-zinc-800 dark:bg-zinc-900/50">
        <div className="sticky top-0 flex h-screen flex-col">
          <div className="flex items-center gap-2.5 px-4 pt-5 pb-4">
            <Logo />
            <span className="text-sm font-semibold tracking-tight">SAE Explorer</span>
          </div>
          <nav aria-label="Main" className="px-2">
            <ul className="space-y-0.5">
              {routes.map((r, i) => (
                <li key={r.id}>
                  <NavLink id={r.id} label={r.label} active={route === r.id} shortcut={i + 1} />
                </li>
              ))}
            </ul>
          </nav>
          <p className="mt-auto px-4 pb-4 text-xs text-zinc-500 dark:text-zinc-500" data-testid="transport">
            {transport === 'ipc' ? 'Desktop app' : 'Browser · serve host'}
          </p>
        </div>
      </aside>
      <main id="main" ref={main} tabIndex={-1} className="min-w-0 flex-1 focus:outline-none">
        <div className={cx('mx-auto px-8 py-8', wideRoutes.has(route) ? 'max-w-[100rem]' : 'max-w-5xl')}>{children}</div>
      </main>
    </div>
  );
}

function NavLink({ id, label, active, shortcut }: { id: RouteId; label: string; active: boolean; shortcut: number }) {
  const Icon = icons[id];
  return (
    <a
      href={href(id)}
      aria-current={active ? 'page' : undefined}
      aria-keyshortcuts={`Control+${shortcut}`}
      title={`${label} (Ctrl+${shortcut})`}
      className={cx(
        'group flex items-center gap-3 rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-[-2px] focus-visible:outline-violet-500',
        active
          ? 'bg-white text-violet-700 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-800 dark:text-violet-300 dark:ring-zinc-700'
          : 'text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-800/60 dark:hover:text-zinc-100',
      )}
    >
      <Icon className={cx('shrink-0', active ? 'text-violet-600 dark:text-violet-400' : 'text-zinc-400 group-hover:text-zinc-500')} />
      {label}
    </a>
  );
}
