/** The small text inputs and selects of the features section (adding a feature and each feature's settings). */
export const inputClass =
  'rounded-md border border-zinc-300 bg-white px-2 py-1 text-xs text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100';
