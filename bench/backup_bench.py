"""Backup benchmark: a database with 10,000 investors (40 columns) and 100,000 interactions.

Takes a backup and verifies it through the real server while another client keeps editing and
reading, and reports the backup and verify times and the slowest request served meanwhile.
Targets: backup <= 2 s, no request stalled > 200 ms.

    ./start.sh bench backup_bench [--rows 10000 --interactions 100000]
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_bench import Api, free_port, setup, start, stop  # noqa: E402


def add_interactions(data_dir: str, count: int) -> None:
    conn = sqlite3.connect(Path(data_dir) / "crm.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM investors")]
    rng = random.Random(5)
    rows = [(str(uuid.uuid4()), rng.choice(ids), "2026-11-01T10:00:00.000Z", f"2026-{rng.randint(1, 11):02d}-15",
             rng.choice(["note", "email", "meeting"]), "import", "system", None, "bench",
             f"Touch {i}", "Discussed the fund terms and next steps. " * 3, None) for i in range(count)]
    with conn:
        conn.executemany("INSERT INTO interactions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vcrm-backupbench-") as data_dir:
        token, columns = setup(data_dir, args.rows)
        add_interactions(data_dir, args.interactions)
        size = (Path(data_dir) / "crm.db").stat().st_size
        port = free_port()
        proc = start(data_dir, port)
        try:
            api = Api(port, token)
            time.sleep(2)  # let the start-up (missed nightly) backup finish first
            row_ids = [r[0] for r in json.loads(api.call("GET", "/api/fundraising/grid?shape=compact")[1])["data"]["rows"]]
            numeric = next(c["id"] for c in columns if c["type"] == "number")
            latencies, stop_flag = [], threading.Event()

            def load():
                client = Api(port, token)
                rng = random.Random(1)
                while not stop_flag.is_set():
                    rid = rng.choice(row_ids)
                    t0 = time.perf_counter()
                    client.call("PATCH", f"/api/fundraising/rows/{rid}", {"values": {numeric: rng.randint(0, 999)}})
                    client.call("GET", f"/api/fundraising/rows/{rid}")
                    latencies.append((time.perf_counter() - t0) / 2)

            worker = threading.Thread(target=load)
            worker.start()
            time.sleep(0.5)
            before = len(latencies)
            t0 = time.perf_counter()
            status, body, server_ms, _, _ = api.call("POST", "/api/fundraising/backup", {})
            backup_s = time.perf_counter() - t0
            during = latencies[before:]
            backup = json.loads(body)["data"]
            t0 = time.perf_counter()
            status_v, body_v, *_ = api.call("POST", "/api/fundraising/backup-verify", {"id": backup["id"]})
            verify_s = time.perf_counter() - t0
            stop_flag.set()
            worker.join()
        finally:
            stop(proc)
    ok = json.loads(body_v)["data"]["verify"]["ok"]
    print(f"backup benchmark: {args.rows:,} investors x 40 columns, {args.interactions:,} interactions, "
          f"database {size / 1e6:.1f} MB")
    print(f"  backup (online, while editing): {backup_s:.2f} s, {backup['size'] / 1e6:.1f} MB")
    print(f"  verify (sha256, integrity_check, row counts): {verify_s:.2f} s, ok={ok}")
    print(f"  requests served during the backup: {len(during)}, slowest {max(during) * 1000:.0f} ms "
          f"(median {sorted(during)[len(during) // 2] * 1000:.1f} ms)" if during else "  no requests completed during the backup")


if __name__ == "__main__":
    main()
