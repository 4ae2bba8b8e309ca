"""What tests share besides fixtures: the real server in a subprocess on a free port, an HTTP
client for it, users, grid columns, killing a server mid-write, and the browser/node runners.
Fixtures built on these live in conftest.py."""
from __future__ import annotations

import http.client
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
_names = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def data(self):
        return self.json["data"]

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class Client:
    """A small HTTP client over one keep-alive connection; `token`/`api_key` add credentials."""

    def __init__(self, port: int, token: str | None = None, api_key: str | None = None):
        self.port = port
        self.token = token
        self.api_key = api_key
        self.user = None
        self._conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                raw: bytes | None = None) -> Response:
        hdrs = {}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        if self.api_key:
            hdrs["X-API-Key"] = self.api_key
        payload = raw
        if body is not None:
            payload = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self._conn.request(method, path, body=payload, headers=hdrs)
                resp = self._conn.getresponse()
                data = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.close()
                return Response(resp.status, resp.headers, data)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                self.close()  # the server closed an idle keep-alive connection: retry once
                if attempt == 2:
                    raise

    def get(self, path, **kw): return self.request("GET", path, **kw)
    def post(self, path, body=None, **kw): return self.request("POST", path, body, **kw)
    def patch(self, path, body=None, **kw): return self.request("PATCH", path, body, **kw)
    def put(self, path, body=None, **kw): return self.request("PUT", path, body, **kw)
    def delete(self, path, **kw): return self.request("DELETE", path, **kw)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class RunningServer:
    def __init__(self, env: dict, data_dir: Path, port: int, proc: subprocess.Popen, log: Path):
        self.env, self.data_dir, self.port, self.proc, self.log = env, data_dir, port, proc, log
        self.admin_token: str | None = None
        self.admin_user: dict | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, token=None, api_key=None) -> Client:
        return Client(self.port, token, api_key)

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:  # a kill is safe (every acknowledged write is committed): never wait long for it
                self.proc.wait(4)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def bootstrap(self, username="admin", email="admin@fund.example", password=PASSWORD) -> Client:
        resp = self.client().post("/api/auth/register",
                                  {"username": username, "email": email, "password": password})
        assert resp.status == 201, resp
        self.admin_token, self.admin_user = resp.json["token"], resp.json["user"]
        admin = self.client(self.admin_token)
        admin.user = self.admin_user
        return admin


def base_env(data_dir: Path, port: int, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "SMTP_"))}
    env.update({
        "CRM_DATA_DIR": str(data_dir), "CRM_HOST": "127.0.0.1", "CRM_PORT": str(port),
        "CRM_ENV": "test", "CRM_BCRYPT_ROUNDS": "4",
        # The shared server is hammered from one IP by the whole suite; limits get their own tests.
        "CRM_LOGIN_RATE_LIMIT_PER_MIN": "0", "CRM_WRITE_RATE_LIMIT_PER_MIN": "0",
        "CRM_GET_RATE_LIMIT_PER_MIN": "0", "CRM_LOGIN_LOCKOUT_THRESHOLD": "1000",
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def launch(data_dir: Path | None = None, wait: bool = True, port: int | None = None, **overrides) -> RunningServer:
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="vcrm-test-"))
    port = port or free_port()
    env = base_env(data_dir, port, **overrides)
    log = data_dir.parent / f"{data_dir.name}.server.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backend.server"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    server = RunningServer(env, data_dir, port, proc, log)
    if wait:
        wait_ready(server)
    return server


def wait_ready(server: RunningServer, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    client = server.client()
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.output()}")
        try:
            if client.get("/api/ready").status == 200:
                client.close()
                return
        except OSError:
            client.close()
        time.sleep(0.05)
    raise RuntimeError(f"server did not become ready:\n{server.output()}")


def kill_during_writes(srv: RunningServer, write, threads: int = 4, min_acks: int = 150) -> list:
    """Run `write(client, thread_no, i) -> ack or None` from several threads until `min_acks`
    writes were acknowledged, then SIGKILL the server mid-stream. Returns the acks."""
    import signal
    import threading
    acks: list = []
    stop = threading.Event()

    def loop(n):
        client = srv.client(srv.admin_token)
        i = 0
        while not stop.is_set():
            try:
                ack = write(client, n, i)
            except OSError:
                return
            if ack is not None:
                acks.append(ack)
            i += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while len(acks) < min_acks and time.monotonic() < deadline:
        time.sleep(0.005)
    srv.stop(signal.SIGKILL)
    stop.set()
    for w in workers:
        w.join()
    return acks


def require_node() -> str:
    """The node binary; skipped locally when missing, a failure in CI."""
    import shutil
    node = shutil.which("node")
    if not node:
        if os.environ.get("CI"):
            pytest.fail("node is missing: ./start.sh test installs it")
        pytest.skip("node is missing: ./start.sh test installs it")
    return node


