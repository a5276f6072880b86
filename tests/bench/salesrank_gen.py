#!/usr/bin/env python3
"""Random sales for the sales rank benchmark (salesrank.sh).

Writes SALES tab-separated lines in the format of POST
/salesrank/api/v1/sales:

  timestamp  product_id  category_id  qty  total_price  seller_id  buyer_id

- timestamps uniform over the HOURS hours before --now (Unix seconds;
  --iso-fraction of them in ISO 8601 instead: "Z", "+02:00" and fractional
  seconds forms, the same instant);
- categories c1..cCATEGORIES, Zipf-like (weight 1/k: c1 has ~13 % of the
  sales with 1000 categories);
- products in three tiers: --hot of the sales go to the category's 1000
  hot products (Zipf-like: these sell in most hours of the week), --warm to
  a per-category pool (2,000,000 products over all categories, weighted
  like the categories: ~1.5 sales each), the rest to products sold once (a
  counter scrambled into a large id space, never repeated). So there are
  millions of distinct (category, product) pairs, most with one sale, and
  rankings are led by the hot products;
- qty 1 (70 %) to 20, total_price qty x a unit price with cents, sellers
  and buyers from pools of 65,536 and 10,000,000.

Everything is derived from --seed and --now: the same arguments give the
same file. Standard library only; random numbers come in bulk from
Random.randbytes, lines are written in blocks.

Also writes, with --expect-out, the expected ranking of --check-category
(default c1) as "product total" lines, best first, ties by product id
ascending (the service's order), at most --top lines.

Prints "key value" lines on stdout: sales, pairs (distinct (category,
product) pairs), iso_lines, bytes, check_category, check_category_sales,
check_category_pairs, seconds.
"""

import argparse
import bisect
import sys
import time
from array import array
from random import Random

CHUNK = 1 << 16  # lines per block
TABLE_BITS = 20  # resolution of the Zipf lookup tables
HOT_PER_CATEGORY = 1000
WARM_TOTAL = 2000000
COLD_BASE = 10**12  # cold product ids: COLD_BASE + scrambled counter
COLD_SPACE = 1 << 40
COLD_MULT = 0x9E3779B97F % COLD_SPACE | 1  # odd: a bijection modulo 2^40


def zipf_table(n, s, bits):
    """A list of 2^bits indices 0..n-1, index k appearing in proportion to
    1 / (k + 1)^s (each at least once while 2^bits >= n)."""
    weights = [1.0 / (k + 1) ** s for k in range(n)]
    total = sum(weights)
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc / total)
    size = 1 << bits
    table = [min(bisect.bisect_left(cum, (i + 0.5) / size), n - 1) for i in range(size)]
    return table, [w / total for w in weights]


