"""Duplicates benchmark: the likely pairs of a generated grid (default 50,000 investors, one
person each, half on free mail), found by blocking on the intake's match index
(backend/duplicates/service.py), as the first request after a start computes them; then the
cost of one changed row (what an edit costs the next request).

    ./start.sh bench duplicates_bench [--rows 50000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backend.duplicates.service import _pairs_for, name_keys  # noqa: E402
from backend.intake.matcher import MatchIndex  # noqa: E402

SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "bel", "quin", "dra", "so", "lu", "phe", "gar", "nix", "ost",
             "wil", "ber", "cam", "den", "fal"]
WORDS = ["Capital", "Partners", "Family Office", "Holdings", "Trust", "Ventures", "Fund", "Foundation"]
FIRSTS = ["Charles", "William", "Robert", "Ann", "Kate", "John", "Mary", "David", "Sarah", "Michael", "Laura",
          "James", "Emma", "Peter"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(1)
    lasts = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("", "son", "er")][:900]
    investors = []
    for i in range(args.rows):
        firm = "".join(rng.choice(SYLLABLES) for _ in range(3)).title()
        first, last = rng.choice(FIRSTS), rng.choice(lasts)
        domain = rng.choice([firm.lower() + ".com", "gmail.com"])
        investors.append((str(uuid.UUID(int=i)), f"{firm} {rng.choice(WORDS)}",
                          [{"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@{domain}"}]))
    start = time.perf_counter()
    index = MatchIndex(investors)
    print(f"index of {args.rows:,} investors: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    names, found = name_keys(index), {}
    for slot in range(len(index.investors)):
        _pairs_for(index, slot, names, found)
    print(f"every likely pair ({len(found):,}): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    for slot in range(0, 100):
        _pairs_for(index, slot, names, {})
    print(f"one changed row: {(time.perf_counter() - start) * 10:.2f} ms")


if __name__ == "__main__":
    main()
