import type { ContractHandlers } from '../../shared/contract.ts';
import type { CoreServices } from '../app/services.ts';

/** Requests about what the app works on, and the engine's answers for it. */
export type WorkspaceHandlers = Pick<ContractHandlers, 'workspace.get' | 'workspace.open' | 'prompt.encode' | 'steer.compare'>;

/** Handlers of the workspace requests: all go through the one long-lived Workspace of this core. */
export function workspaceHandlers(core: CoreServices): WorkspaceHandlers {
  const ws = core.workspace;
  return {
    'workspace.get': () => ws.info(),
    'workspace.open': async (sel) => {
      const files = core.files;
      const model = files.resolveRead(sel.model, 'model');
      const sae = files.resolveRead(sel.sae, 'SAE');
      const corpus = sel.corpus === undefined ? undefined : files.resolveRead(sel.corpus, 'corpus');
      return ws.open({ ...sel, model, sae, ...(corpus === undefined ? {} : { corpus }) });
    },
    'prompt.encode': async ({ text, top }) => {
      const engine = await ws.currentEngine();
      const tokens = await engine.encode(engine.tokenize(text), top);
      return { hook: engine.hook, tokens };
    },
    'steer.compare': async (p) => {
      const engine = await ws.currentEngine();
      const ids = engine.tokenize(p.prompt);
      const sampling = {
        ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
        ...(p.topK !== undefined ? { topK: p.topK } : {}),
        ...(p.topP !== undefined ? { topP: p.topP } : {}),
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
      };
      const { baseline, steered } = await engine.compare(ids, { maxNewTokens: p.maxNewTokens, sampling, interventions: p.interventions });
      const view = (c: typeof baseline) => ({ ids: c.ids, logprobs: c.logprobs, tokens: engine.tokenizer.pieces(c.ids), text: c.text });
      return { baseline: view(baseline), steered: view(steered) };
    },
  };
}
