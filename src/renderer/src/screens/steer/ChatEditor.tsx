import { useState } from 'react';
import type { SteerChatInfo } from '#shared/steer-types.ts';
import { Checkbox } from '../../components/Checkbox.tsx';
import { cx } from '../../components/ui.tsx';
import { updateDraft, type DraftChat, type DraftTurn } from './draft.ts';

const area =
  'block w-full resize-y rounded-md border border-zinc-300 bg-white px-3 py-2 font-mono text-sm text-zinc-900 focus-visible:outline-2 focus-visible:outline-violet-500 disabled:opacity-50 dark:border-zinc-700 dark:bg-zinc-950 dark:text-zinc-100';

const setChat = (change: (c: DraftChat) => DraftChat): void => updateDraft((d) => ({ ...d, chat: change(d.chat) }));
const setTurn = (i: number, change: Partial<DraftTurn>): void =>
  setChat((c) => ({ ...c, turns: c.turns.map((t, j) => (j === i ? { ...t, ...change } : t)) }));

/** The chat's turns: each with its role, its text and a way to remove it (the last one stays). */
function ChatTurns({ turns }: { turns: readonly DraftTurn[] }) {
  return (
    <ol className="space-y-2" aria-label="Turns">
      {turns.map((t, i) => (
        <li key={i} className="flex items-start gap-2">
          <select
            value={t.role}
            onChange={(e) => setTurn(i, { role: e.target.value === 'assistant' ? 'assistant' : 'user' })}
            aria-label={`Role of turn ${i + 1}`}
            className="mt-1 rounded-md border border-zinc-300 bg-white px-1.5 py-1 text-xs dark:border-zinc-700 dark:bg-zinc-950"
          >
            <option value="user">user</option>
            <option value="assistant">assistant</option>
          </select>
          <textarea
            value={t.content}
            onChange={(e) => setTurn(i, { content: e.target.value })}
            rows={2}
            aria-label={`Turn ${i + 1} (${t.role})`}
            placeholder={t.role === 'user' ? 'What the user says' : 'What the assistant said'}
            className={area}
          />
          <button
            type="button"
            onClick={() => setChat((c) => ({ ...c, turns: c.turns.filter((_, j) => j !== i) }))}
            disabled={turns.length === 1}
            aria-label={`Remove turn ${i + 1}`}
            className="mt-1 rounded px-1.5 text-zinc-400 hover:bg-zinc-100 hover:text-zinc-700 disabled:opacity-30 dark:hover:bg-zinc-800 dark:hover:text-zinc-200"
          >
            ×
          </button>
        </li>
      ))}
    </ol>
  );
}

/**
 * A chat prompt: a system message (where the template takes one), turns of user and
 * assistant, and whether the assistant's turn is opened for the model to answer. Rendered
 * with the model's chat template, or one pasted here.
 */
export function ChatEditor({ chat, info }: { chat: DraftChat; info: SteerChatInfo | null }) {
  const [showTemplate, setShowTemplate] = useState(chat.template !== '');
  const own = info?.template ?? null;
  const custom = chat.template.trim() !== '';
  // a pasted template is not checked here for a system role: the run says when it refuses one
  const systemOk = custom || info?.system === true;
  return (
    <div className="mt-2 space-y-3" role="group" aria-label="Chat">
      {info && !own && !custom && (
        <p
          role="note"
          className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-xs text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200"
        >
          This model has no chat template (no <code>chat_template</code> in its tokenizer_config.json): it is a base model. Paste a template
          below to try one, or use plain text.
        </p>
      )}
      <label className="block text-xs">
        <span className="text-zinc-600 dark:text-zinc-400">
          System message{' '}
          {!systemOk && own && <span className="text-amber-700 dark:text-amber-300">(this model’s template refuses a system message)</span>}
        </span>
        <textarea
          value={chat.system}
          onChange={(e) => setChat((c) => ({ ...c, system: e.target.value }))}
          disabled={!systemOk}
          rows={2}
          aria-label="System message"
          placeholder={systemOk ? 'optional' : 'not supported by this template'}
          className={cx(area, 'mt-1')}
        />
      </label>
      <ChatTurns turns={chat.turns} />
      <div className="flex flex-wrap items-center gap-4 text-xs">
        <button
          type="button"
          onClick={() =>
            setChat((c) => ({ ...c, turns: [...c.turns, { role: c.turns.at(-1)?.role === 'user' ? 'assistant' : 'user', content: '' }] }))
          }
          className="rounded-md border border-zinc-300 px-2 py-1 font-medium hover:bg-zinc-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
        >
          Add a turn
        </button>
        <Checkbox checked={chat.addGenerationPrompt} onChange={(addGenerationPrompt) => setChat((c) => ({ ...c, addGenerationPrompt }))}>
          open the assistant’s turn (the model answers)
        </Checkbox>
        <button
          type="button"
          aria-expanded={showTemplate}
          onClick={() => setShowTemplate((v) => !v)}
          className="ml-auto text-zinc-500 underline-offset-2 hover:underline"
        >
          {custom ? 'template: pasted' : own ? 'template: the model’s' : 'template: none'} · {showTemplate ? 'hide' : 'show'}
        </button>
      </div>
      {showTemplate && (
        <label className="block text-xs">
          <span className="text-zinc-600 dark:text-zinc-400">
            Chat template (Jinja, as in tokenizer_config.json){own ? '; empty = the model’s own' : ''}
          </span>
          <textarea
            value={chat.template}
            onChange={(e) => setChat((c) => ({ ...c, template: e.target.value }))}
            rows={4}
            aria-label="Chat template"
            placeholder={own ?? "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"}
            className={cx(area, 'mt-1 text-xs')}
          />
        </label>
      )}
    </div>
  );
}
