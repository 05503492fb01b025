import path from 'node:path';
import type { ProviderName } from '#shared/providers.ts';
import { graphCacheDir } from '../kernel/data-dir.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { Engine, type EngineOptions } from './engine.ts';
import { listModelHooks, type ModelHooks } from './hook-list.ts';

/** A model + SAE pair named outright (not the workspace's): paths as given, resolved here. */
export interface EngineChoice {
  readonly model: string;
  readonly sae: string;
  readonly hook?: string | undefined;
  readonly provider?: ProviderName | undefined;
}

/**
 * Models and engines named outright, for in-process callers that bring their own paths (the
 * CLI's encode, steer, evaluate and hooks): the workspace's engine is WorkspaceService's. The
 * spliced-graph cache is the data folder's, shared with the app. No request reaches it: paths
 * are not checked against the allowed roots here.
 */
export class ModelService {
  constructor(private readonly core: Pick<Kernel, 'data'>) {}

  /** Every hook point of a model folder's (or .onnx file's) graph. */
  hooks(model: string): ModelHooks {
    return listModelHooks(model);
  }

  /** What Engine.open takes for a choice: absolute paths and the data folder's graph cache. */
  spec(c: EngineChoice): EngineOptions {
    return {
      model: path.resolve(c.model),
      sae: path.resolve(c.sae),
      cacheDir: graphCacheDir(this.core.data.dir),
      ...(c.hook ? { hook: c.hook } : {}),
      ...(c.provider ? { provider: c.provider } : {}),
    };
  }

  /** Opens an engine of its own for a choice; the caller closes it. */
  open(c: EngineChoice): Promise<Engine> {
    return Engine.open(this.spec(c));
  }
}
