"""Grid benchmark: load, single-cell PATCH latency and throughput, view evaluation, at 1k/10k/50k.

For each size it starts the real server on a temporary data dir, creates the columns through the
API (40 in all: the 8 defaults, 10 funds, 22 typed custom columns), bulk-loads the investors,
their cells, commitments and people straight into SQLite (loading 50,000 rows through the API
would measure the loader, not the grid), restarts the server and measures over HTTP:

- grid load (?shape=compact, gzip): server time from the Server-Timing header and bytes, cold
  (first read after start), after one edit, and warm (unchanged grid);
- p50/p95 of single-cell PATCH from one client, and PATCH/s with 8 concurrent client processes;
- evaluation of a view with a 3-condition filter and a 2-key sort.

    ./start.sh bench grid_bench [--sizes 1000,10000,50000] [--seconds 5]
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import multiprocessing as mp
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1"
CUSTOM = [("text", {}), ("number", {}), ("currency", {}), ("percent", {}), ("date", {}), ("checkbox", {}),
          ("single_select", {"choices": ["Seed", "Series A", "Growth"]}), ("multi_select", {"choices": ["Tech", "Bio", "Climate"]}),
          ("email", {}), ("url", {}), ("phone", {}), ("long_text", {})]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, port: int, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token = token

    def call(self, method: str, path: str, body=None, headers=None):
        hdrs = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        t0 = time.perf_counter()
        self.conn.request(method, path, None if body is None else json.dumps(body), hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        wall = time.perf_counter() - t0
        timing = resp.getheader("Server-Timing", "app;dur=0").split("dur=")[1]
        return resp.status, data, float(timing), wall, resp


def start(data_dir: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "CRM_DATA_DIR": data_dir, "CRM_HOST": "127.0.0.1", "CRM_PORT": str(port),
           "CRM_GET_RATE_LIMIT_PER_MIN": "0", "CRM_WRITE_RATE_LIMIT_PER_MIN": "0",
           "CRM_LOGIN_RATE_LIMIT_PER_MIN": "0", "CRM_BCRYPT_ROUNDS": "4"}
    proc = subprocess.Popen([sys.executable, "-m", "backend.server"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/ready")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not start: " + proc.stderr.read().decode())


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(30)


def first_admin(port: int) -> Api:
    """Register the first admin of a fresh server; a client signed in as it."""
    status, body, *_ = Api(port).call("POST", "/api/auth/register", {"username": "bench", "email": "bench@fund.example",
                                                                     "password": PASSWORD})
    assert status == 201, body
    return Api(port, json.loads(body)["token"])


def setup(data_dir: str, n: int) -> tuple[str, list[dict]]:
    """Columns through the API; rows straight into the tables. Returns (token, columns)."""
    port = free_port()
    proc = start(data_dir, port)
    api = first_admin(port)
    token = api.token
    for i in range(10):
        api.call("POST", "/api/fundraising/columns", {"name": f"Fund {i + 1}", "type": "fund",
                                                       "options": {"vintage": 2016 + i, "target": 50_000_000}})
    for i in range(22):
        kind, options = CUSTOM[i % len(CUSTOM)]
        api.call("POST", "/api/fundraising/columns", {"name": f"{kind.title()} {i}", "type": kind, "options": options})
    columns = json.loads(api.call("GET", "/api/fundraising/columns")[1])["data"]
    # The default rules would move thousands of stale investors in the background mid-measurement;
    # they are timed on their own at the end instead.
    for rule in json.loads(api.call("GET", "/api/fundraising/automations")[1])["data"]:
        api.call("PATCH", f"/api/fundraising/automations/{rule['id']}", {"enabled": False})
    stop(proc)
    rng = random.Random(31)
    now = "2026-11-21T12:00:00.000Z"
    investors, cells, commitments, contacts = [], [], [], []
    statuses = ["Not Contacted", "Contacted", "Meeting", "Diligence", "Soft Circle", "Committed", "Passed"]
    for i in range(n):
        rid = str(uuid.uuid4())
        investors.append((rid, f"Investor {i:06d} {rng.choice(['Capital', 'Partners', 'Family Office', 'Endowment'])}",
                          rng.choice(["main", "main", "follow_up", "longshot"]), f"Note {i}", rng.choice(["Referral", "Conference", "Inbound"]),
                          1, now, now, "bench", i + 1))
        for col in columns:
            kind = col["type"]
            value = None
            if kind == "fund":
                if rng.random() < 0.6:
                    commitments.append((rid, col["id"], float(rng.choice([50_000, 250_000, 1_000_000, 5_000_000])), now))
                continue
            if col.get("field") or kind in ("contacts", "last_modified_time", "created_time", "last_modified_by"):
                continue
            if col["name"] == "Status":
                value = rng.choice(statuses)
            elif kind == "date":
                value = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            elif kind in ("number", "currency"):
                value = rng.randint(0, 10_000_000)
            elif kind == "percent":
                value = round(rng.random(), 3)
            elif kind == "checkbox":
                value = rng.random() < 0.5
            elif kind == "single_select":
                value = rng.choice([c["name"] for c in col["options"]["choices"]])
            elif kind == "multi_select":
                value = rng.sample([c["name"] for c in col["options"]["choices"]], 2)
            elif kind == "email":
                value = f"lp{i}@example.com"
            elif kind == "url":
                value = f"https://investor{i}.example.com"
            elif kind == "phone":
                value = f"+1 415 555 {i % 10000:04d}"
            else:
                value = f"{col['name']} value {i}"
            cells.append((rid, col["id"], json.dumps(value), now))
        for k in range(rng.randint(1, 3)):
            contacts.append((str(uuid.uuid4()), rid, f"Person {i}-{k}", f"p{i}.{k}@example.com", None, "Partner", k, now, now))
    conn = sqlite3.connect(Path(data_dir) / "crm.db")
    with conn:
        conn.executemany("INSERT INTO investors (id, name, list, notes, lead_source, version, created_at, updated_at,"
                         " updated_by, position) VALUES (?,?,?,?,?,?,?,?,?,?)", investors)
        conn.executemany("INSERT INTO cell_values (investor_id, column_id, value, updated_at) VALUES (?,?,?,?)", cells)
        conn.executemany("INSERT INTO commitments (investor_id, fund_id, amount, updated_at) VALUES (?,?,?,?)", commitments)
        conn.executemany("INSERT INTO contacts (id, investor_id, name, email, phone, title, position, created_at,"
                         " updated_at) VALUES (?,?,?,?,?,?,?,?,?)", contacts)
        conn.executemany("INSERT INTO list_memberships (investor_id, list, started_at) VALUES (?,?,?)",
                         [(r[0], r[2], now) for r in investors])
        conn.execute("INSERT INTO grid_changes (at, actor_type, kind, new) VALUES (?, 'system', 'bulk_load', ?)",
                     (now, json.dumps({"rows": n})))
    conn.close()
    return token, columns


def patch_worker(port: int, token: str, row_ids: list[str], col_ids: list[str], start_at: float, seconds: float,
                 seed: int, out: mp.Queue) -> None:
    api = Api(port, token)
    rng = random.Random(seed)
    while time.time() < start_at:
        time.sleep(0.001)
    count, errors, end = 0, 0, start_at + seconds
    while time.time() < end:
        status, *_ = api.call("PATCH", f"/api/fundraising/rows/{rng.choice(row_ids)}",
                              {"values": {rng.choice(col_ids): rng.randint(0, 10 ** 7)}})
        count += 1
        errors += status != 200
    out.put((count, errors))


def pct(values, p):
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def run_size(n: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="vcrm-gridbench-") as data_dir:
        t0 = time.perf_counter()
        token, columns = setup(data_dir, n)
        setup_s = time.perf_counter() - t0
        port = free_port()
        t0 = time.perf_counter()
        proc = start(data_dir, port)
        start_s = time.perf_counter() - t0
        try:
            api = Api(port, token)
            gz = {"Accept-Encoding": "gzip"}
            status, body, cold_ms, cold_wall, _ = api.call("GET", "/api/fundraising/grid?shape=compact", headers=gz)
            assert status == 200, body[:300]
            gzip_bytes = len(body)
            grid = json.loads(gzip.decompress(body))["data"]
            assert len(grid["rows"]) == n and len(grid["columns"]) == 40, (len(grid["rows"]), len(grid["columns"]))
            row_ids = [r[0] for r in grid["rows"]]
            numeric = [c["id"] for c in columns if c["type"] in ("number", "currency")]
            _, _, warm_ms, warm_wall, _ = api.call("GET", "/api/fundraising/grid?shape=compact", headers=gz)
            _, raw, _, _, _ = api.call("GET", "/api/fundraising/grid?shape=compact")
            _, full_raw, full_ms, _, _ = api.call("GET", "/api/fundraising/grid")
            api.call("PATCH", f"/api/fundraising/rows/{row_ids[0]}", {"values": {numeric[0]: 1}})
            _, _, after_edit_ms, after_edit_wall, _ = api.call("GET", "/api/fundraising/grid?shape=compact", headers=gz)
            rng = random.Random(7)
            lat = []
            for _ in range(400):
                status, _, server_ms, wall, _ = api.call("PATCH", f"/api/fundraising/rows/{rng.choice(row_ids)}",
                                                         {"values": {rng.choice(numeric): rng.randint(0, 10 ** 7)}})
                assert status == 200
                lat.append(wall * 1000)
            # New investors: appended, and inserted above a random row (Insert above). Both should
            # cost the same at any grid size (an insert rewrites no other row).
            insert_lat = {"append": [], "insert": []}
            for i in range(100):
                for how, extra in (("append", {}), ("insert", {"before": rng.choice(row_ids)})):
                    status, _, _, wall, _ = api.call("POST", "/api/fundraising/rows",
                                                     {"values": {"Name": f"New {how} {i}"}, **extra})
                    assert status == 201
                    insert_lat[how].append(wall * 1000)
            out: mp.Queue = mp.Queue()
            start_at = time.time() + 0.5
            workers = [mp.Process(target=patch_worker, args=(port, token, row_ids, numeric, start_at, seconds, k, out))
                       for k in range(8)]
            for w in workers:
                w.start()
            results = [out.get() for _ in workers]
            for w in workers:
                w.join()
            by = {c["name"]: c["id"] for c in columns}
            view = json.loads(api.call("POST", "/api/fundraising/views", {
                "name": "Bench view",
                "filter": {"op": "and", "conditions": [
                    {"column_id": by["Fund 1"], "operator": ">=", "value": 250000},
                    {"column_id": by["Status"], "operator": "is_not", "value": "Passed"},
                    {"column_id": by["Last Contact"], "operator": "is_after", "value": "2026-03-01"}]},
                "sort": [{"column_id": by["Status"], "direction": "asc"},
                         {"column_id": by["Fund 1"], "direction": "desc"}]})[1])["data"]
            view_ms = []
            for _ in range(5):
                status, body, ms, _, _ = api.call("GET", f"/api/fundraising/views/{view['id']}/rows?shape=compact")
                assert status == 200
                view_ms.append(ms)
            selected = json.loads(body)["total"]
            for rule in json.loads(api.call("GET", "/api/fundraising/automations")[1])["data"]:
                api.call("PATCH", f"/api/fundraising/automations/{rule['id']}", {"enabled": True})
            t0 = time.perf_counter()
            run = json.loads(api.call("POST", "/api/fundraising/automations/run")[1])["data"]
            automation_s = time.perf_counter() - t0
        finally:
            stop(proc)
    total = sum(c for c, _ in results)
    return {"n": n, "setup_s": setup_s, "start_s": start_s, "cold_ms": cold_ms, "warm_ms": warm_ms,
            "after_edit_ms": after_edit_ms, "after_edit_wall_ms": after_edit_wall * 1000,
            "bytes_compact": len(raw), "bytes_gzip": gzip_bytes,
            "bytes_full": len(full_raw), "full_ms": full_ms, "patch_p50": pct(lat, 50), "patch_p95": pct(lat, 95),
            "patch_per_s": total / seconds, "patch_errors": sum(e for _, e in results),
            "view_ms": statistics.median(view_ms), "view_rows": selected, "cold_wall_ms": cold_wall * 1000,
            "automation_s": automation_s, "automation_applied": run["applied"],
            "append_p50": pct(insert_lat["append"], 50), "insert_p50": pct(insert_lat["insert"], 50),
            "insert_p95": pct(insert_lat["insert"], 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    print(f"grid benchmark: 40 columns (10 funds), {os.cpu_count()} CPUs; server times from Server-Timing")
    for n in (int(s) for s in args.sizes.split(",")):
        r = run_size(n, args.seconds)
        print(f"\n== {n:,} investors ==  (bulk setup {r['setup_s']:.1f} s, server start {r['start_s']:.2f} s)")
        print(f"  grid load, compact+gzip: cold {r['cold_ms']:.0f} ms | after one edit {r['after_edit_ms']:.1f} ms"
              f" | unchanged {r['warm_ms']:.1f} ms")
        print(f"  grid size: compact {r['bytes_compact'] / 1e6:.2f} MB ({r['bytes_gzip'] / 1e6:.2f} MB gzip),"
              f" full {r['bytes_full'] / 1e6:.2f} MB"
              f" (full shape server time {r['full_ms']:.0f} ms)")
        print(f"  PATCH one cell, 1 client: p50 {r['patch_p50']:.2f} ms  p95 {r['patch_p95']:.2f} ms")
        print(f"  PATCH, 8 concurrent clients: {r['patch_per_s']:,.0f}/s  (errors {r['patch_errors']})")
        print(f"  new investor: appended p50 {r['append_p50']:.2f} ms | inserted above a row p50"
              f" {r['insert_p50']:.2f} ms, p95 {r['insert_p95']:.2f} ms")
        print(f"  view (3 conditions + 2-key sort): {r['view_ms']:.1f} ms server time, {r['view_rows']:,} rows")
        print(f"  scheduled automations over every row: {r['automation_s']:.2f} s, {r['automation_applied']:,} rows moved")


if __name__ == "__main__":
    main()
