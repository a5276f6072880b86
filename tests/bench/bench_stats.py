"""Latency statistics shared by the benchmark scripts written in Python."""

import math


def percentile(sorted_xs, q):
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_xs:
        return float("nan")
    k = max(1, math.ceil(q / 100.0 * len(sorted_xs)))
    return sorted_xs[k - 1]


def median(sorted_xs):
    n = len(sorted_xs)
    if n == 0:
        return float("nan")
    mid = n // 2
    return sorted_xs[mid] if n % 2 else (sorted_xs[mid - 1] + sorted_xs[mid]) / 2
