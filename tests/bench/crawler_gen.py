#!/usr/bin/env python3
"""Writes the search queries of tests/bench/crawler.sh.

Reads the HTML files of the crawled trees (--tree DIR, repeated; every
*.html below DIR), splits their text into terms the way troupe does (runs of
ASCII letters and digits, lower-cased; bytes >= 0x80 stay inside a term),
keeps the purely alphabetic terms of 4..14 letters found in 0.2 %..5 % of
the files (rare enough to make a real search, common enough to be known),
and writes two-term queries whose terms both occur in one file (so an AND
search matches at least that page): --hits distinct queries to --hits-out
and --misses more, none of them among the hits, to --misses-out. One query
per line, the terms joined by '+' (URL-encoded already). Seeded.
Prints `key value` lines: files, terms, vocabulary, hits, misses.
"""
import argparse
import os
import random
import re
import sys

TAGS = re.compile(rb"<script\b.*?</script>|<style\b.*?</style>|<[^>]*>",
                  re.S | re.I)
TERM = re.compile(rb"[A-Za-z0-9\x80-\xff]+")
WORD = re.compile(r"[a-z]{4,14}")


def html_files(tree):
    for root, _, names in os.walk(tree):
        for name in sorted(names):
            if name.endswith(".html"):
                yield os.path.join(root, name)


def terms_of(path):
    with open(path, "rb") as f:
        text = TAGS.sub(b" ", f.read())
    out = set()
    for t in TERM.findall(text):
        w = t.lower().decode("ascii", "replace")
        if WORD.fullmatch(w):
            out.add(w)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", action="append", required=True)
    ap.add_argument("--hits", type=int, default=50)
    ap.add_argument("--misses", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--hits-out", required=True)
    ap.add_argument("--misses-out", required=True)
    a = ap.parse_args()

    docs = []
    df = {}
    for tree in a.tree:
        for path in html_files(tree):
            terms = terms_of(path)
            docs.append(terms)
            for t in terms:
                df[t] = df.get(t, 0) + 1
    if not docs:
        sys.exit("no HTML files under " + " ".join(a.tree))
    lo, hi = max(2, len(docs) // 500), max(3, len(docs) // 20)
    vocab = {t for t, n in df.items() if lo <= n <= hi}
    per_doc = [sorted(d & vocab) for d in docs]
    per_doc = [d for d in per_doc if len(d) >= 2]
    if not per_doc:
        sys.exit("no file has two vocabulary terms")

    rng = random.Random(a.seed)
    want = a.hits + a.misses
    seen = set()
    pairs = []
    # bounded: at most 50 draws per query asked for
    for _ in range(50 * want):
        if len(pairs) >= want:
            break
        x, y = rng.sample(rng.choice(per_doc), 2)
        key = (min(x, y), max(x, y))
        if key in seen:
            continue
        seen.add(key)
        pairs.append(x + "+" + y)
    if len(pairs) < a.hits + 1:
        sys.exit("only %d distinct queries" % len(pairs))
    with open(a.hits_out, "w") as f:
        f.write("\n".join(pairs[:a.hits]) + "\n")
    with open(a.misses_out, "w") as f:
        f.write("\n".join(pairs[a.hits:]) + "\n")
    print("files", len(docs))
    print("terms", len(df))
    print("vocabulary", len(vocab))
    print("hits", a.hits)
    print("misses", len(pairs) - a.hits)


if __name__ == "__main__":
    main()
