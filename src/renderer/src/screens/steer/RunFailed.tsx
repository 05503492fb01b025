/** The alert both result views show when a run failed: its error, and that what it produced is kept. */
export function RunFailed({ error }: { readonly error: string }) {
  return (
    <p
      role="alert"
      className="mb-3 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200"
    >
      The run failed: {error}. What it produced before is kept below; check the model in Models, then run again.
    </p>
  );
}
