#!/bin/sh
# Rebuilds resources/demo/ from scratch: corpus -> tokenizer -> GPT-2 -> TopK SAE -> report.
# Dev-time only (Debian's python3-torch + numpy, Node, npm). Run from anywhere; the work folder
# (npm tarball, token streams, model.pt, logs) is $DEMO_WORK, /tmp/sae-explorer-demo by default.
set -eu
cd "$(dirname "$0")/../.."
export DEMO_WORK="${DEMO_WORK:-/tmp/sae-explorer-demo}"
# one BLAS/OpenMP thread: the dev machine is shared (see tools/demo/README.md)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
PY="nice -n 19 /usr/bin/python3"
mkdir -p "$DEMO_WORK"
: > "$DEMO_WORK/timings.txt"

step() { # name, command...
  name=$1
  shift
  t0=$(date +%s)
  "$@"
  echo "$name $(($(date +%s) - t0))" >> "$DEMO_WORK/timings.txt"
}

step corpus $PY tools/demo/corpus.py --work "$DEMO_WORK"
bpe() { $PY tools/demo/bpe.py --work "$DEMO_WORK" && node tools/demo/check_tokenizer.mjs "$DEMO_WORK"; }
step bpe bpe
lm() { $PY tools/demo/train_lm.py --work "$DEMO_WORK" && node tools/refgen-extra/check.mjs "$DEMO_WORK/check"; }
step train_lm lm
step train_sae $PY tools/demo/train_sae.py --work "$DEMO_WORK"
step report $PY tools/demo/report.py --work "$DEMO_WORK"
du -sh resources/demo
