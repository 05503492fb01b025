import { RunError } from './RunError.tsx';

/** Run (or Cancel while a run goes), why it cannot run yet, and why the last start failed. */
export function RunBar(props: {
  running: boolean;
  start: () => void;
  cancel: () => void;
  problem: string | null;
  startError: string | null;
}) {
  const bad = props.problem;
  return (
    <div className="mt-4 flex flex-wrap items-center gap-3">
      {props.running ? (
        <button
          type="button"
          onClick={props.cancel}
          aria-keyshortcuts="Escape"
          className="rounded-md bg-rose-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-rose-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-rose-500"
        >
          Cancel <span className="ml-1 text-xs font-normal opacity-80">Esc</span>
        </button>
      ) : (
        <button
          type="button"
          onClick={props.start}
          disabled={bad !== null}
          aria-keyshortcuts="Control+Enter"
          className="rounded-md bg-violet-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-violet-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-violet-500 disabled:opacity-50"
        >
          Run <span className="ml-1 text-xs font-normal opacity-80">Ctrl+Enter</span>
        </button>
      )}
      {bad && <span className="text-xs text-zinc-500">{bad}</span>}
      {props.startError && <RunError message={props.startError} />}
    </div>
  );
}
