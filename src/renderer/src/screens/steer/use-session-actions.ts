import { useState } from 'react';
import type { SessionSummary, SteerSession } from '#shared/steer-types.ts';
import { useApi } from '../../api/api-context.tsx';
import { saveTextFile } from '../../components/save-file.ts';

/** A file name for an exported session: its name, made safe. */
function fileName(s: { name: string; id: string }): string {
  const base =
    s.name
      .replace(/[^\w\s.-]+/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'session';
  return `${base}-${s.id.slice(0, 8)}.steer.json`;
}

/** What the sessions panel does to saved sessions, with the row being renamed or confirming delete. */
export type SessionActions = ReturnType<typeof useSessionActions>;

/**
 * Open (read), rename, delete, export and import sessions. Each action clears the last error,
 * shows its own if it fails, and reloads the list.
 */
export function useSessionActions({
  reload,
  onOpen,
  onDeleted,
}: {
  reload: () => void;
  onOpen: (s: SteerSession) => void;
  onDeleted: (id: string) => void;
}) {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const get = async (id: string): Promise<SteerSession | null> => {
    const r = await api.request('session.get', { id });
    if (!r.ok) setError(r.error.message);
    return r.ok ? r.value : null;
  };
  const act = async (fn: () => Promise<string | null>): Promise<void> => {
    setError(null);
    const err = await fn();
    if (err) setError(err);
    reload();
  };

  const rename = (id: string, name: string) =>
    act(async () => {
      setRenaming(null);
      const r = await api.request('session.rename', { id, name });
      return r.ok ? null : r.error.message;
    });
  const remove = (id: string) =>
    act(async () => {
      setConfirming(null);
      const r = await api.request('session.delete', { id });
      if (r.ok) onDeleted(id);
      return r.ok ? null : r.error.message;
    });
  const exportOne = (s: SessionSummary) =>
    act(async () => {
      const r = await api.request('session.export', { id: s.id });
      if (!r.ok) return r.error.message;
      saveTextFile(fileName(s), 'application/json', JSON.stringify(r.value, null, 2));
      return null;
    });
  const importFile = (f: File) =>
    act(async () => {
      const text = await f.text();
      const r = await api.request('session.import', { data: text });
      if (!r.ok) return `${f.name}: ${r.error.message}`;
      onOpen(r.value);
      return null;
    });

  return { error, renaming, setRenaming, confirming, setConfirming, get, rename, remove, exportOne, importFile };
}
