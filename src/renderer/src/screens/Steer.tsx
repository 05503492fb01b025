import { Placeholder } from '../components/Placeholder.tsx';
import { ScreenHeader } from '../components/ui.tsx';

/** Steering (filled in by a later issue). */
export function Steer() {
  return (
    <>
      <ScreenHeader title="Steer" lead="Generate text while clamping or adding SAE latents." />
      <Placeholder
        plans={[
          'Pick latents and clamp them to a value or add them with a strength, on chosen token positions.',
          'Compare steered and baseline generations side by side, with per-token log-probabilities.',
          'Inspect a prompt: which latents fire on each token.',
          'Save steering specs and replay them later.',
        ]}
      />
    </>
  );
}
