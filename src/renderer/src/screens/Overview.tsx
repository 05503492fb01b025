import { StatusPanel } from '../components/StatusPanel.tsx';
import { ScreenHeader } from '../components/ui.tsx';

/** The landing screen: what the app is and what the engine has here. */
export function Overview() {
  return (
    <>
      <ScreenHeader
        title="Overview"
        lead="Explore and steer the features of sparse autoencoders trained on language-model activations. Everything runs on this machine: the model and its SAE run in ONNX Runtime, activations are indexed into SQLite."
      />
      <StatusPanel />
    </>
  );
}
