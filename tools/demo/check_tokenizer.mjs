// Checks the demo tokenizer.json with the tokenizer the app uses (@huggingface/tokenizers):
// on every held-out document, encode(text, {add_special_tokens: false}).ids must equal the
// Python encoding bpe.py wrote, and decode(ids) must give the text back.
// usage (from the repo root): node tools/demo/check_tokenizer.mjs [WORK_DIR]
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

const work = process.argv[2] ?? process.env.DEMO_WORK ?? '/tmp/sae-explorer-demo';
const dir = path.join('resources', 'demo', 'model');
const json = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(json, cfg);
const cases = JSON.parse(fs.readFileSync(path.join(work, 'heldout_check.json'), 'utf8'));

let tokens = 0;
for (const [i, c] of cases.entries()) {
  const ids = tok.encode(c.text, { add_special_tokens: false }).ids;
  const at = ids.findIndex((id, j) => id !== c.ids[j]);
  if (ids.length !== c.ids.length || at >= 0) {
    const j = at >= 0 ? at : Math.min(ids.length, c.ids.length);
    throw new Error(`document ${i}: ids differ at token ${j}: js ${ids.slice(j, j + 5)} python ${c.ids.slice(j, j + 5)}`);
  }
  const back = tok.decode(ids, { skip_special_tokens: false });
  if (back !== c.text) throw new Error(`document ${i}: decode does not give the text back`);
  tokens += ids.length;
}
const eot = tok.token_to_id('<|endoftext|>');
const withEot = tok.encode('<|endoftext|>Hello', { add_special_tokens: false }).ids;
if (withEot[0] !== eot) throw new Error(`<|endoftext|> is not one special token (${withEot})`);
console.log(`tokenizer ok: ${cases.length} held-out documents, ${tokens} tokens identical; <|endoftext|> = ${eot}`);
