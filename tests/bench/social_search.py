#!/usr/bin/env python3
"""friend_search latency client of the social graph benchmark (social_graph.sh).

Sends GET /social/api/v1/friend_search?source_id=S&person_id=T&max_hops=H
for every pair of --pairs, one request at a time over keep-alive
connections (one per --url; pair i goes to url i mod k), and times each
request from its send to the last byte of its body (time.perf_counter).

Writes one line per pair to --out:
  index source target status milliseconds hops ids
hops is len(path) - 1 for a 200 (-1 otherwise), ids the comma-separated
person ids of the path ("-" for none). A 200 whose path does not start at
the source, end at the target, repeats a person or has an entry without
name/link is counted as bad_path.

Prints "key value" lines on stdout: requests, ok (200), not_found (404),
errors (any other status or a failed request), bad_path, median_ms,
p99_ms, mean_ms, max_ms, seconds. Standard library only.
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse

from bench_stats import median, percentile

PATH = "/social/api/v1/friend_search"


def check_path(body, s, t):
    """(hops, ids, problem) of a 200 body."""
    try:
        path = json.loads(body)
    except ValueError as e:
        return -1, [], "not JSON: %s" % e
    if not isinstance(path, list) or not path:
        return -1, [], "not a non-empty array"
    ids = []
    for p in path:
        if not isinstance(p, dict) or not isinstance(p.get("person_id"), int):
            return -1, [], "entry without an integer person_id: %r" % (p,)
        if not isinstance(p.get("name"), str):
            return -1, [], "entry without a name: %r" % (p,)
        if p.get("link") != "/social/api/v1/person?person_id=%d" % p["person_id"]:
            return -1, [], "entry with a wrong link: %r" % (p,)
        ids.append(p["person_id"])
    if ids[0] != s or ids[-1] != t:
        return len(ids) - 1, ids, "path from %d to %d" % (ids[0], ids[-1])
    if len(set(ids)) != len(ids):
        return len(ids) - 1, ids, "path repeats a person"
    return len(ids) - 1, ids, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", action="append", required=True,
                    help="http://127.0.0.1:PORT of a node (repeatable)")
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-hops", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds one request may take")
    args = ap.parse_args()

    pairs = []
    with open(args.pairs) as f:
        for line in f:
            if line.strip():
                s, t = line.split()
                pairs.append((int(s), int(t)))

    conns = []
    for u in args.url:
        p = urllib.parse.urlsplit(u)
        c = http.client.HTTPConnection(p.hostname, p.port, timeout=args.timeout)
        c.connect()
        conns.append(c)

    times = []
    counts = {"ok": 0, "not_found": 0, "errors": 0, "bad_path": 0}
    problems = []
    t_start = time.perf_counter()
    with open(args.out, "w") as out:
        for i, (s, t) in enumerate(pairs):
            k = i % len(conns)
            c = conns[k]
            target = "%s?source_id=%d&person_id=%d&max_hops=%d" % (PATH, s, t, args.max_hops)
            try:
                t0 = time.perf_counter()
                c.request("GET", target)
                r = c.getresponse()
                body = r.read()
                ms = (time.perf_counter() - t0) * 1000.0
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                ms = float("nan")
                status = 0
                body = str(e).encode()
                c.close()
                p = urllib.parse.urlsplit(args.url[k])
                conns[k] = http.client.HTTPConnection(p.hostname, p.port, timeout=args.timeout)
            hops, ids = -1, []
            if status == 200:
                counts["ok"] += 1
                hops, ids, problem = check_path(body, s, t)
                if problem:
                    counts["bad_path"] += 1
                    problems.append("GET %s%s: %s" % (args.url[k], target, problem))
            elif status == 404:
                counts["not_found"] += 1
            else:
                counts["errors"] += 1
                problems.append("GET %s%s: status %d: %s" % (
                    args.url[k], target, status, body[:300].decode(errors="replace")))
            if status:
                times.append(ms)
            out.write("%d %d %d %d %.3f %d %s\n" % (
                i, s, t, status, ms, hops, ",".join(map(str, ids)) or "-"))
    elapsed = time.perf_counter() - t_start
    for c in conns:
        c.close()

    for p in problems[:10]:
        print("social_search: " + p, file=sys.stderr)
    if len(problems) > 10:
        print("social_search: ... %d more" % (len(problems) - 10), file=sys.stderr)
    times.sort()
    print("requests %d" % len(pairs))
    for k in ("ok", "not_found", "errors", "bad_path"):
        print("%s %d" % (k, counts[k]))
    print("median_ms %.3f" % median(times))
    print("p99_ms %.3f" % percentile(times, 99))
    print("mean_ms %.3f" % (sum(times) / len(times) if times else float("nan")))
    print("max_ms %.3f" % (times[-1] if times else float("nan")))
    print("seconds %.1f" % elapsed)


if __name__ == "__main__":
    main()
