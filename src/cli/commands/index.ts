import type { Command } from '../command.ts';
import { annotationsCommand } from './annotations.ts';
import { autointerpCommand } from './autointerp.ts';
import { compareCommand } from './compare.ts';
import { encodeCommand } from './encode.ts';
import { evaluateCommand } from './evaluate.ts';
import { featureCommand } from './feature.ts';
import { hooksCommand } from './hooks.ts';
import { indexCommand } from './index-command.ts';
import { mergeCommand } from './merge.ts';
import { pullCommand } from './pull.ts';
import { sampleCommand } from './sample.ts';
import { serveCommand } from './serve.ts';
import { steerCommand } from './steer.ts';
import { statusCommand } from './status.ts';

/**
 * Every CLI command, in the order --help lists them. To add one, write
 * src/cli/commands/<name>.ts exporting `defineCommand({...})` and add it here.
 */
export const commands: readonly Command[] = [
  statusCommand,
  serveCommand,
  hooksCommand,
  encodeCommand,
  steerCommand,
  indexCommand,
  mergeCommand,
  featureCommand,
  sampleCommand,
  autointerpCommand,
  annotationsCommand,
  pullCommand,
  evaluateCommand,
  compareCommand,
];