def require_browser() -> None:
    """Skip locally when node/playwright/chromium are missing; in CI that is a failure."""
    import shutil
    missing = [what for what, ok in (("node", shutil.which("node")),
                                      ("node_modules/playwright-core", (ROOT / "node_modules" / "playwright-core").is_dir()),
                                      ("/usr/bin/chromium", Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists()))
               if not ok]
    if missing:
        message = f"missing {', '.join(missing)}: ./start.sh test installs them"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must never pass by skipping the browser
        pytest.skip(message)


def run_browser_script(srv: RunningServer, name: str, timeout: int = 300) -> None:
    """Run tests/frontend/<name>.js against `srv` in real Chromium; it must print '<name>: PASS'."""
    require_browser()
    out = ROOT / "tests" / "frontend" / "out"
    proc = subprocess.run(["node", f"tests/frontend/{name}.js", srv.base_url, str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    output = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and f"{name}: PASS" in proc.stdout, output


def make_user(admin: Client, role: str = "member", password: str = PASSWORD) -> dict:
    n = next(_names)
    name = f"{role}{n}_{os.getpid()}"
    resp = admin.post("/api/admin/users", {"username": name, "email": f"{name}@fund.example",
                                           "password": password, "role": role})
    assert resp.status == 201, resp
    return resp.data


def sign_in(server: RunningServer, username: str, password: str = PASSWORD) -> Client:
    resp = server.client().post("/api/auth/login", {"username": username, "password": password})
    assert resp.status == 200, resp
    client = server.client(resp.json["token"])
    client.user = resp.json["user"]
    return client


def columns_by_name(client) -> dict:
    return {c["name"]: c for c in client.get("/api/fundraising/columns").data}


def add_column(client, name, kind, options=None, **extra):
    resp = client.post("/api/fundraising/columns", {"name": name, "type": kind, "options": options or {}, **extra})
    assert resp.status == 201, resp
    return resp.data


def best_ms(fn, runs=3) -> float:
    """The fastest of `runs` calls of `fn`, in milliseconds (a timing test's least noisy figure)."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def unique(prefix="Col"):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def seed_mail_investors(admin, fixture, leave_out_colleagues: bool = False) -> dict:
    """A mail fixture's investors (tests/mailgen.py) in the grid with their people: name -> row
    id. Leaving out the colleagues (everyone after an investor's first person) makes their mail
    match by domain, so the proposals queue has people to add as well as touches."""
    rows = [{"values": {"Name": inv.name, "Contacts": [{"name": p["name"], "email": p["email"], "title": p.get("title")}
                                                        for p in (inv.people[:1] if leave_out_colleagues else inv.people)]}}
            for inv in fixture.investors]
    made = admin.post("/api/fundraising/rows/bulk", {"rows": rows})
    assert made.status == 201, made
    name_col = next(c["id"] for c in admin.get("/api/fundraising/columns").data if c.get("primary"))
    return {r["values"][name_col]: r["id"] for r in made.data}


def import_mbox(admin, fixture, mailbox):
    """One team mailbox of a mail fixture, uploaded as an mbox."""
    return admin.request("POST", f"/api/email/import?mailbox={mailbox}", raw=fixture.to_mbox(fixture.for_mailbox(mailbox)),
                         headers={"Content-Type": "application/mbox"})


class IntakeBot:
    """The Matrix intake bot as its own process (`python -m backend.matrix_intake`), with the
    environment the contract names; `output()` is its log."""

    def __init__(self, env: dict, state_dir: Path):
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "MATRIX_", "INTAKE_"))},
                    "INTAKE_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1", **env}
        self.state_dir, self.log = Path(state_dir), Path(state_dir).with_suffix(".bot.log")
        self.proc: subprocess.Popen | None = None

    def start(self) -> "IntakeBot":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "backend.matrix_intake"], cwd=ROOT, env=self.env,
                                         stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_listening(self, since: int = 0, timeout: float = 20) -> None:
        """Until the bot logs that it listens (after `since` characters of its log: a restart)."""
        deadline = time.monotonic() + timeout
        while "listening in" not in self.output()[since:]:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.proc.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start listening:\n{self.output()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:  # a kill is safe (every acknowledged write is committed): never wait long for it
                self.proc.wait(4)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def upload_key(client, key):
    """An admin uploads a Google service-account key (the Gmail delegation set-up)."""
    return client.request("POST", "/api/admin/email/service-account", raw=json.dumps(key).encode(),
                          headers={"Content-Type": "application/json"})


def wait_idle(client, timeout: float = 60) -> None:
    """Until no mail sync is running (after Sync now or an enrolment); fails if one never ends."""
    deadline = time.time() + timeout
    time.sleep(0.2)
    while time.time() < deadline:
        if not client.get("/api/email/status").data["running"]:
            return
        time.sleep(0.2)
    raise AssertionError("the sync did not finish")
