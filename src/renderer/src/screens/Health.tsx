import { Placeholder } from '../components/Placeholder.tsx';
import { ScreenHeader } from '../components/ui.tsx';

/** SAE health: evaluation metrics and dictionary comparison (filled in by a later issue). */
export function Health() {
  return (
    <>
      <ScreenHeader title="Health" lead="How well the SAE reconstructs the model on your corpus." />
      <Placeholder plans={['L0, variance explained, CE loss recovered, dead and dense latents.', 'Compare two SAEs by decoder similarity.']} />
    </>
  );
}
