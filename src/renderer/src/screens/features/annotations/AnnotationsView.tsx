import { useState } from 'react';
import { useRequest } from '../../../api/api-context.tsx';
import { Card } from '../../../components/ui.tsx';
import { AnnotationTable } from './AnnotationTable.tsx';
import { ExportImport } from '../export-import/ExportImport.tsx';
import { formatCount } from '../common/format.ts';

/** Every annotated feature, the named lists, and export / import of annotations. */
export function AnnotationsView() {
  const [version, setVersion] = useState(0);
  const identity = useRequest('annotation.identity');
  return (
    <div className="space-y-5">
      {identity.state.status === 'ready' && (
        <p className="text-xs text-zinc-500 dark:text-zinc-400" data-testid="annotation-identity">
          Annotations of <span className="font-mono">{identity.state.value.sae}</span> at{' '}
          <span className="font-mono">{identity.state.value.hook}</span> ({formatCount(identity.state.value.dSae)} features); they follow
          the SAE’s weights (SHA-256 <span className="font-mono">{identity.state.value.saeHash.slice(0, 12)}…</span>), wherever its folder
          moves.
        </p>
      )}
      <Card title="Export and import">
        <ExportImport onImported={() => setVersion((v) => v + 1)} />
      </Card>
      <Card title="Annotated features">
        <AnnotationTable key={version} />
      </Card>
    </div>
  );
}
