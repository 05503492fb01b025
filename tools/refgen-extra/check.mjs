// Checks that each reference case's model.onnx, run in onnxruntime-node with no SAE, reproduces
// the PyTorch baseline recorded in expected.json: the argmax of the last prompt logits must be
// baseline_ids[0], and a full greedy run (KV cache fed back when the model has one, the whole
// sequence re-run when it has none) must give baseline_ids with log-probabilities within 1e-3.
//
// usage: node tools/refgen-extra/check.mjs [CASES_ROOT ...]
//   default root: test/fixtures/reference-extra (pass ../shared/fixtures/reference too if wanted)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const roots = process.argv.length > 2 ? process.argv.slice(2) : [path.join(repo, 'test/fixtures/reference-extra')];
const LOGPROB_TOL = 1e-3;

const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr, (v) => BigInt(v)), dims);

/** Log-softmax of the last position's logits; returns [argmax, its log-probability]. */
function lastArgmax(logits) {
  const [, t, v] = logits.dims;
  const row = logits.data.subarray((t - 1) * v, t * v);
  let best = 0;
  let max = -Infinity;
  for (let i = 0; i < v; i++) if (row[i] > max) [max, best] = [row[i], i];
  let sum = 0;
  for (let i = 0; i < v; i++) sum += Math.exp(row[i] - max);
  return [best, -Math.log(sum)];
}

async function checkCase(dir) {
  const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'model/config.json'), 'utf8'));
  const heads = cfg.num_attention_heads ?? cfg.n_head;
  const kvh = cfg.num_key_value_heads ?? heads;
  const hd = (cfg.hidden_size ?? cfg.n_embd) / heads;
  const nLayers = cfg.num_hidden_layers ?? cfg.n_layer;
  const sess = await ort.InferenceSession.create(path.join(dir, 'model/model.onnx'));
  const pastNames = sess.inputNames.filter((n) => n.startsWith('past_key_values.'));
  const hasPast = pastNames.length > 0;
  if (hasPast !== exp.with_past) throw new Error(`with_past ${exp.with_past} but model past inputs: ${pastNames.length}`);
  if (hasPast && pastNames.length !== 2 * nLayers) throw new Error(`expected ${2 * nLayers} past inputs`);

  const ids = [...exp.prompt_ids];
  const gen = [];
  const lps = [];
  let past = null; // name -> tensor
  let firstArgmax = -1;
  for (let step = 0; step < exp.max_new_tokens; step++) {
    let feeds;
    if (hasPast) {
      const start = past ? ids.length - 1 : 0;
      const cur = ids.slice(start);
      feeds = {
        input_ids: i64(cur, [1, cur.length]),
        attention_mask: i64(new Array(ids.length).fill(1), [1, ids.length]),
        position_ids: i64(cur.map((_, j) => start + j), [1, cur.length]),
      };
      for (const n of pastNames) {
        feeds[n] = past ? past[n] : new ort.Tensor('float32', new Float32Array(0), [1, kvh, 0, hd]);
      }
    } else {
      feeds = {
        input_ids: i64(ids, [1, ids.length]),
        attention_mask: i64(new Array(ids.length).fill(1), [1, ids.length]),
        position_ids: i64(ids.map((_, j) => j), [1, ids.length]),
      };
    }
    const out = await sess.run(feeds);
    const [nxt, lp] = lastArgmax(out.logits);
    if (step === 0) firstArgmax = nxt;
    gen.push(nxt);
    lps.push(lp);
    ids.push(nxt);
    if (hasPast) {
      past = {};
      for (const n of pastNames) past[n] = out[n.replace('past_key_values.', 'present.')];
    }
  }
  const maxDlp = Math.max(...lps.map((lp, i) => Math.abs(lp - exp.baseline_logprobs[i])));
  const okFirst = firstArgmax === exp.baseline_ids[0];
  const okIds = JSON.stringify(gen) === JSON.stringify(exp.baseline_ids);
  const ok = okFirst && okIds && maxDlp < LOGPROB_TOL;
  return { ok, okFirst, firstArgmax, okIds, gen, maxDlp, hasPast };
}

let failed = 0;
for (const root of roots) {
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    if (!fs.existsSync(path.join(dir, 'expected.json'))) continue;
    try {
      const r = await checkCase(dir);
      if (!r.ok) failed++;
      console.log(
        `${r.ok ? 'OK  ' : 'FAIL'} ${name}: past=${r.hasPast} first argmax ${r.firstArgmax} ${r.okFirst ? '==' : '!='} baseline_ids[0]; ` +
          `greedy ${r.okIds ? 'matches' : 'differs: ' + JSON.stringify(r.gen)}; max |dlogprob| ${r.maxDlp.toExponential(2)}`,
      );
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.message}`);
    }
  }
}
process.exit(failed ? 1 : 0);
