#!/usr/bin/python3
"""Extra reference cases for the engine, made by the independent PyTorch reference (refgen.py).

Dev-time tool only: the app and its tests read the committed output, never run Python.
Everything (models, SAEs, export, latents, greedy runs) comes from
../shared/tools/refgen/refgen.py (relative to the repo root); this file only picks
architectures, hooks, prompts, seeds and clamps, and writes the cases with refgen's
`make_case` into test/fixtures/reference-extra/<case>/ (model/, sae/, expected.json).

Additions to expected.json (everything else is exactly what make_case writes):
  - "sae_path": the path, relative to the case folder, the app should be given to load the
    SAE: "sae" (a SAELens folder) or "sae/layer_<L>/params.npz" (Gemma Scope file).
  - "model_seed", "sae_seed": the seeds used (for the record).

usage (Debian's python3-torch):
  OMP_NUM_THREADS=1 nice -n 19 /usr/bin/python3 tools/refgen-extra/make_cases.py [--out DIR] [CASE ...]
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
REFGEN_DIR = os.path.normpath(os.path.join(REPO, "..", "shared", "tools", "refgen"))
sys.path.insert(0, REFGEN_DIR)

import torch  # noqa: E402
from refgen import GPT2, Llama, SAE, make_case  # noqa: E402

DEFAULT_OUT = os.path.join(REPO, "test", "fixtures", "reference-extra")
N_NEW = 12

# name, model class, model seed, with_past, hook, SAE(...) kwargs, SAE seed, sae format, prompt, clamps
# Model seeds: torch.manual_seed(model_seed) right before building the model, so every case is
# reproducible on its own (refgen's export_onnx draws dummy inputs from the global RNG, so a
# model built after another case's export would otherwise depend on the case order).
# SAE seeds: SAE(...) uses its own torch.Generator seeded with sae_seed.
# Clamps were chosen from latents active on the prompt (or a large value) so the steered
# greedy continuation differs from the baseline; make_cases asserts that it does.
CASES = [
    dict(name="llama-jumprelu-l1mid", model=Llama, model_seed=1001, with_past=True,
         hook="blocks.1.hook_resid_mid", sae=dict(arch="jumprelu", d_in=64, d_sae=256), sae_seed=201,
         fmt="saelens", prompt="Größe café ✓", clamps=[(97, 8.0), (214, 0.0)]),
    dict(name="llama-gated-l3post-nopast", model=Llama, model_seed=1002, with_past=False,
         hook="blocks.3.hook_resid_post", sae=dict(arch="gated", d_in=64, d_sae=256), sae_seed=202,
         fmt="saelens", prompt="Once upon a time, there was", clamps=[(41, 12.0)]),
    dict(name="gpt2-switch-l2mid", model=GPT2, model_seed=1003, with_past=True,
         hook="blocks.2.hook_resid_mid", sae=dict(arch="switch", d_in=64, d_sae=512, k=8, n_experts=4),
         sae_seed=203, fmt="saelens", prompt="def f(x): return x * 2",
         clamps=[(491, 20.0), (37, 15.0)]),  # latents in two different experts (3 and 0)
    dict(name="gpt2-gemmascope-l1post", model=GPT2, model_seed=1004, with_past=True,
         hook="blocks.1.hook_resid_post", sae=dict(arch="jumprelu", d_in=64, d_sae=256, apply_b_dec=False),
         sae_seed=204, fmt="gemmascope", prompt="The quick brown fox jumps.", clamps=[(84, 0.0), (205, 20.0)]),
    dict(name="gpt2-topk-layernorm-l0pre", model=GPT2, model_seed=1005, with_past=True,
         hook="blocks.0.hook_resid_pre", sae=dict(arch="topk", d_in=64, d_sae=256, k=16, norm="layer_norm"),
         sae_seed=205, fmt="saelens", prompt="Pi is 3.14159, e is 2.71828",
         # latent 174 is active on 8 of 27 prompt tokens (~1.5); a modest 3.0 because at the
         # embeddings 8+ collapses the continuation into one repeated byte
         clamps=[(174, 3.0)]),
    dict(name="gpt2-standard-cnr-l3post", model=GPT2, model_seed=1006, with_past=True,
         hook="blocks.3.hook_resid_post", sae=dict(arch="standard", d_in=64, d_sae=256, norm="constant_norm_rescale"),
         sae_seed=206, fmt="saelens", prompt="Steering vectors change outputs.", clamps=[(18, 0.0), (238, 8.0)]),
    dict(name="gpt2-relu-nopast-l1pre", model=GPT2, model_seed=1007, with_past=False,
         hook="blocks.1.hook_resid_pre", sae=dict(arch="standard", d_in=64, d_sae=256), sae_seed=207,
         fmt="saelens", prompt="Привет, мир! 日本語", clamps=[(69, 20.0)]),
]


def build(c):
    torch.manual_seed(c["model_seed"])
    m = c["model"]().eval()
    kw = dict(c["sae"])
    arch, d_in, d_sae = kw.pop("arch"), kw.pop("d_in"), kw.pop("d_sae")
    sae = SAE(arch, d_in, d_sae, c["sae_seed"], **kw)
    return m, sae


def write_case(out, c):
    m, sae = build(c)
    exp = make_case(out, c["name"], m, c["hook"], sae, c["prompt"], c["clamps"], N_NEW, c["with_past"],
                    sae_fmt=c["fmt"])
    d = os.path.join(out, c["name"])
    if c["fmt"] == "gemmascope":
        # Minimal wrap of make_case: SAE.write(..., "gemmascope") puts params.npz straight in
        # sae/, but a Gemma Scope file names its layer only through its path
        # (.../layer_<L>/width_.../params.npz). Move it under sae/layer_<L>/ so a loader can
        # take the layer from the path; the contents are untouched.
        layer = int(c["hook"].split(".")[1])
        sub = os.path.join(d, "sae", f"layer_{layer}")
        os.makedirs(sub, exist_ok=True)
        shutil.move(os.path.join(d, "sae", "params.npz"), os.path.join(sub, "params.npz"))
        sae_path = f"sae/layer_{layer}/params.npz"
    else:
        sae_path = "sae"
    exp["sae_path"] = sae_path
    exp["model_seed"] = c["model_seed"]
    exp["sae_seed"] = c["sae_seed"]
    json.dump(exp, open(os.path.join(d, "expected.json"), "w"))
    if exp["steered_ids"] == exp["baseline_ids"]:
        raise SystemExit(f"{c['name']}: steering does not change the greedy continuation; pick other clamps")
    return exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = {c["name"] for c in CASES}
    for n in args.cases:
        if n not in names:
            raise SystemExit(f"unknown case {n}; known: {sorted(names)}")
    os.makedirs(args.out, exist_ok=True)
    for c in CASES:
        if args.cases and c["name"] not in args.cases:
            continue
        d = os.path.join(args.out, c["name"])
        if os.path.isdir(d):
            shutil.rmtree(d)  # no stale files (e.g. an SAE written in another format before)
        e = write_case(args.out, c)
        print(f"{c['name']}: {e['hook']} {e['architecture']}/{e['sae_format']} with_past={e['with_past']} "
              f"l0={e['l0'][:6]} fvu={e['fvu']:.3f}\n  base  {e['baseline_ids']}\n  steer {e['steered_ids']}",
              flush=True)


if __name__ == "__main__":
    main()
