"""GET /api/health with 8 concurrent keep-alive clients against the real server.

Starts the server on a free port with a temporary data dir (rate limits off), measures start-up
time to readiness, then runs each client in its own process (so the client side is not one GIL)
for a fixed duration and prints requests/s and latency percentiles.

    ./start.sh bench health_bench [--clients 8] [--seconds 5] [--path /api/health]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data_dir: str) -> tuple[subprocess.Popen, float]:
    env = {**os.environ, "CRM_DATA_DIR": data_dir, "CRM_HOST": "127.0.0.1", "CRM_PORT": str(port),
           "CRM_GET_RATE_LIMIT_PER_MIN": "0", "CRM_WRITE_RATE_LIMIT_PER_MIN": "0"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "backend.server"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/ready")
            if conn.getresponse().status == 200:
                return proc, time.perf_counter() - t0
        except OSError:
            pass
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read().decode())
        time.sleep(0.005)


def client(port: int, path: str, start_at: float, seconds: float, out: mp.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    while time.time() < start_at:
        time.sleep(0.001)
    end = start_at + seconds
    errors = 0
    while True:
        t0 = time.perf_counter()
        if t0 > 0 and time.time() >= end:
            break
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            errors += 1
        latencies.append(time.perf_counter() - t0)
    conn.close()
    out.put((latencies, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--path", default="/api/health")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="vcrm-bench-") as data_dir:
        proc, startup = start_server(port, data_dir)
        try:
            out: mp.Queue = mp.Queue()
            start_at = time.time() + 0.5
            workers = [mp.Process(target=client, args=(port, args.path, start_at, args.seconds, out))
                       for _ in range(args.clients)]
            for w in workers:
                w.start()
            results = [out.get() for _ in workers]
            for w in workers:
                w.join()
        finally:
            proc.terminate()
            proc.wait()
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    q = statistics.quantiles(latencies, n=100)
    print(f"server start-up to ready: {startup * 1000:.0f} ms")
    print(f"GET {args.path}: {args.clients} keep-alive clients x {args.seconds:.0f} s")
    print(f"  requests: {len(latencies)}  errors: {errors}")
    print(f"  throughput: {len(latencies) / args.seconds:,.0f} req/s")
    print(f"  latency p50 {q[49] * 1000:.2f} ms  p95 {q[94] * 1000:.2f} ms  p99 {q[98] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
