"""Shared pieces of the demo pipeline: paths, seeds, the byte-level BPE encoder, the GPT-2
model (refgen's, with a training initialisation) and the TopK SAE.

Dev-time only (Debian's python3-torch 1.13 + numpy, run with /usr/bin/python3). The app, its
tests and CI only read the files these scripts write into resources/demo/.
"""
import json
import math
import os
import random
import re
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
REFGEN_DIR = os.path.normpath(os.path.join(REPO, "..", "shared", "tools", "refgen"))
sys.path.insert(0, REFGEN_DIR)

# refgen is the independent PyTorch reference the engine is tested against; reusing its GPT-2
# (HF module names) and its ONNX export keeps the demo model inside what the engine is known
# to load. refgen switches autograd off when imported (it only runs inference), so switch it
# back on for training.
import refgen  # noqa: E402

torch.set_grad_enabled(True)

RESOURCES = os.path.join(REPO, "resources", "demo")
MODEL_DIR = os.path.join(RESOURCES, "model")
SAE_DIR = os.path.join(RESOURCES, "sae")
DEFAULT_WORK = os.environ.get("DEMO_WORK", "/tmp/sae-explorer-demo")

EOT = "<|endoftext|>"
VOCAB_SIZE = 4096  # 256 bytes + merges + <|endoftext|> (the last id)
N_CTX = 256  # model positions (training windows are this long)
SAE_CTX = 128  # SAE training windows and corpus documents stay within this many tokens
SAE_HOOK = "blocks.2.hook_resid_pre"


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads():
    """One thread unless DEMO_THREADS says otherwise: the dev box is shared (2 cores)."""
    n = int(os.environ.get("DEMO_THREADS", "1"))
    torch.set_num_threads(n)
    torch.set_num_interop_threads(1)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- byte-level BPE (GPT-2 style)
bytes_to_unicode = refgen.bytes_to_unicode

try:  # the exact GPT-2 pattern needs the third-party `regex` module (Debian: python3-regex)
    import regex as _re

    PRETOKENIZE = _re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
except ImportError:
    # Same pattern with `re`: \p{L} -> [^\W\d_], \p{N} -> \d, and "not space/letter/number"
    # -> [^\s\w] or "_". Identical to the GPT-2 pattern on ASCII text (the Brown corpus is
    # pure ASCII); tokenize.py checks the result against @huggingface/tokenizers anyway.
    PRETOKENIZE = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")


def pretokenize(text):
    """Text -> pre-tokens, each as its byte-level unicode string (e.g. ' the' -> 'Ġthe')."""
    b2u = BYTE_TO_UNICODE
    return ["".join(b2u[b] for b in piece.encode("utf-8")) for piece in PRETOKENIZE.findall(text)]


BYTE_TO_UNICODE = bytes_to_unicode()


class ByteBPE:
    """Encoder for the tokenizer.json that bpe.py writes: GPT-2's merge-by-rank algorithm."""

    def __init__(self, tokenizer_json):
        tok = json.load(open(tokenizer_json, encoding="utf-8"))
        self.vocab = tok["model"]["vocab"]
        merges = tok["model"]["merges"]
        # tokenizers >= 0.20 writes merges as [a, b] pairs, older versions as "a b" strings
        pairs = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges]
        self.ranks = {p: i for i, p in enumerate(pairs)}
        self.special = {t["content"]: t["id"] for t in tok["added_tokens"]}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token.update({i: t for t, i in self.special.items()})
        self.u2b = {u: b for b, u in BYTE_TO_UNICODE.items()}
        self.cache = {}

    @property
    def eot(self):
        return self.special[EOT]

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best, best_rank = None, None
            for i in range(len(parts) - 1):
                r = self.ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = (parts[i], parts[i + 1]), r
            if best is None:
                break
            merged, i = [], 0
            while i < len(parts):  # merge every occurrence, left to right
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        """Plain text (no special tokens inside) -> ids, like encode(text, add_special_tokens=False)."""
        out = []
        for w in pretokenize(text):
            out.extend(self._bpe(w))
        return out

    def decode(self, ids):
        parts = []
        for i in ids:
            t = self.id_to_token[i]
            parts.append(t.encode("utf-8") if t in self.special else bytes(self.u2b[c] for c in t))
        return b"".join(parts).decode("utf-8", errors="replace")


