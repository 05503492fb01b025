import type { AnnotationImportResult } from '#shared/annotation-types.ts';
import { formatCount } from '../common/format.ts';

/** What an import did: counts, skipped rows, a warning and the conflicts it kept. */
export function ImportReport({ result }: { result: AnnotationImportResult }) {
  return (
    <div
      role="status"
      className="rounded-lg border border-zinc-200 p-3 text-sm dark:border-zinc-800"
      data-testid="import-result"
      data-format={result.format}
      data-added={result.added}
    >
      {result.format === 'neuronpedia' ? (
        <p>
          Imported <strong>{formatCount(result.added)}</strong> Neuronpedia explanation{result.added === 1 ? '' : 's'}
          {result.matchedId && (
            <>
              {' '}
              of <span className="font-mono">{result.matchedId}</span>
            </>
          )}
          , {formatCount(result.skipped.reduce((a, s) => a + s.count, 0))} skipped.
        </p>
      ) : (
        <p>
          Imported: <strong>{formatCount(result.added)}</strong> added, <strong>{formatCount(result.updated)}</strong> updated,{' '}
          {formatCount(result.unchanged)} unchanged, <strong>{formatCount(result.conflicts.length)}</strong> conflict
          {result.conflicts.length === 1 ? '' : 's'}
          {result.explanationsAdded > 0 && `, ${formatCount(result.explanationsAdded)} explanations`}.
        </p>
      )}
      {result.skipped.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs text-zinc-600 dark:text-zinc-400" data-testid="import-skipped">
          {result.skipped.map((s) => (
            <li key={s.reason} data-reason={s.reason} data-count={s.count}>
              {s.detail}
            </li>
          ))}
        </ul>
      )}
      {result.warning && <p className="mt-1 text-xs text-amber-700 dark:text-amber-400">{result.warning}</p>}
      {result.conflicts.length > 0 && <ConflictTable conflicts={result.conflicts} />}
    </div>
  );
}

function ConflictTable({ conflicts }: { conflicts: AnnotationImportResult['conflicts'] }) {
  return (
    <table className="mt-2 w-full text-xs">
      <caption className="mb-1 text-left text-zinc-500">Kept what is stored; the file’s value is shown for reference.</caption>
      <thead>
        <tr className="text-left text-zinc-500">
          <th className="py-1 pr-2 font-medium">Feature</th>
          <th className="py-1 pr-2 font-medium">Field</th>
          <th className="py-1 pr-2 font-medium">Kept</th>
          <th className="py-1 font-medium">In the file</th>
        </tr>
      </thead>
      <tbody>
        {conflicts.map((c) => (
          <tr key={`${c.feature}-${c.field}`} className="border-t border-zinc-100 align-top dark:border-zinc-800">
            <td className="py-1 pr-2 font-mono">
              <a href={`#/features/${c.feature}`}>#{c.feature}</a>
            </td>
            <td className="py-1 pr-2">{c.field}</td>
            <td className="py-1 pr-2 break-words">{c.ours}</td>
            <td className="py-1 break-words">{c.theirs}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
