import type { ReactNode } from 'react';
import { Card } from './ui.tsx';

/** A screen that a later issue fills in: what it will do. */
export function Placeholder({ plans }: { plans: readonly ReactNode[] }) {
  return (
    <Card data-testid="placeholder">
      <p className="text-sm font-medium text-zinc-900 dark:text-zinc-100">Coming soon</p>
      <ul className="mt-3 list-disc space-y-1.5 pl-5 text-sm text-zinc-600 dark:text-zinc-400">
        {plans.map((p, i) => (
          <li key={i}>{p}</li>
        ))}
      </ul>
    </Card>
  );
}
