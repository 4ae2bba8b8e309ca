"""Dashboard benchmark: `GET /api/dashboard` over HTTP on a grid of 50,000 investors.

Seeds a data dir in process through the app's own write paths for the grid (`--investors`
investors on every list, some archived; three fund columns with targets and commitments on one
investor in five; a pipeline column per fund with an opportunity on one investor in eight, at every
stage) and, for the volume of history a busy team builds up, straight into the activity tables
with times spread over the last 12 weeks: `--notes` interaction-log entries, `--edits` cell edits
in the change log, `--emails` captured messages matched to investors (seen in the team's
mailboxes), `--tasks` tasks (a third overdue). Then starts the real server on it and times, from a
signed-in client: cold requests (a cell edit before each one, so every figure is recomputed) and
warm ones (nothing changed: the figures kept for that grid version). Prints p50/p95 of the round
trip and of the server's own `generated_ms`. Target: cold p95 < 300 ms.

    ./start.sh bench dashboard_bench [--investors 50000 --notes 30000 --edits 100000 --emails 20000 --tasks 3000 --runs 30]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from helpers import launch, sign_in  # noqa: E402

TARGET_P95_MS = 300.0
PASSWORD = "correct horse battery"
LISTS = ("main", "main", "main", "follow_up", "longshot", "graveyard")
STATUSES = ("Not Contacted", "Contacted", "Meeting", "Diligence", "Soft Circle", "Committed", "Passed")
STAGES = ("Intro", "Pitch", "Diligence", "Soft Circle", "Committed", "Closed", "Passed")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed(data_dir: str, args) -> dict:
    from backend.config import load_settings
    from backend.db import new_ids
    from backend.principal import Principal, system
    from backend.server import App
    rng = random.Random(7)
    app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
                             "CRM_SQLITE_SYNCHRONOUS": "NORMAL"}))
    app.start(background=False)
    admin = app.accounts.register_first("admin", "admin@fund.example", PASSWORD, None)["user"]
    boss = Principal("user", id=admin["id"], name="admin", role="admin")
    team = [app.accounts.create(boss, name, f"{name}@fund.example", PASSWORD, "member")
            for name in ("ann", "ben", "cara", "dev")] + [admin]
    setup = system("bench")
    t0 = time.perf_counter()
    funds = [app.grid.create_column(setup, name, "fund", {"vintage": year, "target": target})["id"]
             for name, year, target in (("Fund I", 2019, 40e6), ("Fund II", 2022, 120e6), ("Fund III", 2026, 250e6))]
    pipes = []
    for fund, name in zip(funds, ("Fund I", "Fund II", "Fund III")):
        try:
            pipes.append(app.grid.create_column(setup, f"{name} pipeline", "pipeline", {"fund_id": fund})["id"])
        except Exception as exc:  # the pipeline column type not there yet
            print(f"(no pipeline columns: {exc})")
            break
    ids, mailed = [], []
    for start in range(0, args.investors, 5000):
        batch = []
        for n in range(start, min(args.investors, start + 5000)):
            values = {"Name": f"Investor {n:05d}", "List": LISTS[n % len(LISTS)], "Status": STATUSES[n % len(STATUSES)]}
            if n % 5 == 0:
                values[funds[n % 3]] = rng.randrange(1, 40) * 250_000
            if n % 25 == 0:  # the investors the captured mail is with
                values["Contacts"] = [{"name": f"LP {n}", "email": f"lp{n}@investor{n}.example"}]
            if pipes and n % 8 == 1:
                values[pipes[n % len(pipes)]] = {"stage": STAGES[n % len(STAGES)],
                                                 "expected_amount": rng.randrange(1, 20) * 500_000}
            batch.append(values)
        made = app.grid.create_rows(setup, batch)
        ids += [r["id"] for r in made]
        mailed += [(r["id"], f"lp{n}@investor{n}.example") for n, r in zip(range(start, start + len(made)), made) if n % 25 == 0]
    archived = ids[:: max(1, len(ids) // 200)]  # 200 archived investors
    for rid in archived:
        app.grid.set_archived(setup, rid, True)
    grid_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    now = datetime.now(timezone.utc)
    span = 12 * 7 * 86400
    when = lambda: iso(now - timedelta(seconds=rng.randrange(span)))
    with app.db.transaction() as conn:
        cols = [r[0] for r in conn.execute("SELECT id FROM grid_columns WHERE archived_at IS NULL AND type = 'fund'")]
        notes = sorted(when() for _ in range(args.notes))
        conn.executemany(
            "INSERT INTO interactions (id, investor_id, at, occurred_at, kind, source, actor_type, actor_id, actor_name,"
            " summary, body) VALUES (?,?,?,?,?,'ui','user',?,?,?,?)",
            [(i, rng.choice(ids), at, at, rng.choice(("note", "meeting", "call")), u["id"], u["username"],
              "Talked allocation and timing", "Fees, GP commit, first close.")
             for i, at in zip(new_ids(len(notes)), notes) for u in [rng.choice(team)]])
        edits = sorted(when() for _ in range(args.edits))
        conn.executemany(
            "INSERT INTO grid_changes (at, actor_type, actor_id, actor_name, kind, investor_id, column_id, row_version,"
            " old, new) VALUES (?,'user',?,?,'cell',?,?,1,NULL,'1000000')",
            [(at, u["id"], u["username"], rng.choice(ids), rng.choice(cols)) for at in edits for u in [rng.choice(team)]])
        accounts = new_ids(len(team))
        conn.executemany("INSERT INTO email_accounts (id, email, auth, created_at) VALUES (?,?,'import',?)",
                         [(a, u["email"], iso(now)) for a, u in zip(accounts, team)])
        mids, tids = new_ids(args.emails), new_ids(args.emails)
        rows = []
        for k, (mid, tid) in enumerate(zip(mids, tids)):
            at, out = when(), k % 2 == 0
            u = rng.randrange(len(team))
            inv, addr = rng.choice(mailed)
            rows.append((mid, tid, at, out, u, inv, addr))
        conn.executemany("INSERT INTO email_threads (id, subject, first_at, last_at, message_count) VALUES (?,?,?,?,1)",
                         [(tid, "Fund III", at, at) for _mid, tid, at, *_ in rows])
        conn.executemany(
            "INSERT INTO email_messages (id, message_id, thread_id, subject, from_addr, sent_at, direction, matched,"
            " created_at) VALUES (?,?,?,?,?,?,?,1,?)",
            [(mid, f"<{mid}@bench>", tid, "Fund III", team[u]["email"] if out else addr, at,
              "outbound" if out else "inbound", at) for mid, tid, at, out, u, _inv, addr in rows])
        conn.executemany("INSERT INTO email_links (message_id, investor_id, match_kind, confidence, address, created_at)"
                         " VALUES (?,?,'exact_email',1.0,?,?)",
                         [(mid, inv, addr, at) for mid, _tid, at, _out, _u, inv, addr in rows])
        conn.executemany("INSERT INTO email_participants (message_id, role, addr, domain, name, team) VALUES (?,?,?,?,?,?)",
                         [p for mid, _tid, _at, out, u, _inv, addr in rows for p in (
                             (mid, "from", team[u]["email"] if out else addr, "fund.example" if out else addr.split("@")[1], None, int(out)),
                             (mid, "to", addr if out else team[u]["email"], addr.split("@")[1] if out else "fund.example", None, int(not out)))])
        conn.executemany("INSERT INTO email_sightings (account_id, source_id, message_id, seen_at) VALUES (?,?,?,?)",
                         [(accounts[u], f"import:{mid}", mid, at) for mid, _tid, at, _out, u, _inv, _addr in rows])
        today = now.date()
        conn.executemany(
            "INSERT INTO tasks (id, title, investor_id, due, owner, done, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [(tid, f"Follow up {k}", rng.choice(ids), (today + timedelta(days=rng.randrange(-30, 60))).isoformat(),
              rng.choice(team)["id"], int(k % 7 == 0), iso(now), iso(now)) for k, tid in enumerate(new_ids(args.tasks))])
    history_s = time.perf_counter() - t0
    app.db.close()
    return {"grid_s": grid_s, "history_s": history_s, "ids": ids[-args.runs - 1:], "pipes": len(pipes), "archived": len(archived)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--investors", type=int, default=50_000)
    parser.add_argument("--notes", type=int, default=30_000)
    parser.add_argument("--edits", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", help="seed into this directory and keep it (reused when it already holds data)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vcrm-dashbench-") as tmp:
        data_dir = Path(args.keep or Path(tmp) / "data")
        seeded_file = data_dir / "bench-seeded.json"
        if seeded_file.exists():
            seeded = json.loads(seeded_file.read_text())
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            seeded = seed(str(data_dir), args)
            if args.keep:
                seeded_file.write_text(json.dumps(seeded))
        print(f"seeded: {args.investors:,} investors ({seeded['archived']} archived), 3 funds, "
              f"{seeded['pipes']} pipeline columns in {seeded['grid_s']:.1f} s; {args.notes:,} notes, {args.edits:,} edits, "
              f"{args.emails:,} emails, {args.tasks:,} tasks over 12 weeks in {seeded['history_s']:.1f} s")
        srv = launch(data_dir, CRM_GET_RATE_LIMIT_PER_MIN="100000", CRM_WRITE_RATE_LIMIT_PER_MIN="100000")
        try:
            client = sign_in(srv, "admin", PASSWORD)
            t0 = time.perf_counter()
            first = client.get("/api/dashboard")
            first_ms = (time.perf_counter() - t0) * 1000
            assert first.status == 200, first
            name_col = next(c["id"] for c in client.get("/api/fundraising/columns").data if c.get("primary"))
            figures = {"cold": ([], []), "warm": ([], [])}
            for n in range(args.runs):
                edit = client.patch(f"/api/fundraising/rows/{seeded['ids'][-1 - n]}", {"values": {name_col: f"Renamed {n} {time.time()}"}})
                assert edit.status == 200, edit
                for mode in ("cold", "warm"):
                    t0 = time.perf_counter()
                    resp = client.get("/api/dashboard")
                    figures[mode][0].append((time.perf_counter() - t0) * 1000)
                    assert resp.status == 200, resp
                    figures[mode][1].append(resp.data["generated_ms"])
            d = resp.data
            t0 = time.perf_counter()
            csv = client.get("/api/dashboard/figures/funds.csv")
            csv_ms = (time.perf_counter() - t0) * 1000
            assert csv.status == 200
        finally:
            srv.stop()
    print(f"first request (grid view built on start-up): {first_ms:.0f} ms; funds CSV {csv_ms:.0f} ms")
    print(f"figures: committed {d['committed_total']:,.0f} over {len(d['funds'])} funds, pipeline weighted "
          f"{d['pipeline_weighted']:,.0f}, {len(d['activity_by_week']['members'])} members, "
          f"{sum(w['total'] for w in d['activity']):,} activities in 12 weeks, {d['overdue_tasks']} overdue tasks")
    for mode, (trip, server) in figures.items():
        print(f"{mode:>4} ({len(trip)} runs): round trip p50 {pct(trip, 50):.0f} ms, p95 {pct(trip, 95):.0f} ms; "
              f"server p50 {pct(server, 50):.0f} ms, p95 {pct(server, 95):.0f} ms")
    cold95 = pct(figures["cold"][1], 95)
    print(f"target: cold server p95 < {TARGET_P95_MS:.0f} ms: {'met' if cold95 < TARGET_P95_MS else 'NOT met'}")
    print(json.dumps({"cold_p95_ms": round(cold95, 1), "warm_p95_ms": round(pct(figures['warm'][1], 95), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
