#!/usr/bin/python3
"""Step 5: figures, feature analysis and the demo README.

Reads only what ships (resources/demo/model config + the trained model.pt, the SAE's
cfg.json + sae_weights.safetensors, corpus.jsonl) plus the training logs in the work folder,
and

1. runs the model + SAE over corpus.jsonl (BOS prepended, as the app does) and writes
   WORK/feature_digest.txt: per latent, its density, strongest activations and their contexts,
   to pick interpretable features by reading;
2. for the features picked in tools/demo/picks.json (id, label, description, a steering
   prompt and clamp value), writes resources/demo/features.json with their statistics, top
   contexts and the PyTorch reference greedy continuations with and without the clamp
   (refgen.greedy: SAE error term kept, clamp at every position, as the app's steer graph);
3. writes resources/demo/metrics.json and resources/demo/README.md, and prints the figures.

usage: nice -n 19 /usr/bin/python3 tools/demo/report.py [--work DIR]
"""
import argparse
import json
import os

import numpy as np
import torch

from common import (DEFAULT_WORK, HERE, MODEL_DIR, RESOURCES, SAE_DIR, ByteBPE, load_model, load_sae, read_jsonl,
                    refgen, set_threads)

N_TOP = 20  # strongest activations kept per feature
N_NEW = 12  # greedy tokens in the steering examples


def pretty(s):
    return s.replace("\n", "\\n")


def analyse(m, sae, bpe, docs, layer):
    """Every (doc, position, feature, value) with value > 0 over the corpus, BOS excluded from
    the per-feature statistics (its own row is kept apart)."""
    eot = bpe.eot
    recs, tokens, bos_feats = [], [], None
    with torch.no_grad():
        for di, d in enumerate(docs):
            ids = [eot] + bpe.encode(d["text"])
            tokens.append(ids)
            x = m.resid_pre(torch.tensor([ids]), layer)[0]
            _, v, idx = sae(x)
            if bos_feats is None:
                bos_feats = [(int(i), float(a)) for a, i in zip(v[0], idx[0]) if a > 0]
            pos = torch.arange(len(ids))[:, None].expand_as(idx)
            keep = (v > 0) & (pos > 0)
            recs.append(np.stack([np.full(int(keep.sum()), di), pos[keep].numpy(), idx[keep].numpy(),
                                  v[keep].numpy()], axis=1))
    return np.concatenate(recs), tokens, bos_feats


def context(bpe, ids, pos, before=12, after=3):
    left = bpe.decode(ids[max(1, pos - before):pos])
    return pretty(left + "[[" + bpe.decode([ids[pos]]) + "]]" + bpe.decode(ids[pos + 1:pos + 1 + after]))


