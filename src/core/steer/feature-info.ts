import fs from 'node:fs';
import type { SteerFeatureInfo } from '#shared/steer-types.ts';
import { AppError } from '#shared/reply.ts';
import type { IndexReader } from '../index/reader.ts';
import type { IndexService } from '../index/service.ts';
import type { WorkspaceService } from '../workspace/service.ts';

/** The out-of-range message, the same for every request that checks feature ids. */
export function outOfRange(id: number, dSae: number): AppError {
  return new AppError('bad_request', `feature ${id} is out of range: this SAE has features 0–${dSae - 1}; pick an id below ${dSae}`);
}

/**
 * Looks up features for the Steer screen: checks ids against the loaded SAE and reads their
 * max activation and top tokens from the workspace's index (through the index service's readers).
 */
export class FeatureLookup {
  constructor(
    private readonly core: {
      readonly workspace: Pick<WorkspaceService, 'info' | 'currentEngine'>;
      readonly index: Pick<IndexService, 'reader'>;
    },
  ) {}

  async info(id: number): Promise<SteerFeatureInfo> {
    const engine = await this.core.workspace.currentEngine();
    const dSae = engine.sae.config.dSae;
    if (!Number.isInteger(id) || id < 0 || id >= dSae) throw outOfRange(id, dSae);
    const none = { id, dSae, max: null, mean: null, density: null, topTokens: [] };
    const ws = await this.core.workspace.info();
    if (!ws.db) return { ...none, index: 'none' };
    if (!fs.existsSync(ws.db)) return { ...none, index: ws.indexJob ? 'building' : 'none' };
    if (ws.index?.state !== 'complete') return { ...none, index: 'building' };
    const dash = this.reader(ws.db).feature(id, 0);
    const topTokens: string[] = [];
    for (const ex of dash.top) {
      const t = ex.tokens[ex.position - ex.start];
      if (t !== undefined && !topTokens.includes(t)) topTokens.push(t);
      if (topTokens.length === 6) break;
    }
    return { id, dSae, index: 'complete', max: dash.max, mean: dash.mean, density: dash.density, topTokens };
  }

  private reader(file: string): IndexReader {
    return this.core.index.reader(file);
  }

  /** Nothing to release: the readers belong to the index service. */
  close(): void {}
}