def iso(t, variant):
    """ISO 8601 text of Unix time t: variant 0 "Z", 1 "+02:00", 2 ".250Z"."""
    if variant == 1:
        g = time.gmtime(t + 7200)
        suffix = "+02:00"
    else:
        g = time.gmtime(t)
        suffix = ".250Z" if variant == 2 else "Z"
    return "%04d-%02d-%02dT%02d:%02d:%02d%s" % (g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour,
                                                g.tm_min, g.tm_sec, suffix)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sales", type=int, default=10000000)
    ap.add_argument("--categories", type=int, default=1000)
    ap.add_argument("--hours", type=int, default=160, help="timestamps spread over this many hours before --now")
    ap.add_argument("--now", type=int, default=None, help="Unix seconds (default: the current time)")
    ap.add_argument("--hot", type=float, default=0.30, help="fraction of sales to hot products")
    ap.add_argument("--warm", type=float, default=0.30, help="fraction of sales to warm products")
    ap.add_argument("--iso-fraction", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check-category", default="c1")
    ap.add_argument("--top", type=int, default=100)
    ap.add_argument("--expect-out", default=None)
    args = ap.parse_args()
    if args.sales < 1 or not 1 <= args.categories <= 1000000:
        sys.exit("--sales must be >= 1 and --categories 1..1000000")
    if not 1 <= args.hours <= 166:
        sys.exit("--hours must be 1..166 (the window is 168 hours)")
    t0 = time.perf_counter()
    now = int(time.time()) if args.now is None else args.now
    span = args.hours * 3600
    start = now - span + 1
    rng = Random(args.seed)

    ncat = args.categories
    cat_table, cat_weight = zipf_table(ncat, 1.0, TABLE_BITS)
    hot_table, _ = zipf_table(HOT_PER_CATEGORY, 1.0, TABLE_BITS)
    cat_names = ["c%d" % (k + 1) for k in range(ncat)]
    # warm pools: offset and size per category, sizes in proportion to the
    # category's share of the sales
    warm_size = [max(10, int(WARM_TOTAL * w)) for w in cat_weight]
    warm_off = []
    acc = 0
    for s in warm_size:
        warm_off.append(acc)
        acc += s
    warm_seen = bytearray(acc)
    hot_seen = bytearray(ncat * HOT_PER_CATEGORY)
    hot_cut = int(args.hot * (1 << 32))
    warm_cut = hot_cut + int(args.warm * (1 << 32))
    iso_cut = int(args.iso_fraction * (1 << 32))
    table_mask = (1 << TABLE_BITS) - 1
    check = args.check_category
    check_idx = cat_names.index(check) if check in cat_names else -1
    check_totals = {}
    check_sales = 0
    cold = 0
    iso_lines = 0
    nbytes = 0
    qty_table = [1] * 70 + [2] * 15 + [3] * 7 + [4] * 3 + [5] * 3 + [10, 20]  # 100 entries

    written = 0
    with open(args.out, "w", buffering=1 << 20) as f:
        while written < args.sales:
            n = min(CHUNK, args.sales - written)
            r = array("I")
            r.frombytes(rng.randbytes(4 * 8 * n))
            out = []
            for i in range(0, 8 * n, 8):
                k = cat_table[r[i] & table_mask]
                tier = r[i + 1]
                if tier < hot_cut:
                    j = hot_table[r[i + 2] & table_mask]
                    hot_seen[k * HOT_PER_CATEGORY + j] = 1
                    product = k * HOT_PER_CATEGORY + j + 1
                elif tier < warm_cut:
                    j = warm_off[k] + r[i + 2] % warm_size[k]
                    warm_seen[j] = 1
                    product = 10**9 + j
                else:
                    product = COLD_BASE + (cold * COLD_MULT) % COLD_SPACE
                    cold += 1
                t = start + r[i + 3] % span
                q = qty_table[r[i + 4] % 100]
                unit = 99 + r[i + 5] % 19900  # cents
                if r[i + 6] < iso_cut:
                    ts = iso(t, r[i + 6] % 3)
                    iso_lines += 1
                else:
                    ts = t
                line = "%s\tp%d\t%s\t%d\t%d.%02d\ts%d\tu%d\n" % (
                    ts, product, cat_names[k], q, q * unit // 100, q * unit % 100,
                    r[i + 5] >> 16, r[i + 7] % 10000000)
                out.append(line)
                if k == check_idx:
                    key = "p%d" % product
                    check_totals[key] = check_totals.get(key, 0) + q
                    check_sales += 1
            block = "".join(out)
            nbytes += len(block)
            f.write(block)
            written += n

    pairs = cold + warm_seen.count(1) + hot_seen.count(1)
    if args.expect_out:
        ranked = sorted(check_totals.items(), key=lambda kv: (-kv[1], kv[0]))[: args.top]
        with open(args.expect_out, "w") as f:
            for product, total in ranked:
                f.write("%s %d\n" % (product, total))
    print("sales %d" % written)
    print("pairs %d" % pairs)
    print("iso_lines %d" % iso_lines)
    print("bytes %d" % nbytes)
    print("now %d" % now)
    print("check_category %s" % check)
    print("check_category_sales %d" % check_sales)
    print("check_category_pairs %d" % len(check_totals))
    print("seconds %.1f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
