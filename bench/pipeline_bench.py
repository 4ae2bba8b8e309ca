"""Pipeline benchmark: a fund's board and a card's move over HTTP, on a grid of 50,000 investors.

Seeds a data dir in process through the grid's own write path (`--investors` investors, three
fund columns with a pipeline column each, an opportunity on one investor in `--every` at every
stage, with amounts), then starts the real server and times from a signed-in client:
`GET /api/pipeline?fund=` (after a move, so nothing is cached) and
`PATCH /api/pipeline/opportunities/{id}` (a stage move: one grid edit). Prints p50/p95.
Also times a plain cell edit of the same row for comparison. Targets: board p95 < 300 ms; a move
costs what any cell edit costs, at any grid size.

    ./start.sh bench pipeline_bench [--investors 50000 --every 10 --runs 40]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import launch, sign_in  # noqa: E402

PASSWORD = "correct horse battery"
STAGES = ("Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def seed(data_dir: str, args) -> tuple[str, list[str]]:
    from backend.config import load_settings
    from backend.principal import system
    from backend.server import App
    rng = random.Random(17)
    app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
                             "CRM_SQLITE_SYNCHRONOUS": "NORMAL"}))
    app.start(background=False)
    app.accounts.register_first("admin", "admin@fund.example", PASSWORD, None)
    setup = system("bench")
    funds = [app.grid.create_column(setup, name, "fund", {"target": 100e6})["id"] for name in ("Fund I", "Fund II", "Fund III")]
    pipes = [app.grid.create_column(setup, f"Fund {n} pipeline", "pipeline", {"fund_id": fund})["id"]
             for n, fund in zip(("I", "II", "III"), funds)]
    t0 = time.perf_counter()
    for start in range(0, args.investors, 5000):
        batch = []
        for n in range(start, min(args.investors, start + 5000)):
            values = {"Name": f"Investor {n:05d}"}
            if n % args.every == 0:
                values[pipes[n % 3]] = {"stage": STAGES[n % len(STAGES)], "expected_amount": rng.randrange(1, 40) * 250_000}
            if n % 7 == 0:
                values[funds[n % 3]] = rng.randrange(1, 20) * 500_000
            batch.append(values)
        app.grid.create_rows(setup, batch)
    cards = app.pipeline.board(funds[0])["cards"]
    print(f"seeded {args.investors:,} investors, {len(cards):,} cards on Fund I's board in {time.perf_counter() - t0:.1f} s")
    return funds[0], [c["id"] for c in cards]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--investors", type=int, default=50_000)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="vcrm-pipeline-bench-")
    fund_id, card_ids = seed(data_dir, args)
    srv = launch(data_dir=Path(data_dir))
    try:
        client = sign_in(srv, "admin", PASSWORD)
        client.get(f"/api/pipeline?fund={fund_id}")  # the published grid is built once after start
        boards, moves, edits = [], [], []
        row_id = client.get(f"/api/pipeline?fund={fund_id}").data["cards"][0]["investor_id"]
        rng = random.Random(3)
        for i in range(args.runs):
            card = card_ids[rng.randrange(len(card_ids))]
            t = time.perf_counter()
            resp = client.patch(f"/api/pipeline/opportunities/{card}", {"stage": STAGES[i % 5]})
            moves.append((time.perf_counter() - t) * 1000)
            assert resp.status == 200, resp
            t = time.perf_counter()
            resp = client.get(f"/api/pipeline?fund={fund_id}")
            boards.append((time.perf_counter() - t) * 1000)
            assert resp.status == 200 and resp.data["cards"], resp
            t = time.perf_counter()
            resp = client.patch(f"/api/fundraising/rows/{row_id}", {"values": {"Name": f"Renamed {i}"}})
            edits.append((time.perf_counter() - t) * 1000)
        print(f"board of {len(card_ids):,} cards at {args.investors:,} investors: p50 {pct(boards, 50):.1f} ms,"
              f" p95 {pct(boards, 95):.1f} ms (target p95 < 300 ms)")
        print(f"card move (PATCH, one grid edit): p50 {pct(moves, 50):.1f} ms, p95 {pct(moves, 95):.1f} ms"
              " (target: what a plain cell edit costs)")
        print(f"for comparison, a plain cell edit (PATCH a row's Name): p50 {pct(edits, 50):.1f} ms, p95 {pct(edits, 95):.1f} ms")
        # The same two edits with the server left idle in between (the background threads an edit
        # wakes, such as the search indexer, have finished): what an edit itself costs.
        quiet_moves, quiet_edits = [], []
        for i in range(args.runs):
            time.sleep(0.2)
            t = time.perf_counter()
            client.patch(f"/api/pipeline/opportunities/{card_ids[i % len(card_ids)]}", {"stage": STAGES[(i + 1) % 5]})
            quiet_moves.append((time.perf_counter() - t) * 1000)
            time.sleep(0.2)
            t = time.perf_counter()
            client.patch(f"/api/fundraising/rows/{row_id}", {"values": {"Name": f"Quiet {i}"}})
            quiet_edits.append((time.perf_counter() - t) * 1000)
        print(f"with the server idle between requests: move p50 {pct(quiet_moves, 50):.1f} ms, p95 {pct(quiet_moves, 95):.1f} ms;"
              f" plain cell edit p50 {pct(quiet_edits, 50):.1f} ms, p95 {pct(quiet_edits, 95):.1f} ms")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
