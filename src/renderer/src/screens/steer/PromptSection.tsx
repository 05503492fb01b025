import type { RefObject } from 'react';
import type { SteerChatInfo, SteerTokenized } from '#shared/steer-types.ts';
import { Badge } from '../../components/ui.tsx';
import { ChatEditor } from './ChatEditor.tsx';
import { updateDraft, type Draft } from './draft.ts';
import { PromptMode } from './PromptMode.tsx';
import { PromptTokens } from './PromptTokens.tsx';

/** The notice that the editor holds a copy of a session, with a way to start fresh. */
export function ForkedFrom({ from }: { from: NonNullable<Draft['forkedFrom']> }) {
  return (
    <p className="mb-3 flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400" data-testid="forked-from">
      <Badge tone="accent">fork</Badge>
      <span className="min-w-0">
        Editing a copy of <span className="font-medium text-zinc-800 dark:text-zinc-200">{from.name}</span>: running saves a new
        session.
      </span>
      <button
        type="button"
        className="whitespace-nowrap underline-offset-2 hover:underline"
        onClick={() => updateDraft((d) => ({ ...d, forkedFrom: null }))}
      >
        start fresh
      </button>
    </p>
  );
}

/** The prompt: plain text or a chat, and its tokens as the model sees them. */
export function PromptSection(props: {
  draft: Draft;
  promptRef: RefObject<HTMLTextAreaElement | null>;
  chatInfo: SteerChatInfo | null;
  tokens: SteerTokenized | null;
  promptError: string | null;
}) {
  const { draft, tokens, promptError } = props;
  return (
    <section aria-label="Prompt" className="rounded-xl border border-zinc-200 bg-white p-4 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex items-center gap-3">
        <label htmlFor="steer-prompt" className="text-sm font-semibold">
          Prompt
        </label>
        <PromptMode mode={draft.mode} />
      </div>
      {draft.mode === 'text' ? (
        <textarea
          id="steer-prompt"
          ref={props.promptRef}
          value={draft.prompt}
          onChange={(e) => updateDraft((d) => ({ ...d, prompt: e.target.value }))}
          rows={3}
          className="mt-2 block w-full resize-y rounded-md border border-zinc-300 bg-white px-3 py-2 font-mono text-sm text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100"
          placeholder="Text the model continues"
        />
      ) : (
        <ChatEditor chat={draft.chat} info={props.chatInfo} />
      )}
      {promptError && draft.mode === 'chat' && (
        <p role="alert" className="mt-2 text-xs text-rose-600 dark:text-rose-400">
          {promptError}
        </p>
      )}
      <PromptTokens tokens={tokens} maxNewTokens={draft.settings.maxNewTokens} chat={draft.mode === 'chat'} />
    </section>
  );
}
