import { Placeholder } from '../components/Placeholder.tsx';
import { ScreenHeader } from '../components/ui.tsx';

/** Models and SAEs (filled in by a later issue). */
export function Models() {
  return (
    <>
      <ScreenHeader title="Models" lead="The language models and sparse autoencoders available to explore." />
      <Placeholder
        plans={[
          'Open an ONNX language model and an SAE from disk, or download them from the Hugging Face Hub.',
          'SAELens, Gemma Scope, sparsify and switch SAE formats; standard, TopK, JumpReLU, gated and switch architectures.',
          'See which hook each SAE attaches to (resid_pre, resid_mid, resid_post) and splice it into the model graph once.',
          'Try the bundled demo model and SAE without downloading anything.',
        ]}
      />
    </>
  );
}
