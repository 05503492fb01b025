import { useRequest } from '../api/api-context.tsx';

/** A feature's label as the user (or the demo) annotated it; nothing while it has none or it is loading. */
export function FeatureLabel({ feature, className }: { feature: number; className?: string }) {
  const { state } = useRequest('annotation.get', { feature });
  const label = state.status === 'ready' ? (state.value?.label ?? '') : '';
  if (!label) return null;
  return (
    <span className={className} data-testid="feature-label" title={label}>
      {label}
    </span>
  );
}