# ---------------------------------------------------------------- GPT-2
class DemoGPT2(refgen.GPT2):
    """refgen's GPT-2 (HF names: transformer.wte, transformer.h.N.attn.c_attn, ..., tied
    unembedding), re-initialised for training the way HF GPT-2 does."""

    def __init__(self, vocab, d, h, n, ctx):
        super().__init__(vocab=vocab, d=d, h=h, n=n, ctx=ctx)
        for name, p in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                torch.nn.init.ones_(p)
            elif name.endswith(".bias"):
                torch.nn.init.zeros_(p)
            elif name.endswith("c_proj.weight"):
                # GPT-2: residual-writing projections scaled by 1/sqrt(2 * n_layer)
                torch.nn.init.normal_(p, std=0.02 / math.sqrt(2 * n))
            elif name.endswith("wpe.weight"):
                torch.nn.init.normal_(p, std=0.01)
            else:
                torch.nn.init.normal_(p, std=0.02)

    def logits(self, ids):
        """Training/eval forward on full windows (no cache): [B, T] -> [B, T, V]."""
        b, t = ids.shape
        pos = torch.arange(t)[None].expand(b, t)
        mask = torch.ones(b, t, dtype=torch.int64)
        empty = torch.zeros(b, self.h, 0, self.hd)
        out, _ = self(ids, mask, pos, [(empty, empty)] * self.n)
        return out

    def resid_pre(self, ids, layer):
        """blocks.<layer>.hook_resid_pre for full windows: [B, T] -> [B, T, d]."""
        b, t = ids.shape
        pos = torch.arange(t)[None].expand(b, t)
        x = self.transformer.wte(ids) + self.transformer.wpe(pos)
        mask = torch.ones(t, t, dtype=torch.bool).tril()[None, None]
        empty = torch.zeros(b, self.h, 0, self.hd)
        hooks = {}
        for i, blk in enumerate(self.transformer.h[:layer]):
            x, _, _ = blk(x, empty, empty, mask, hooks, i)
        return x


    def from_resid_pre(self, x, layer):
        """Logits from blocks.<layer>.hook_resid_pre onwards (to score an SAE's reconstruction
        spliced in at the hook): [B, T, d] -> [B, T, V]."""
        b, t, _ = x.shape
        mask = torch.ones(t, t, dtype=torch.bool).tril()[None, None]
        empty = torch.zeros(b, self.h, 0, self.hd)
        hooks = {}
        for i, blk in enumerate(self.transformer.h):
            if i >= layer:
                x, _, _ = blk(x, empty, empty, mask, hooks, i)
        return self.transformer.ln_f(x) @ self.transformer.wte.weight.T


def load_model(model_dir, state_path):
    """The trained model: architecture from resources/demo/model/config.json, weights from
    the work folder's model.pt (the ONNX export is made from the same state)."""
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    m = DemoGPT2(cfg["vocab_size"], cfg["n_embd"], cfg["n_head"], cfg["n_layer"], cfg["n_positions"])
    m.load_state_dict(torch.load(state_path))
    return m.eval()


# ---------------------------------------------------------------- TopK SAE
class TopKSAE(torch.nn.Module):
    """TopK SAE (Gao et al. 2024, "Scaling and evaluating sparse autoencoders"):
    a = ReLU(TopK(W_enc^T (x - b_dec) + b_enc)), x_hat = a W_dec + b_dec, rows of W_dec unit norm.
    Same maths as refgen.SAE("topk") and SAELens' TopK SAE."""

    def __init__(self, d_in, d_sae, k):
        super().__init__()
        self.d_in, self.d_sae, self.k = d_in, d_sae, k
        w = torch.randn(d_sae, d_in)
        w /= w.norm(dim=1, keepdim=True)
        self.W_dec = torch.nn.Parameter(w)
        self.W_enc = torch.nn.Parameter(w.t().clone())  # encoder initialised as the decoder's transpose
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))

    def pre_acts(self, x):
        return (x - self.b_dec) @ self.W_enc + self.b_enc

    def topk(self, pre, k):
        v, i = pre.topk(k, dim=-1)
        return v.relu(), i

    def decode_sparse(self, v, i):
        # sum_j v_j W_dec[i_j] without materialising the dense [N, d_sae] code
        return torch.einsum("nk,nkd->nd", v, self.W_dec[i])

    def forward(self, x):
        v, i = self.topk(self.pre_acts(x), self.k)
        return self.decode_sparse(v, i) + self.b_dec, v, i

    @torch.no_grad()
    def normalise_decoder(self):
        self.W_dec /= self.W_dec.norm(dim=1, keepdim=True)

    @torch.no_grad()
    def remove_parallel_grad(self):
        """Drop the part of W_dec's gradient along each row, so unit-norm rows stay unit norm
        to first order (the paper's constraint; normalise_decoder fixes the rest)."""
        g, w = self.W_dec.grad, self.W_dec
        if g is not None:
            g -= (g * w).sum(dim=1, keepdim=True) * w


def read_safetensors(path):
    """The F32 tensors of a .safetensors file (what refgen.write_safetensors writes)."""
    import struct

    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        assert h["dtype"] == "F32", h
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).copy()).reshape(h["shape"])
    return out


def load_sae(sae_dir):
    """The shipped SAE as a TopKSAE (raw activation units, as the app sees it) and its cfg."""
    cfg = json.load(open(os.path.join(sae_dir, "cfg.json")))
    t = read_safetensors(os.path.join(sae_dir, "sae_weights.safetensors"))
    sae = TopKSAE(cfg["d_in"], cfg["d_sae"], cfg["k"])
    with torch.no_grad():
        for name, v in t.items():
            getattr(sae, name).copy_(v)
    return sae.eval(), cfg
