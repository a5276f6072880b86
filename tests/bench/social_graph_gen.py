#!/usr/bin/env python3
"""Random social graph for the social graph benchmark (social_graph.sh).

Writes an Erdős–Rényi G(n, M) edge list: PEOPLE people with ids 1..PEOPLE
and M = PEOPLE * DEGREE / 2 distinct friendships (undirected, no
self-loops), one "a b" line each in random order and orientation, the
format of POST /social/api/v1/import. Also writes PAIRS random query pairs
"source target" (ids in 1..PEOPLE, source != target) for friend_search.

Everything is derived from --seed (the pairs from a stream of their own), so
the same arguments give the same files. Standard library only: random ids
come in bulk from Random.randbytes, duplicates are dropped through a set of
a * (n + 1) + b keys (a < b), lines are written in 1 MiB-ish blocks.

Prints "key value" lines on stdout:
  people N, friendships M (distinct, as written), people_with_friends P
  (ids that appear in the edge list: those the import creates),
  duplicates_dropped D, self_loops_dropped S, pairs K, seconds T.
"""

import argparse
import sys
import time
from array import array
from random import Random

CHUNK = 1 << 16  # candidate edges drawn per randbytes call


def write_edges(path, n, m, seed):
    rng = Random(seed)
    seen = set()
    has_friend = bytearray(n + 1)
    span = n + 1
    dup = loops = written = 0
    out = []
    with open(path, "w", buffering=1 << 20) as f:
        while written < m:
            want = min(CHUNK, m - written)
            # two 64-bit draws per candidate; the modulo bias is ~n / 2^64
            draws = array("Q")
            draws.frombytes(rng.randbytes(16 * (want + want // 8 + 16)))
            it = iter(draws)
            for x, y in zip(it, it):
                a = x % n + 1
                b = y % n + 1
                if a == b:
                    loops += 1
                    continue
                key = a * span + b if a < b else b * span + a
                if key in seen:
                    dup += 1
                    continue
                seen.add(key)
                has_friend[a] = 1
                has_friend[b] = 1
                out.append("%d %d\n" % (a, b))
                written += 1
                if written == m:
                    break
            f.write("".join(out))
            out.clear()
    return written, n - has_friend.count(0) + 1, dup, loops


def write_pairs(path, n, k, seed):
    rng = Random(seed * 7919 + 1)
    with open(path, "w") as f:
        for _ in range(k):
            while True:
                s = rng.randint(1, n)
                t = rng.randint(1, n)
                if s != t:
                    break
            f.write("%d %d\n" % (s, t))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=1000000)
    ap.add_argument("--degree", type=float, default=50,
                    help="average number of friends (M = people * degree / 2)")
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--edges-out", required=True)
    ap.add_argument("--pairs-out", required=True)
    args = ap.parse_args()
    n = args.people
    if not 2 <= n <= 4294967295:
        sys.exit("--people must be 2..4294967295")
    m = int(n * args.degree / 2)
    if m > n * (n - 1) // 2 // 2:
        sys.exit("--degree too high for G(n, M) by rejection: at most (people - 1) / 2")
    t0 = time.perf_counter()
    written, with_friends, dup, loops = write_edges(args.edges_out, n, m, args.seed)
    write_pairs(args.pairs_out, n, args.pairs, args.seed)
    print("people %d" % n)
    print("friendships %d" % written)
    print("people_with_friends %d" % with_friends)
    print("duplicates_dropped %d" % dup)
    print("self_loops_dropped %d" % loops)
    print("pairs %d" % args.pairs)
    print("seconds %.1f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
