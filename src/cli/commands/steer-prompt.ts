import fs from 'node:fs';
import { AppError } from '#shared/reply.ts';
import type { BuiltPrompt, Core, Engine } from '../../core/host/cli.ts';
import { CliError } from '../command.ts';
import { promptIds } from './engine-options.ts';

/** The prompt from --text / --ids, or the chat from --chat / --system (--text is the user's message), built by `core.steer.prompt`. */
export function steerPrompt(
  steer: Pick<Core['steer'], 'prompt'>,
  engine: Engine,
  v: {
    text?: string | undefined;
    ids?: string | undefined;
    chat?: boolean | undefined;
    system?: string | undefined;
    'chat-template'?: string | undefined;
  },
): BuiltPrompt {
  const chat = v.chat === true || v.system !== undefined || v['chat-template'] !== undefined;
  try {
    if (!chat) {
      const ids = promptIds(engine, v); // exactly one of --text and --ids, not empty
      return v.ids !== undefined ? { text: '', ids, segments: [], chat: null } : steer.prompt(engine, { prompt: v.text! });
    }
    if (v.text === undefined || v.ids !== undefined) throw new CliError('--chat takes the user message as --text T (not --ids)', 2);
    const template = v['chat-template'] !== undefined ? fs.readFileSync(v['chat-template'], 'utf8') : undefined;
    return steer.prompt(engine, {
      prompt: '',
      chat: {
        messages: [
          ...(v.system !== undefined ? [{ role: 'system' as const, content: v.system }] : []),
          { role: 'user' as const, content: v.text },
        ],
        addGenerationPrompt: true,
        ...(template !== undefined ? { template } : {}),
      },
    });
  } catch (e) {
    if (e instanceof AppError) throw new CliError(e.message, 2);
    throw e;
  }
}
