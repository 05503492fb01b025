import type { WorkspaceInfo } from '#shared/contract.ts';
import { Badge, Button, Card, ErrorNote } from '../../components/ui.tsx';
import { EvaluationForm, EvaluationProgress } from './EvaluationForm.tsx';
import { EvaluationReport } from './EvaluationReport.tsx';
import { useEvaluation } from './use-evaluation.ts';

/** Runs the evaluation on the workspace (a job with progress) and shows its stored report. */
export function EvaluationPanel({ info }: { info: WorkspaceInfo | null }) {
  const { report, job, progress, error, maxTokens, setMaxTokens, run, exportJson, cancel } = useEvaluation();
  const r = report.state.status === 'ready' ? report.state.value : null;
  const sel = info?.selection;
  return (
    <Card
      title={<span className="flex items-center gap-2">SAE health {r && <Badge tone="good">evaluated</Badge>}</span>}
      actions={
        r && (
          <Button onClick={() => void exportJson(r.id)} label="Export JSON">
            Export JSON
          </Button>
        )
      }
      data-testid="health-evaluation"
    >
      {!sel ? (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">Open a model, an SAE and a corpus in Models first.</p>
      ) : (
        <EvaluationForm
          sel={sel}
          info={info}
          maxTokens={maxTokens}
          setMaxTokens={setMaxTokens}
          running={job !== null}
          evaluated={r !== null}
          onRun={(e) => void run(e)}
        />
      )}
      {job && <EvaluationProgress progress={progress} onCancel={() => cancel(job)} />}
      {error && (
        <div className="mb-5">
          <ErrorNote title="The evaluation did not finish" message={error} />
        </div>
      )}
      {report.state.status === 'error' && (
        <ErrorNote title="Could not read the stored evaluation" message={report.state.error.message} onRetry={report.reload} />
      )}
      {r ? (
        <EvaluationReport r={r} />
      ) : (
        report.state.status === 'ready' &&
        sel && (
          <p className="text-sm text-zinc-600 dark:text-zinc-400" data-testid="health-empty">
            Not evaluated yet. An evaluation runs the model four ways over the corpus (capture with reconstruction, untouched, with the SAE
            spliced in, with the hook zeroed) and keeps the numbers here.
          </p>
        )
      )}
    </Card>
  );
}
