"""Chat intake benchmark: a real Synapse, the real CRM and the bot process (no language model).

For each grid size, the grid built as grid_bench builds it, then notes sent as a person would:
every other note is approved with `yes`, so the grid changes between notes (and the CRM's match
index with it). Prints, per size, p50/p95/max of
- note -> card: from sending the note to the bot's card in its thread (target < 2 s);
- yes -> done: from the `yes` to the bot's "Created" answer (the CRM's write included);
and, on its own, the first card after the CRM started (it may wait for the start-up warm-up).

    ./start.sh bench intake_bench [--sizes 30,50000] [--notes 20]
"""
from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from grid_bench import first_admin, free_port, setup, start, stop  # noqa: E402
from helpers import IntakeBot  # noqa: E402
from matrix_homeserver import Homeserver  # noqa: E402

NOTES = ["Met {first} Lindqvist, partner at {org} Capital, {first}@{org}.example, interested in Fund 3",
         "Coffee with {first} Okafor from {org} Foundation yesterday, wants the deck",
         "Call with {first} Marchetti, CIO of {org} Holdings LLC, +1 415 555 {n:04d}"]
FIRST = ["anna", "bruno", "chloe", "dmitri", "elena", "farid", "greta", "hugo", "ines", "jonas"]
ORGS = ["Fjordline", "Tidewell", "Asterion", "Bramblecove", "Corvane", "Dunmore", "Elmhurst", "Fallowmere",
        "Glenrock", "Heathfield", "Ironvale", "Juniperhill", "Kestrelmoor", "Larchmont", "Marrowind"]


def figures(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return (f"  {label:<14} p50 {statistics.median(ordered) * 1000:6.0f} ms   p95 {p95 * 1000:6.0f} ms   "
            f"max {ordered[-1] * 1000:6.0f} ms   (n={len(ordered)})")


def run(size: int, notes: int, hs: Homeserver, workdir: Path) -> None:
    data_dir = workdir / f"crm-{size}"
    data_dir.mkdir()
    if size > 100:
        setup(str(data_dir), size)
    port = free_port()
    proc = start(str(data_dir), port)
    try:
        api = first_admin(port) if size <= 100 else None
        if api is None:  # setup() registered the admin: sign in again
            from grid_bench import Api, PASSWORD
            status, answer, *_ = Api(port).call("POST", "/api/auth/login", {"username": "bench", "password": PASSWORD})
            api = Api(port, json.loads(answer)["token"])
        else:
            api.call("POST", "/api/fundraising/sample", {})
        status, answer, *_ = api.call("POST", "/api/admin/service-tokens", {"name": "bench bot",
                                                                           "scopes": ["intake:match", "intake:write"]})
        token = json.loads(answer)["data"]["token"]
        tag = secrets.token_hex(3)
        person = hs.new_user(f"partner{tag}")
        password = secrets.token_hex(8)
        bot_id = hs.register(f"intake{tag}", password)["user_id"]
        room = person.create_room("LP intake", invite=[bot_id])
        bot = IntakeBot({"MATRIX_HOMESERVER_URL": hs.url, "MATRIX_USER_ID": bot_id, "MATRIX_PASSWORD": password,
                         "MATRIX_ROOM_ID": room, "CRM_URL": f"http://127.0.0.1:{port}", "CRM_SERVICE_TOKEN": token},
                        workdir / f"bot-{size}")
        bot.start().wait_listening()
        cards, commits = [], []

        def from_bot(contains):
            return lambda e: e["sender"] == bot_id and contains in e["content"]["body"]
        try:
            for i in range(notes):
                text = NOTES[i % len(NOTES)].format(first=FIRST[i % len(FIRST)].title(), n=i,
                                                     org=f"{ORGS[i % len(ORGS)]}{'' if i < len(ORGS) else i}")
                t0 = time.monotonic()
                root = person.send_text(room, text)
                person.wait_for_thread(room, root, from_bot("Reply in this thread"), timeout=30)
                cards.append(time.monotonic() - t0)
                if i % 2 == 0:
                    t0 = time.monotonic()
                    person.reply_in_thread(room, root, "yes")
                    person.wait_for_thread(room, root, from_bot("✅"), timeout=30)
                    commits.append(time.monotonic() - t0)
        finally:
            bot.stop()
        print(f"{size:,} investors:")
        print(f"  first card after the CRM started: {cards[0] * 1000:.0f} ms")
        print(figures("note -> card", cards[1:]))
        print(figures("yes -> done", commits))
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,50000")
    parser.add_argument("--notes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vcrm-intakebench-") as tmp:
        hs = Homeserver().start(Path(tmp) / "synapse")
        try:
            print(f"synapse started in {hs.start_seconds:.1f} s")
            for size in [int(s) for s in args.sizes.split(",")]:
                run(size, args.notes, hs, Path(tmp))
        finally:
            hs.stop()


if __name__ == "__main__":
    main()
