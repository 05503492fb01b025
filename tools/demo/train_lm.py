#!/usr/bin/python3
"""Step 3: train the small GPT-2 on the training split, measure held-out loss against a unigram
model, and export it to ONNX with KV-cache I/O (HF optimum names) plus config.json.

Model: refgen's GPT-2 module (HF names, so the export's node scopes are
/transformer/h.N/...), 4 layers, d_model 192, 4 heads, 256 positions, tied unembedding, HF
GPT-2 initialisation. Every training window is <|endoftext|> followed by 255 tokens of the
stream (documents separated by <|endoftext|>), so the model always sees a BOS at position 0;
the SAE config says prepend_bos: true accordingly.

Writes resources/demo/model/{model.onnx, config.json}, WORK/model.pt, WORK/lm_metrics.json,
WORK/check/demo-*/expected.json (PyTorch greedy continuations that
tools/refgen-extra/check.mjs replays through the ONNX file).

usage: nice -n 19 /usr/bin/python3 tools/demo/train_lm.py [--work DIR] [--steps N]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (DEFAULT_WORK, refgen, MODEL_DIR, N_CTX, SAE_HOOK, VOCAB_SIZE, ByteBPE, DemoGPT2, seed_everything,
                    set_threads)

SEED = 1234
D_MODEL, N_LAYER, N_HEAD = 192, 4, 4
BATCH = 16  # windows per step: 16 x 256 = 4096 tokens
EPOCHS = 3
LR, LR_MIN, WARMUP, WEIGHT_DECAY = 2e-3, 2e-4, 100, 0.1
EVAL_EVERY = 100
CHECK_PROMPTS = ["The cat sat on the mat.", "In the morning, the president said that",
                 "She opened the door and", "The results of the experiment show"]


def windows_for_epoch(stream, rng, eot):
    """Cuts the stream into windows of N_CTX - 1 tokens at a random offset, in random order;
    each window gets <|endoftext|> prepended (a window that starts a document already has it)."""
    n = N_CTX - 1
    off = int(rng.integers(0, n))
    starts = np.arange(off, len(stream) - n, n)
    rng.shuffle(starts)
    return [np.concatenate([[eot], stream[s:s + n]]) if stream[s] != eot else stream[s:s + N_CTX] for s in starts]


def lr_at(step, total):
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    p = (step - WARMUP) / max(1, total - WARMUP)
    return LR_MIN + 0.5 * (LR - LR_MIN) * (1 + math.cos(math.pi * p))


def eval_windows(stream, eot):
    """Held-out windows: <|endoftext|> + the next 255 tokens; every token of the stream (after
    its leading <|endoftext|>) is predicted exactly once."""
    body = stream[1:]
    n = N_CTX - 1
    out = []
    for s in range(0, len(body), n):
        chunk = body[s:s + n]
        out.append((np.concatenate([[eot], chunk]).astype(np.int64), len(chunk)))
    return out


@torch.no_grad()
def heldout_loss(m, wins):
    m.eval()
    tot, cnt = 0.0, 0
    for ids, n in wins:
        x = torch.from_numpy(ids)[None]
        logits = m.logits(x[:, :-1] if len(ids) == N_CTX else x[:, :n])
        tgt = x[:, 1:n + 1]
        tot += float(F.cross_entropy(logits[0], tgt[0], reduction="sum"))
        cnt += n
    m.train()
    return tot / cnt


def unigram_loss(train, held):
    """Cross-entropy of an add-one unigram model fitted on the training stream, on the same
    held-out targets the LM is scored on."""
    counts = np.bincount(train, minlength=VOCAB_SIZE).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[held[1:]].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=DEFAULT_WORK)
    ap.add_argument("--steps", type=int, default=0, help="stop after N steps (smoke test); default: EPOCHS epochs")
    a = ap.parse_args()
    set_threads()
    seed_everything(SEED)
    rng = np.random.default_rng(SEED)

    bpe = ByteBPE(os.path.join(MODEL_DIR, "tokenizer.json"))
    eot = bpe.eot
    train = np.load(os.path.join(a.work, "train.npy")).astype(np.int64)
    held = np.load(os.path.join(a.work, "heldout.npy")).astype(np.int64)
    held_wins = eval_windows(held, eot)
    uni = unigram_loss(train, held)

    m = DemoGPT2(VOCAB_SIZE, D_MODEL, N_HEAD, N_LAYER, N_CTX)
    n_params = sum(p.numel() for p in m.parameters())
    # weight decay on matrices only (not biases, LayerNorms)
    decay = [p for p in m.parameters() if p.dim() >= 2]
    no_decay = [p for p in m.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.95))
    steps_per_epoch = (len(train) // (N_CTX - 1)) // BATCH
    total = a.steps or EPOCHS * steps_per_epoch
    print(f"params {n_params:,}; train tokens {len(train):,}; held-out tokens {len(held):,}; "
          f"unigram held-out loss {uni:.3f}; {total} steps of {BATCH * N_CTX} tokens")

    t0 = time.time()
    step, curve = 0, []
    while step < total:
        wins = windows_for_epoch(train, rng, eot)
        for b in range(0, len(wins) - BATCH + 1, BATCH):
            if step >= total:
                break
            x = torch.from_numpy(np.stack(wins[b:b + BATCH]))
            for g in opt.param_groups:
                g["lr"] = lr_at(step, total)
            logits = m.logits(x[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, VOCAB_SIZE), x[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            step += 1
            if step % EVAL_EVERY == 0 or step == total:
                hl = heldout_loss(m, held_wins)
                el = time.time() - t0
                curve.append({"step": step, "train_loss": round(float(loss), 4), "heldout_loss": round(hl, 4),
                              "seconds": round(el)})
                print(f"step {step}/{total} train {float(loss):.3f} held-out {hl:.3f} "
                      f"({el:.0f}s, {step * BATCH * (N_CTX - 1) / el:.0f} tok/s)", flush=True)
    train_seconds = time.time() - t0
    m.eval()
    hl = heldout_loss(m, held_wins)
    torch.save(m.state_dict(), os.path.join(a.work, "model.pt"))

    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB_SIZE, "n_embd": D_MODEL,
           "n_layer": N_LAYER, "n_head": N_HEAD, "n_positions": N_CTX, "n_ctx": N_CTX, "n_inner": 4 * D_MODEL,
           "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": True,
           "bos_token_id": eot, "eos_token_id": eot, "use_cache": True, "torch_dtype": "float32"}
    json.dump(cfg, open(os.path.join(MODEL_DIR, "config.json"), "w"), indent=1)
    torch.manual_seed(SEED)  # export_onnx draws its dummy inputs from the global RNG
    with torch.no_grad():
        refgen.export_onnx(m, os.path.join(MODEL_DIR, "model.onnx"), with_past=True)

    # PyTorch greedy continuations, replayed through the ONNX file by check.mjs
    checks = []
    with torch.no_grad():
        for i, p in enumerate(CHECK_PROMPTS):
            ids = [eot] + bpe.encode(p)
            out, lps = refgen.greedy(m, ids, 16, SAE_HOOK, None, None)
            d = os.path.join(a.work, "check", f"demo-{i}")
            os.makedirs(d, exist_ok=True)
            link = os.path.join(d, "model")
            if not os.path.islink(link):
                os.symlink(MODEL_DIR, link)
            json.dump({"prompt_text": p, "prompt_ids": ids, "with_past": True, "max_new_tokens": 16,
                       "baseline_ids": out, "baseline_logprobs": lps}, open(os.path.join(d, "expected.json"), "w"))
            checks.append(p + " ->" + bpe.decode(out))
            print("greedy:", repr(checks[-1]))

    metrics = {"params": n_params, "d_model": D_MODEL, "n_layer": N_LAYER, "n_head": N_HEAD, "n_ctx": N_CTX,
               "vocab_size": VOCAB_SIZE, "train_tokens": int(len(train)), "heldout_tokens": int(len(held) - 1),
               "steps": step, "tokens_seen": step * BATCH * (N_CTX - 1), "epochs": round(step / steps_per_epoch, 2),
               "heldout_loss": round(hl, 4), "unigram_heldout_loss": round(uni, 4),
               "train_seconds": round(train_seconds), "curve": curve, "greedy": checks}
    json.dump(metrics, open(os.path.join(a.work, "lm_metrics.json"), "w"), indent=1)
    print(f"held-out loss {hl:.3f} nats/token vs unigram {uni:.3f}; trained in {train_seconds:.0f}s")


if __name__ == "__main__":
    main()