def feature_summary(bpe, recs, tokens, f, n_tokens):
    r = recs[recs[:, 2] == f]
    order = np.argsort(-r[:, 3])
    top = r[order[:N_TOP]]
    tok_count = {}
    for di, pos, _, _ in r[order[:200]]:
        t = bpe.decode([tokens[int(di)][int(pos)]])
        tok_count[t] = tok_count.get(t, 0) + 1
    top_tokens = sorted(tok_count.items(), key=lambda kv: -kv[1])[:10]
    return {
        "id": int(f),
        "count": int(len(r)),
        "density": len(r) / n_tokens,
        "max": float(r[:, 3].max()) if len(r) else 0.0,
        "mean": float(r[:, 3].mean()) if len(r) else 0.0,
        "top_tokens": [[t, c] for t, c in top_tokens],
        "examples": [{"doc": int(di), "pos": int(pos), "value": round(float(v), 3),
                      "context": context(bpe, tokens[int(di)], int(pos))} for di, pos, _, v in top],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=DEFAULT_WORK)
    a = ap.parse_args()
    set_threads()
    torch.manual_seed(0)

    bpe = ByteBPE(os.path.join(MODEL_DIR, "tokenizer.json"))
    m = load_model(MODEL_DIR, os.path.join(a.work, "model.pt"))
    sae, cfg = load_sae(SAE_DIR)
    layer = cfg["hook_layer"]
    docs = read_jsonl(os.path.join(RESOURCES, "corpus.jsonl"))
    recs, tokens, bos_feats = analyse(m, sae, bpe, docs, layer)
    n_tokens = sum(len(t) - 1 for t in tokens)
    counts = np.bincount(recs[:, 2].astype(np.int64), minlength=sae.d_sae)

    # ---- digest of every live feature, for reading
    with open(os.path.join(a.work, "feature_digest.txt"), "w", encoding="utf-8") as out:
        out.write(f"{n_tokens} corpus tokens (BOS excluded); BOS latents: {bos_feats}\n\n")
        for f in range(sae.d_sae):
            if counts[f] == 0:
                continue
            s = feature_summary(bpe, recs, tokens, f, n_tokens)
            out.write(f"#{f} count {s['count']} density {s['density']:.4f} max {s['max']:.2f} "
                      f"top tokens {[t for t, _ in s['top_tokens']]}\n")
            for e in s["examples"][:6]:
                out.write(f"   {e['value']:7.2f}  {e['context']}\n")
            out.write("\n")

    # ---- the picked features, with the reference steering runs
    picks_path = os.path.join(HERE, "picks.json")
    feats = []
    if os.path.exists(picks_path):
        ref = refgen.SAE("topk", sae.d_in, sae.d_sae, 0, k=sae.k)
        for n in ("W_enc", "W_dec", "b_enc", "b_dec"):
            setattr(ref, n, getattr(sae, n).detach().clone())
        for p in json.load(open(picks_path)):
            s = feature_summary(bpe, recs, tokens, p["id"], n_tokens)
            ids = [bpe.eot] + bpe.encode(p["steer"]["prompt"])
            clamps = [(p["id"], p["steer"]["value"])]
            with torch.no_grad():
                base, _ = refgen.greedy(m, ids, N_NEW, cfg["hook_name"], None, None)
                steered, _ = refgen.greedy(m, ids, N_NEW, cfg["hook_name"], ref, clamps)
                # the next token the clamp promotes most (or, clamping to 0, suppresses most)
                p0 = refgen.forward_steered(m, ids, refgen.empty_past(m), 0, cfg["hook_name"], None, None)[0][-1]
                p1 = refgen.forward_steered(m, ids, refgen.empty_past(m), 0, cfg["hook_name"], ref, clamps)[0][-1]
                p0, p1 = p0.softmax(-1), p1.softmax(-1)
                moved = int((p0 - p1).argmax() if p["steer"]["value"] == 0 else (p1 - p0).argmax())
            steer = dict(p["steer"], max_new_tokens=N_NEW, baseline=bpe.decode(base), steered=bpe.decode(steered),
                         baseline_ids=base, steered_ids=steered,
                         next_token={"token": bpe.decode([moved]), "baseline": round(float(p0[moved]), 4),
                                     "steered": round(float(p1[moved]), 4)})
            feats.append({"id": p["id"], "label": p["label"], "description": p["description"],
                          "source": p.get("source", "training-time analysis (tools/demo/report.py)"),
                          "count": s["count"], "density": round(s["density"], 5), "max": round(s["max"], 3),
                          "mean": round(s["mean"], 3), "top_tokens": s["top_tokens"], "examples": s["examples"][:8],
                          "steer": steer})
            print(f"#{p['id']} {p['label']}: {pretty(p['steer']['prompt'])!r} -> {pretty(steer['baseline'])!r} | "
                  f"clamp {p['steer']['value']} -> {pretty(steer['steered'])!r}")
        json.dump(feats, open(os.path.join(RESOURCES, "features.json"), "w"), indent=1, ensure_ascii=False)

    # ---- metrics.json and README
    lm = json.load(open(os.path.join(a.work, "lm_metrics.json")))
    sm = json.load(open(os.path.join(a.work, "sae_metrics.json")))
    tk = json.load(open(os.path.join(a.work, "tokenizer_info.json")))
    ci = json.load(open(os.path.join(a.work, "corpus_info.json")))
    timings = {}
    tpath = os.path.join(a.work, "timings.txt")
    if os.path.exists(tpath):
        for line in open(tpath):
            k, v = line.split()
            timings[k] = int(v)
    sizes = {}
    for root, _, files in os.walk(RESOURCES):
        for fn in files:
            p = os.path.join(root, fn)
            sizes[os.path.relpath(p, RESOURCES)] = os.path.getsize(p)
    metrics = {
        "corpus": {"source": ci["package"], "files": ci["files"], "heldout_files": ci["heldout_files"],
                   "train_words": ci["train_words"], "heldout_words": ci["heldout_words"],
                   "train_tokens": tk["train_tokens"], "heldout_tokens": tk["heldout_tokens"],
                   "index_sample_docs": tk["corpus_docs"], "index_sample_tokens": tk["corpus_tokens"],
                   "index_sample_heldout_docs": tk["corpus_heldout_docs"]},
        "tokenizer": {"type": "byte-level BPE", "vocab_size": tk["vocab_size"], "merges": tk["merges"],
                      "tokens_per_word": tk["tokens_per_word"]},
        "model": {k: lm[k] for k in ("params", "d_model", "n_layer", "n_head", "n_ctx", "vocab_size", "steps",
                                     "tokens_seen", "epochs", "heldout_loss", "unigram_heldout_loss",
                                     "train_seconds")},
        "sae": {k: sm[k] for k in ("hook", "d_in", "d_sae", "k", "train_activations", "training_tokens", "l0",
                                   "variance_explained", "variance_explained_with_bos", "fvu",
                                   "dead_share_heldout", "dead_share_train_and_heldout", "dead_tokens_counted",
                                   "heldout_text_tokens", "heldout_loss_clean", "heldout_loss_with_sae",
                                   "heldout_loss_zero_ablation", "loss_recovered", "train_seconds")},
        "bos_latents": bos_feats,
        "features": [{"id": f["id"], "label": f["label"]} for f in feats],
        "timings_seconds": timings,
        "sizes_bytes": dict(sorted(sizes.items())),
    }
    json.dump(metrics, open(os.path.join(RESOURCES, "metrics.json"), "w"), indent=1)
    from readme import render  # noqa: E402 (the README template lives apart from the numbers)

    readme = render(metrics, feats)
    open(os.path.join(RESOURCES, "README.md"), "w").write(readme)
    mo, sa = metrics["model"], metrics["sae"]
    print(f"held-out loss {mo['heldout_loss']:.3f} nats/token (unigram {mo['unigram_heldout_loss']:.3f}); "
          f"SAE {sa['hook']} d_sae {sa['d_sae']} k {sa['k']}: L0 {sa['l0']:.1f}, "
          f"variance explained {sa['variance_explained']:.3f}, dead {sa['dead_share_heldout']:.3f} "
          f"(held-out) / {sa['dead_share_train_and_heldout']:.3f} (all), loss recovered {sa['loss_recovered']:.3f}")
    print(f"resources/demo: {sum(sizes.values()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
