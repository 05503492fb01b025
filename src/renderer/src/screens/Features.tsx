import { Placeholder } from '../components/Placeholder.tsx';
import { ScreenHeader } from '../components/ui.tsx';

/** Feature search and dashboards (filled in by a later issue). */
export function Features() {
  return (
    <>
      <ScreenHeader title="Features" lead="Search and inspect SAE latents over an indexed corpus." />
      <Placeholder
        plans={[
          'Index a corpus: every token’s top SAE latents, stored compactly in SQLite, resumable.',
          'Search features by label, note and top tokens; sort by density or max activation.',
          'Per feature: activation histogram, top examples and samples from each activation range, with token highlighting.',
          'Label features, keep notes and lists, import and export them.',
        ]}
      />
    </>
  );
}
