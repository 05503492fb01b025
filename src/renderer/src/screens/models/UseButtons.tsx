import type { HubKind } from '#shared/hub-types.ts';
import { Button } from '../../components/ui.tsx';
import type { UsePath } from './format.ts';

/** "Use as model" / "Use as SAE" for a local path: the matching one, or both when the kind is unknown. */
export function UseButtons({ kind, path, use }: { kind: HubKind | null; path: string; use: UsePath }) {
  return (
    <span className="inline-flex gap-2">
      {kind !== 'sae' && <Button onClick={() => use('model', path)}>Use as model</Button>}
      {kind !== 'model' && <Button onClick={() => use('sae', path)}>Use as SAE</Button>}
    </span>
  );
}
