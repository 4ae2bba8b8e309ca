"""Duplicates benchmark: the likely pairs of a generated grid (default 50,000 investors, one
person each, half on free mail; far more near-duplicates than a real fund's grid), found by
blocking on the intake's match index (backend/duplicates/service.py).

In process: the whole pass a start (or a restore) makes, and the cost of one changed row (what an
edit costs the next request). Then over HTTP against the real server seeded with the same grid:
how long after start the whole pass (a background thread) is done, what a request made meanwhile
gets (its progress, within the two-second wait), the list's p50/p95 once ready, and the list
after an edit (the changed row scored again). Targets: a request never waits more than about two
seconds; the list after an edit p95 < 500 ms.

    ./start.sh bench duplicates_bench [--rows 50000] [--no-server]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from backend.duplicates.service import _pairs_for, name_keys  # noqa: E402
from backend.intake.matcher import MatchIndex  # noqa: E402
from helpers import launch, sign_in  # noqa: E402

PASSWORD = "correct horse battery"
SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "bel", "quin", "dra", "so", "lu", "phe", "gar", "nix", "ost",
             "wil", "ber", "cam", "den", "fal"]
WORDS = ["Capital", "Partners", "Family Office", "Holdings", "Trust", "Ventures", "Fund", "Foundation"]
FIRSTS = ["Charles", "William", "Robert", "Ann", "Kate", "John", "Mary", "David", "Sarah", "Michael", "Laura",
          "James", "Emma", "Peter"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def generate(rows: int) -> list[tuple[str, str, list[dict]]]:
    rng = random.Random(1)
    lasts = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("", "son", "er")][:900]
    investors = []
    for i in range(rows):
        firm = "".join(rng.choice(SYLLABLES) for _ in range(3)).title()
        first, last = rng.choice(FIRSTS), rng.choice(lasts)
        domain = rng.choice([firm.lower() + ".com", "gmail.com"])
        investors.append((str(uuid.UUID(int=i)), f"{firm} {rng.choice(WORDS)}",
                          [{"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@{domain}"}]))
    return investors


def in_process(investors) -> None:
    start = time.perf_counter()
    index = MatchIndex(investors)
    print(f"index of {len(investors):,} investors: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    names, found, emails = name_keys(index), {}, {}
    for slot in range(len(index.investors)):
        _pairs_for(index, slot, names, found, later_only=True, emails=emails)
    print(f"whole pass, every likely pair ({len(found):,}): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    for slot in range(0, 100):
        _pairs_for(index, slot, names, {})
    print(f"one changed row: {(time.perf_counter() - start) * 10:.2f} ms")


def seed(data_dir: str, investors) -> None:
    from backend.config import load_settings
    from backend.principal import system
    from backend.server import App
    app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
                             "CRM_SQLITE_SYNCHRONOUS": "NORMAL"}))
    app.start(background=False)
    app.accounts.register_first("admin", "admin@fund.example", PASSWORD, None)
    who = system("bench")
    for start in range(0, len(investors), 5000):
        app.grid.create_rows(who, [{"Name": name, "Contacts": people} for _, name, people in investors[start:start + 5000]])
    app.db.close()


def over_http(investors, runs: int) -> None:
    data_dir = tempfile.mkdtemp(prefix="vcrm-duplicates-bench-")
    start = time.perf_counter()
    seed(data_dir, investors)
    print(f"seeded {len(investors):,} investors in {time.perf_counter() - start:.1f} s")
    started = time.perf_counter()
    srv = launch(data_dir=Path(data_dir))
    try:
        client = sign_in(srv, "admin", PASSWORD)
        waits, first = [], None
        while True:
            t0 = time.perf_counter()
            resp = client.get("/api/fundraising/duplicates?limit=50")
            waits.append(time.perf_counter() - t0)
            assert resp.status == 200, resp
            if first is None:
                first = resp.json
            if resp.json["ready"]:
                break
        print(f"whole pass done {time.perf_counter() - started:.1f} s after the server started; "
              f"{len(waits) - 1} requests meanwhile answered with progress, longest {max(waits[:-1] or [0]):.2f} s "
              f"(the first: {first['progress']})")
        print(f"pairs listed: {resp.json['total']:,}; server memory (RSS) {rss_mb(srv.proc.pid):,.0f} MB")
        lists, edits = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            client.get("/api/fundraising/duplicates?limit=50")
            lists.append((time.perf_counter() - t0) * 1000)
        rng = random.Random(5)
        listed = [p["a"] for p in resp.json["data"]]
        for i in range(runs):
            rid = rng.choice(listed)
            assert client.patch(f"/api/fundraising/rows/{rid}", {"values": {"Notes": f"edit {i}"}}).status == 200
            t0 = time.perf_counter()
            client.get("/api/fundraising/duplicates?limit=50")
            edits.append((time.perf_counter() - t0) * 1000)
        print(f"list (limit 50): p50 {pct(lists, 50):.0f} ms, p95 {pct(lists, 95):.0f} ms")
        print(f"list after an edit: p50 {pct(edits, 50):.0f} ms, p95 {pct(edits, 95):.0f} ms")
    finally:
        srv.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-server", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    investors = generate(args.rows)
    in_process(investors)
    if not args.no_server:
        over_http(investors, args.runs)


if __name__ == "__main__":
    main()
