"""Email capture benchmark: the generated fixture mail (tests/mailgen.py) copied to the size asked,
each copy with its own Message-IDs so nothing dedupes away.

1. In process, one core: parse only, then parse + store + match (MailStore.ingest in batches of
   500 against a grid of the fixture's investors). Target: >= 500 messages/s.
2. End to end: a 50,000-message mbox POSTed to /api/email/import on a fresh server (streamed;
   the server's peak memory is printed), then the same file again (must store nothing new).

    ./start.sh bench email_bench [--messages 50000] [--inproc 5000]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import mailgen  # noqa: E402
from grid_bench import first_admin, free_port, start, stop  # noqa: E402

IDS = re.compile(rb"<([^<>\s]+@[^<>\s]+)>")


def copies(fixture, count: int) -> list[bytes]:
    """`count` raw messages: the fixture again and again, Message-IDs (and the references to
    them) suffixed per copy so each copy is new mail in its own threads."""
    known = {m.message_id.encode() for m in fixture.messages}
    out, k = [], 0
    while len(out) < count:
        for m in fixture.messages:
            if len(out) >= count:
                break
            suffix = b".c%d" % k
            out.append(IDS.sub(lambda g: b"<" + (g.group(1) + suffix if g.group(1) in known else g.group(1)) + b">",
                               m.raw))
        k += 1
    return out


def in_process(raws: list[bytes]) -> tuple[float, float]:
    from backend.config import load_settings
    from backend.email_integration import mime
    from backend.email_integration.store import RawMessage
    from backend.principal import system
    from backend.server import App
    t0 = time.perf_counter()
    for raw in raws:
        mime.parse_message(raw)
    parse_rate = len(raws) / (time.perf_counter() - t0)
    with tempfile.TemporaryDirectory(prefix="vcrm-emailbench-") as data_dir:
        app = App(load_settings({"CRM_DATA_DIR": data_dir, "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
                                 "CRM_TEAM_DOMAINS": mailgen.TEAM_DOMAIN}))
        app.start(background=False)
        fixture = mailgen.generate()
        app.grid.create_rows(system("bench"), [{"Name": inv.name, "Contacts": inv.people} for inv in fixture.investors])
        mail = app.email.mail
        with app.db.transaction() as conn:
            account = app.email._import_account(conn, system("bench"), mailgen.TEAM_MAILBOXES[0])
        t0 = time.perf_counter()
        for start_at in range(0, len(raws), 500):
            with app.db.transaction() as conn:
                mail.ingest(conn, account, [RawMessage(raw=r, source_id="") for r in raws[start_at:start_at + 500]])
        store_rate = len(raws) / (time.perf_counter() - t0)
        app.db.close()
    return parse_rate, store_rate


def end_to_end(raws: list[bytes]) -> dict:
    body = b"".join(b"From bench@fund.example Mon Jan  1 00:00:00 2026\n" + re.sub(rb"(?m)^(>*From )", rb">\1", raw)
                    + b"\n" for raw in raws)
    with tempfile.TemporaryDirectory(prefix="vcrm-emailbench-") as data_dir:
        port = free_port()
        os.environ["CRM_TEAM_DOMAINS"] = mailgen.TEAM_DOMAIN
        proc = start(data_dir, port)
        try:
            api = first_admin(port)
            investors = [{"values": {"Name": inv.name, "Contacts": inv.people}} for inv in mailgen.generate().investors]
            status, reply, *_ = api.call("POST", "/api/fundraising/rows/bulk", {"rows": investors})
            assert status == 201, reply
            headers = {"Content-Type": "application/mbox"}
            api.conn.sock.settimeout(1800)  # the server reads the upload as fast as it stores it
            t0 = time.perf_counter()
            api.conn.request("POST", f"/api/email/import?mailbox={mailgen.TEAM_MAILBOXES[0]}", body,
                             {**headers, "Authorization": f"Bearer {api.token}"})
            first = json.loads(api.conn.getresponse().read())["data"]
            first_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            api.conn.request("POST", f"/api/email/import?mailbox={mailgen.TEAM_MAILBOXES[0]}", body,
                             {**headers, "Authorization": f"Bearer {api.token}"})
            again = json.loads(api.conn.getresponse().read())["data"]
            again_s = time.perf_counter() - t0
            rss_mb = _peak_rss_mb(proc.pid)
            status, reply, *_ = api.call("GET", "/api/fundraising/grid")
            some = json.loads(reply)["data"]["rows"][0]["id"]
            reads = {}
            for what, path in (("activity, newest 50", "/api/email/activity?limit=50"),
                               ("activity of one investor", f"/api/email/activity?investor={some}&limit=50"),
                               ("threads of one investor", f"/api/email/threads?investor={some}&limit=50"),
                               ("text search", "/api/email/activity?q=allocation&limit=50")):
                times = []
                for _ in range(5):
                    status, reply, server_ms, _, _ = api.call("GET", path)
                    assert status == 200, (path, status, reply[:300])
                    times.append(server_ms)
                reads[what] = sorted(times)[2]
        finally:
            stop(proc)
    return {"bytes": len(body), "first": first, "first_s": first_s, "again": again, "again_s": again_s,
            "rss_mb": rss_mb, "reads": reads}


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000, help="size of the end-to-end mbox")
    parser.add_argument("--inproc", type=int, default=5_000, help="messages for the in-process rates")
    args = parser.parse_args()
    fixture = mailgen.generate()
    parse_rate, store_rate = in_process(copies(fixture, args.inproc))
    print(f"email benchmark ({args.inproc:,} messages in process, one core)")
    print(f"  parse only: {parse_rate:,.0f} messages/s")
    print(f"  parse + store + match: {store_rate:,.0f} messages/s (target >= 500)")
    result = end_to_end(copies(fixture, args.messages))
    first, again = result["first"], result["again"]
    print(f"== {args.messages:,}-message mbox, {result['bytes'] / 1e6:.0f} MB, POST /api/email/import ==")
    print(f"  first import: {result['first_s']:.1f} s ({first['messages'] / result['first_s']:,.0f} messages/s),"
          f" {first['new']:,} new, {first['matched']:,} matched, {len(first['errors'])} errors"
          f" (copies of the one message without a Message-ID are the same bytes: they dedupe)")
    print(f"  the same file again: {result['again_s']:.1f} s, {again['new']} new, {again['duplicates']:,} duplicates")
    print(f"  server peak memory: {result['rss_mb']:.0f} MB")
    for what, ms in result["reads"].items():
        print(f"  {what}: {ms:.1f} ms server time (median of 5)")


if __name__ == "__main__":
    main()
