#!/usr/bin/env python3
"""Writes Mint import lines for tests/bench/mint.sh.

`user_id<TAB>timestamp<TAB>seller<TAB>amount` lines: --transactions lines
over --users users (u1..uN, uniform), timestamps uniform over September to
November 2026 (Unix seconds), sellers from a fixed list (two thirds known to
the shipped seller map), amounts 1.00..250.00 with one line in 50 a refund.
Seeded. Prints `key value` lines: lines, users, seconds, and the expected
spending of --check-user in --check-month as `check <category> <cents>`
lines (the shipped map's categories; unknown sellers are uncategorized).
"""
import argparse
import random
import time

KNOWN = {
    "Exxon": "gas", "Shell": "gas", "Target": "shopping", "Walmart": "shopping",
    "Whole Foods": "groceries", "Trader Joe's": "groceries",
    "Starbucks": "food", "McDonald's": "food", "Amazon": "shopping",
    "Netflix": "entertainment", "Uber": "transport", "Delta Air Lines": "travel",
    "CVS Pharmacy": "health", "Comcast": "utilities", "Home Depot": "housing",
    "Chipotle": "food",
}
UNKNOWN = ["Joe's Diner", "Corner Shop 42", "Bluebird Books", "Sunrise Yoga",
           "Maple Street Bakery", "Riverside Garage", "Lucky Noodle",
           "Harbor Florist"]
SELLERS = list(KNOWN) + UNKNOWN
START = 1788220800  # 2026-09-01T00:00:00Z
END = 1796083200    # 2026-12-01T00:00:00Z
MONTHS = [(1788220800, "2026-09"), (1790812800, "2026-10"),
          (1793491200, "2026-11")]


def month_of(t):
    name = MONTHS[0][1]
    for start, m in MONTHS:
        if t >= start:
            name = m
    return name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transactions", type=int, default=5_000_000)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check-user", default="u1")
    ap.add_argument("--check-month", default="2026-11")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.time()
    check = {}
    with open(a.out, "w", buffering=1 << 20) as f:
        f.write("user_id\ttimestamp\tseller\tamount\n")
        chunk = []
        for _ in range(a.transactions):
            user = "u%d" % rng.randint(1, a.users)
            t = rng.randrange(START, END)
            seller = SELLERS[rng.randrange(len(SELLERS))]
            cents = rng.randint(100, 25000)
            if rng.randrange(50) == 0:
                cents = -cents
            if user == a.check_user and month_of(t) == a.check_month:
                cat = KNOWN.get(seller, "uncategorized")
                check[cat] = check.get(cat, 0) + cents
            sign = "-" if cents < 0 else ""
            chunk.append("%s\t%d\t%s\t%s%d.%02d\n" %
                          (user, t, seller, sign, abs(cents) // 100,
                           abs(cents) % 100))
            if len(chunk) >= 65536:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
    print("lines", a.transactions)
    print("users", a.users)
    print("seconds", "%.1f" % (time.time() - t0))
    for cat, cents in sorted(check.items()):
        print("check", cat, cents)


if __name__ == "__main__":
    main()
