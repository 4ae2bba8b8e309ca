"""Digest benchmark: building one evening's digest of a busy day, without the model.

Seeds in process (the app's own services, as bench/email_bench.py does): the mail fixture's
investors (tests/mailgen.py) plus `--investors` more, a grid history of `--history` earlier
investors (the change log the day's reads must not scan), then within the day `--emails` captured
messages (fixture mail copied with fresh Message-IDs and re-dated into the day, each stored in
every team mailbox that held it), `--notes` interaction-log entries (some through Matrix intake)
and `--changes` grid edits (commitments, lists, stages). Then times `builder.build(...)` (median of
3) and its parts: collect, narrate (the structured fallback), render. Target: build < 2 s.

    ./start.sh bench digest_bench [--emails 2000] [--notes 500] [--changes 300] [--history 20000]
                                  [--import-day]   (the 20,000 investors imported that day: in the digest too)
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import mailgen  # noqa: E402

IDS = re.compile(rb"<([^<>\s]+@[^<>\s]+)>")
DATE = re.compile(rb"(?m)^Date: [^\r\n]*(\r?\n[ \t][^\r\n]*)*")


def day_mail(fixture, count: int, start: datetime, span_s: int, rng: random.Random) -> list[tuple[bytes, list[str]]]:
    """`count` (raw, mailboxes): fixture mail with an investor on it, copied with suffixed
    Message-IDs (and the references to them) and a Date inside the day."""
    known = {m.message_id.encode() for m in fixture.messages}
    pool = [m for m in fixture.messages if m.investor and m.direction in ("inbound", "outbound")]
    out, k = [], 0
    while len(out) < count:
        suffix = b".d%d" % k
        for m in pool:
            if len(out) >= count:
                break
            raw = IDS.sub(lambda g: b"<" + (g.group(1) + suffix if g.group(1) in known else g.group(1)) + b">", m.raw)
            when = start + timedelta(seconds=rng.randrange(span_s))
            raw = DATE.sub(b"Date: " + format_datetime(when).encode(), raw, count=1)
            out.append((raw, m.mailboxes or [mailgen.TEAM_MAILBOXES[0]]))
        k += 1
    return out


def seed(app, args) -> dict:
    from backend.email_integration.store import RawMessage
    from backend.principal import Principal, system
    rng = random.Random(15)
    setup = system("bench")
    admin = app.accounts.register_first("admin", "admin@fund.example", "correct horse battery", None)["user"]
    boss = Principal("user", id=admin["id"], name="admin", role="admin")
    team = [app.accounts.create(boss, name, f"{name}@fund.example", "correct horse battery", "member")
            for name in ("ann", "ben", "cara")]
    actors = [Principal("user", id=u["id"], name=u["username"], role="member") for u in team]
    fund = app.grid.create_column(setup, "Fund III", "fund")["id"]
    before_history = datetime.now(timezone.utc) - timedelta(seconds=1)
    t0 = time.perf_counter()
    for start in range(0, args.history, 5000):
        app.grid.create_rows(setup, [{"Name": f"Earlier LP {n}"} for n in range(start, min(args.history, start + 5000))])
    history_s = time.perf_counter() - t0
    fixture = mailgen.generate()
    rows = app.grid.create_rows(setup, [{"Name": inv.name, "Contacts": inv.people} for inv in fixture.investors]
                                + [{"Name": f"Prospect {n}", "Contacts": [{"name": f"Pat {n}", "email": f"pat{n}@prospect{n}.example"}]}
                                   for n in range(args.investors)])
    ids = [r["id"] for r in rows]
    for rid in rng.sample(ids, min(len(ids), args.changes // 3 + 1)):  # amounts to move from, before the day
        app.grid.update_row(setup, rid, {fund: rng.randrange(1, 20) * 250_000, "Status": "Contacted"})
    # the day: it starts once everything above is in the past
    since = datetime.fromtimestamp(int(time.time()) + 1, timezone.utc)
    time.sleep(max(0.0, since.timestamp() - time.time()))
    t0 = time.perf_counter()
    mail = app.email.mail
    with app.db.transaction() as conn:
        accounts = {box: app.email._import_account(conn, setup, box) for box in mailgen.TEAM_MAILBOXES}
    messages = day_mail(fixture, args.emails, since, 20 * 3600, rng)
    for box, account in accounts.items():
        mine = [raw for raw, boxes in messages if box in boxes]
        for start in range(0, len(mine), 500):
            with app.db.transaction() as conn:
                mail.ingest(conn, account, [RawMessage(raw=r, source_id="") for r in mine[start:start + 500]])
    mail_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    bot = Principal("service", id="bench-bot", name="Matrix intake")
    kinds = ("note", "meeting", "call")
    for n in range(args.notes):
        via_chat = n % 5 == 0
        actor = bot if via_chat else actors[n % len(actors)]
        app.interactions.add(actor, ids[n % len(ids)], "note" if via_chat else kinds[n % 3],
                             "matrix_intake" if via_chat else "ui", f"Follow-up {n}: allocation and timing for Fund III",
                             "They asked about fees, the GP commit and the first close date. " * 4, None)
    notes_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for n in range(args.changes):
        rid, actor = ids[rng.randrange(len(ids))], actors[n % len(actors)]
        change = ({fund: rng.randrange(1, 40) * 250_000}, {"List": rng.choice(["main", "follow_up", "longshot"])},
                  {"Status": rng.choice(["Meeting", "Diligence", "Soft Circle", "Committed"])})[n % 3]
        app.grid.update_row(actor, rid, change)
    changes_s = time.perf_counter() - t0
    return {"since": before_history if args.import_day else since, "history_s": history_s, "mail_s": mail_s, "notes_s": notes_s, "changes_s": changes_s}


def median_ms(fn, runs: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--changes", type=int, default=300)
    parser.add_argument("--investors", type=int, default=300, help="investors besides the mail fixture's")
    parser.add_argument("--history", type=int, default=20000, help="investors created before the day")
    parser.add_argument("--import-day", action="store_true", help="the history is imported on the day itself")
    args = parser.parse_args()
    from backend.config import load_settings
    from backend.digest import builder, narrative, render
    from backend.server import App
    with tempfile.TemporaryDirectory(prefix="vcrm-digestbench-") as data_dir:
        app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
                                 "CRM_SQLITE_SYNCHRONOUS": "NORMAL", "CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN}))
        app.start(background=False)
        seeded = seed(app, args)
        since = seeded["since"]
        until = since + timedelta(days=1)  # the mail is dated through the day; the notes and edits are now
        team, tz, url = (mailgen.TEAM_DOMAIN,), "Europe/Berlin", "https://crm.example.ts.net"
        collect_ms, activity = median_ms(lambda: builder.collect(app.db, since, until, team, tz))
        narrate_ms, (narratives, source, _) = median_ms(lambda: narrative.narrate(activity, None))
        render_ms, (subject, text, html) = median_ms(lambda: render.render(activity, narratives, source, url, tz))
        build_ms, digest = median_ms(lambda: builder.build(app.db, None, since, until, tz, url, team))
        with app.db.read() as conn:
            changes_logged = conn.execute("SELECT count(*) FROM grid_changes").fetchone()[0]
        app.db.close()
    t = activity.totals
    print(f"seeded: {args.history:,} {'investors imported that day' if args.import_day else 'earlier investors'} in {seeded['history_s']:.1f} s; the day: "
          f"{args.emails:,} emails in {seeded['mail_s']:.1f} s, {args.notes:,} notes in {seeded['notes_s']:.1f} s, "
          f"{args.changes:,} edits in {seeded['changes_s']:.1f} s ({changes_logged:,} grid_changes rows in all)")
    print(f"digest: {t['emails']:,} emails ({t['inbound']:,} in, {t['outbound']:,} out), {t['notes']:,} notes, "
          f"{t['changes']:,} changes, {t['members']} members, {t['investors']:,} investors, "
          f"{t['automation_runs']:,} automation runs")
    print(f"  subject: {subject}")
    print(f"  text {len(text) / 1024:.0f} KiB, html {len(html) / 1024:.0f} KiB")
    print(f"collect  {collect_ms:8.1f} ms (median of 3)")
    print(f"narrate  {narrate_ms:8.1f} ms (structured fallback)")
    print(f"render   {render_ms:8.1f} ms")
    verdict = "OK" if build_ms < 2000 else "OVER TARGET"
    print(f"build    {build_ms:8.1f} ms (median of 3; target < 2000 ms: {verdict})")
    assert digest["stats"]["emails"] == t["emails"] and not digest["stats"]["empty"]


if __name__ == "__main__":
    main()
