#!/usr/bin/env python3
"""igraph reference of the social graph benchmark (social_graph.sh).

Loads the edge list of social_graph_gen.py into python3-igraph (an
undirected Graph with people + 1 vertices: person ids are vertex indices,
vertex 0 is unused), then runs Graph.get_shortest_paths(s, to=t) (igraph's
C breadth-first search, in process, no HTTP) for every pair of --pairs and
times each call with time.perf_counter.

Writes "source target hops" per pair to --lengths (hops -1: no path).
With --check NAME=FILE (repeatable; FILE written by social_search.py) it
checks troupe's answers against the graph: a pair igraph connects within
--max-hops must have answered 200 with a path of the same number of hops
whose consecutive people are friends in the graph; any other pair must
have answered 404.

Prints "key value" lines on stdout: vertices, edges, load_seconds,
median_ms, p99_ms, mean_ms, max_ms, unreachable, hops_histogram, and per
check "check_NAME pairs=.. ok=.. status_mismatch=.. hops_mismatch=..
not_friends=.." (details of the first mismatches on stderr).
"""

import argparse
import sys
import time
import warnings

import igraph

from bench_stats import median, percentile


def check(g, name, path, expected, max_hops):
    """Compares the answers of social_search.py in `path` with igraph's."""
    n = ok = status_bad = hops_bad = not_friends = 0
    problems = []
    vcount = g.vcount()
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 7:
                continue
            _, s, t, status, _, hops, ids = parts[:7]
            s, t, status, hops = int(s), int(t), int(status), int(hops)
            n += 1
            want = expected.get((s, t))
            if want is None:
                problems.append("%d->%d: pair not in the pairs file" % (s, t))
                status_bad += 1
                continue
            reachable = 0 <= want <= max_hops
            if reachable != (status == 200) or (not reachable and status != 404):
                status_bad += 1
                problems.append("%d->%d: status %d, igraph hops %d (max_hops %d)" % (
                    s, t, status, want, max_hops))
                continue
            if status != 200:
                ok += 1
                continue
            if hops != want:
                hops_bad += 1
                problems.append("%d->%d: troupe %d hops (%s), igraph %d" % (
                    s, t, hops, ids, want))
                continue
            people = [int(x) for x in ids.split(",")]
            bad_link = None
            for u, v in zip(people, people[1:]):
                if not (0 < u < vcount and 0 < v < vcount) or \
                        g.get_eid(u, v, directed=False, error=False) < 0:
                    bad_link = (u, v)
                    break
            if bad_link:
                not_friends += 1
                problems.append("%d->%d: path %s: %d and %d are not friends" % (
                    s, t, ids, bad_link[0], bad_link[1]))
                continue
            ok += 1
    for p in problems[:10]:
        print("social_igraph: check %s: %s" % (name, p), file=sys.stderr)
    if len(problems) > 10:
        print("social_igraph: check %s: ... %d more" % (name, len(problems) - 10),
              file=sys.stderr)
    print("check_%s pairs=%d ok=%d status_mismatch=%d hops_mismatch=%d not_friends=%d"
          % (name, n, ok, status_bad, hops_bad, not_friends))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edges", required=True)
    ap.add_argument("--people", type=int, required=True)
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--lengths", required=True)
    ap.add_argument("--max-hops", type=int, default=6)
    ap.add_argument("--check", action="append", default=[], metavar="NAME=FILE")
    args = ap.parse_args()

    t0 = time.perf_counter()
    g = igraph.Graph.Read_Edgelist(args.edges, directed=False)
    if g.vcount() < args.people + 1:
        g.add_vertices(args.people + 1 - g.vcount())
    load_seconds = time.perf_counter() - t0

    pairs = []
    with open(args.pairs) as f:
        for line in f:
            if line.strip():
                s, t = line.split()
                pairs.append((int(s), int(t)))

    warnings.simplefilter("ignore")  # "Couldn't reach some vertices"
    times = []
    expected = {}
    hist = {}
    with open(args.lengths, "w") as out:
        for s, t in pairs:
            c0 = time.perf_counter()
            path = g.get_shortest_paths(s, to=t)[0]
            times.append((time.perf_counter() - c0) * 1000.0)
            hops = len(path) - 1 if path else -1
            if path and (path[0] != s or path[-1] != t):
                sys.exit("igraph returned a path from %d to %d for %d->%d" % (
                    path[0], path[-1], s, t))
            expected[(s, t)] = hops
            hist[hops] = hist.get(hops, 0) + 1
            out.write("%d %d %d\n" % (s, t, hops))
    times.sort()
    print("vertices %d" % g.vcount())
    print("edges %d" % g.ecount())
    print("load_seconds %.1f" % load_seconds)
    print("median_ms %.3f" % median(times))
    print("p99_ms %.3f" % percentile(times, 99))
    print("mean_ms %.3f" % (sum(times) / len(times) if times else float("nan")))
    print("max_ms %.3f" % (times[-1] if times else float("nan")))
    print("unreachable %d" % hist.get(-1, 0))
    print("hops_histogram %s" % ",".join("%d:%d" % (h, hist[h]) for h in sorted(hist)))
    for item in args.check:
        name, _, path = item.partition("=")
        check(g, name, path, expected, args.max_hops)


if __name__ == "__main__":
    main()
