"""Import benchmark: Airtable-style CSVs of 10,000 and 50,000 investors through the real server.

For each size: a fresh server, POST /api/fundraising/import/preview, POST /api/fundraising/import
(first import: every row created, 13 new typed columns), then the same file again (must change
nothing). Prints wall-clock and server times. Targets: 10,000 rows <= 5 s, 50,000 <= 25 s.

    ./start.sh bench import_bench [--sizes 10000,50000]
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grid_bench import Api, first_admin, free_port, start, stop  # noqa: E402

HEADERS = ["Name", "Status", "Type", "Primary Contact", "Email", "Phone", "Website", "Location", "Lead Source",
           "Owner", "Last Contact", "Next Step", "Notes", "Fund I", "Fund II", "Fund III", "Target", "Probability",
           "Accredited", "Tags"]


def make_csv(n: int) -> bytes:
    rng = random.Random(n)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for i in range(n):
        money = lambda: rng.choice(["", "$50,000.00", "$250,000.00", "$1,000,000.00", "$12,500.50"])
        writer.writerow([
            f"Investor {i:06d} {rng.choice(['Capital', 'Partners LLC', 'Family Office', 'Foundation'])}",
            rng.choice(["Not Contacted", "Contacted", "Meeting", "Soft Circle", "Committed", "Passed"]),
            rng.choice(["Family Office", "Foundation", "RIA", "Corporate", "Endowment"]),
            f"Person {i}", f"person{i}@investor{i}.com", f"+1 (212) 555-{i % 10000:04d}",
            f"investor{i}.com", rng.choice(["New York, NY", "Zürich", "London", "São Paulo"]),
            rng.choice(["Existing LP", "Inbound", "Referral", "Conference"]), rng.choice(["Maria Garcia", "Ben Lee"]),
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2026", rng.choice(["Send deck", "Schedule call", ""]),
            f"{rng.randint(1, 12)}/{rng.randint(1, 28)}: Call notes, \"quoted\", with commas\nsecond line",
            money(), money(), money(), rng.choice(["", "$5,000,000.00"]), rng.choice(["10%", "25%", "50%", ""]),
            rng.choice(["checked", ""]), ",".join(rng.sample(["Co-invest", "Re-up", "Warm intro", "Conference"], 2)),
        ])
    return out.getvalue().encode("utf-8")


def timed(api: Api, path: str, data: bytes):
    api.conn.request("POST", path, body=data, headers={"Content-Type": "text/csv",
                                                       "Authorization": f"Bearer {api.token}"})
    t0 = time.perf_counter()
    resp = api.conn.getresponse()
    body = json.loads(resp.read())
    return resp.status, body, time.perf_counter() - t0, float(resp.getheader("Server-Timing").split("dur=")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        data = make_csv(n)
        with tempfile.TemporaryDirectory(prefix="vcrm-importbench-") as data_dir:
            port = free_port()
            proc = start(data_dir, port)
            try:
                api = first_admin(port)
                status, preview, wall_p, _ = timed(api, "/api/fundraising/import/preview", data)
                assert status == 200, preview
                status, first, wall_1, server_1 = timed(api, "/api/fundraising/import", data)
                assert status == 200 and first["data"]["created"] == n, first
                status, second, wall_2, _ = timed(api, "/api/fundraising/import", data)
                assert status == 200 and second["data"]["created"] == 0 and second["data"]["updated"] == 0, second
            finally:
                stop(proc)
        print(f"== {n:,} rows, {len(HEADERS)} columns, {len(data) / 1e6:.1f} MB ==")
        print(f"  preview: {wall_p:.2f} s")
        print(f"  first import: {wall_1:.2f} s wall ({server_1 / 1000:.2f} s server), {n:,} created, "
              f"{len(first['data']['new_columns'])} new columns")
        print(f"  re-import of the same file: {wall_2:.2f} s, 0 created, 0 updated, "
              f"{second['data']['unchanged']:,} unchanged")


if __name__ == "__main__":
    main()
