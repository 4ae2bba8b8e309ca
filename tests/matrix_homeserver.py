"""A real Synapse homeserver for tests, and a small stdlib Matrix client to act as a person.

`Homeserver().start(workdir)` writes a private config into workdir (client API only on a free
127.0.0.1 port, sqlite, no federation, no key servers, every rate limit lifted, logs at WARNING in
workdir/homeserver.log), starts Synapse as a subprocess in its own process group and waits until
`/_matrix/client/versions` answers (`start_seconds` says how long it took). `register(localpart,
password)` makes an account through the shared-secret admin API; `restart()` keeps the data.

`MatrixUser(hs.url, hs.register("alice", "pw"))` (or `hs.new_user("alice")`) creates rooms, invites,
joins, sends messages and thread replies, and reads threads back (`wait_for_thread` polls until
someone else's event in a thread satisfies a predicate).

Plain stdlib HTTP (urllib) only: the bot under test brings its own client. By hand:
`python tests/matrix_homeserver.py [workdir]` runs a homeserver until Ctrl-C.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

SERVER_NAME = "localhost"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
LOG_TAIL_CHARS = 4000
UNLIMITED = {"per_second": 1000, "burst_count": 1000}

# Every rc_* limit this Synapse (1.163) reads, lifted; a test must never meet a 429.
RATE_LIMITS = {
    "rc_message": UNLIMITED,
    "rc_registration": UNLIMITED,
    "rc_registration_token_validity": UNLIMITED,
    "rc_login": {"address": UNLIMITED, "account": UNLIMITED, "failed_attempts": UNLIMITED},
    "rc_joins": {"local": UNLIMITED, "remote": UNLIMITED},
    "rc_joins_per_room": UNLIMITED,
    "rc_invites": {"per_room": UNLIMITED, "per_user": UNLIMITED, "per_issuer": UNLIMITED},
    "rc_third_party_invite": UNLIMITED,
    "rc_room_creation": UNLIMITED,
    "rc_3pid_validation": UNLIMITED,
    "rc_admin_redaction": UNLIMITED,
    "rc_key_requests": UNLIMITED,
    "rc_media_create": UNLIMITED,
    "rc_presence": {"per_user": UNLIMITED},
    "rc_delayed_event_mgmt": UNLIMITED,
    "rc_reports": UNLIMITED,
    "rc_user_directory": UNLIMITED,
    "rc_profile": UNLIMITED,
}

# No proxy for loopback, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MatrixError(Exception):
    """A Matrix API call answered with an error status."""

    def __init__(self, method: str, url: str, status: int, body: object):
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        detail = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"{method} {url} -> {status} {self.errcode or ''} {detail}".strip())


def _call(method: str, url: str, body: object = None, token: str | None = None,
          timeout: float = 10.0) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            parsed: object = json.loads(raw)
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        raise MatrixError(method, url, exc.code, parsed) from None
    return json.loads(raw) if raw else {}


def _q(value: str) -> str:
    """Quote one path segment (room ids, event ids and user ids hold ! $ : @)."""
    return urllib.parse.quote(value, safe="")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _tail(path: Path, chars: int = LOG_TAIL_CHARS) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return f"({path.name}: nothing written)"
    return f"--- {path.name} (last {chars} chars) ---\n{text[-chars:]}"


class Homeserver:
    """One Synapse process serving the client API on 127.0.0.1 (see the module docstring)."""

    server_name = SERVER_NAME

    def __init__(self, workdir: Path | str | None = None):
        self.workdir: Path | None = Path(workdir) if workdir is not None else None
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.shared_secret = ""
        self.start_seconds: float | None = None  # the last start, until /versions answered
        self.start_times: list[float] = []       # every start, first one first
        self._output = None

    # -- life cycle --------------------------------------------------------------------------

    def __enter__(self) -> "Homeserver":
        if self.proc is None:
            self.start(self.workdir)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the homeserver has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self._dir / "homeserver.yaml"

    @property
    def log_path(self) -> Path:
        return self._dir / "homeserver.log"

    @property
    def output_path(self) -> Path:
        return self._dir / "synapse.out"

    @property
    def _dir(self) -> Path:
        if self.workdir is None:
            raise RuntimeError("the homeserver has no workdir yet")
        return self.workdir

    def start(self, workdir: Path | str | None = None) -> "Homeserver":
        """Write a fresh config into workdir (a temporary directory if none) and start Synapse."""
        if self.proc is not None:
            raise RuntimeError("the homeserver is already running")
        if workdir is not None:
            self.workdir = Path(workdir)
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="synapse-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.shared_secret = secrets.token_hex(32)
        self._write_signing_key()
        self._write_config()
        self._launch()
        return self

    def restart(self) -> "Homeserver":
        """Stop and start again on the same data (and port, unless something took it)."""
        self.stop()
        if not _port_is_free(self.port):
            self.port = free_port()
            self._write_config()
        self._launch()
        return self

    def stop(self) -> None:
        """SIGTERM to the process group, up to STOP_TIMEOUT seconds, then SIGKILL."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                self._signal(proc, signal.SIGTERM)
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._signal(proc, signal.SIGKILL)
                    proc.wait()
        if self._output is not None:
            self._output.close()
            self._output = None

    @staticmethod
    def _signal(proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)  # its own session: the group id is its pid
        except ProcessLookupError:
            pass

    def _launch(self) -> None:
        self._output = open(self.output_path, "ab")
        began = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=self._output,
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_ready(began)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - began
        self.start_times.append(self.start_seconds)

    def _wait_until_ready(self, began: float) -> None:
        deadline = began + START_TIMEOUT
        problem = "no answer"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise RuntimeError(f"synapse exited with {code} before answering\n{self._tails()}")
            try:
                versions = _call("GET", f"{self.url}/_matrix/client/versions", timeout=1.0)
                if versions.get("versions"):
                    return
                problem = f"unexpected answer {versions!r}"
            except (OSError, MatrixError, ValueError) as exc:
                problem = str(exc)
            time.sleep(0.05)
        raise RuntimeError(f"synapse did not answer /_matrix/client/versions within "
                           f"{START_TIMEOUT:.0f} s (last: {problem})\n{self._tails()}")

    def _tails(self) -> str:
        return f"{_tail(self.output_path)}\n{_tail(self.log_path)}"

    # -- config --------------------------------------------------------------------------------

    def _write_signing_key(self) -> None:
        path = self._dir / "signing.key"
        if path.exists():
            return
        # What synapse's generate_signing_key script does, in-process (offline, no start-up cost).
        from signedjson.key import generate_signing_key, write_signing_keys
        key = generate_signing_key("a_" + secrets.token_hex(2))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            write_signing_keys(handle, (key,))

    def _write_config(self) -> None:
        d = self._dir
        log_config = {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {"file": {"class": "logging.FileHandler", "formatter": "plain",
                                  "filename": str(d / "homeserver.log"), "encoding": "utf-8"}},
            "root": {"level": "WARNING", "handlers": ["file"]},
        }
        config = {
            "server_name": SERVER_NAME,
            "public_baseurl": f"http://127.0.0.1:{self.port}/",
            "pid_file": str(d / "homeserver.pid"),
            "listeners": [{
                "port": self.port, "bind_addresses": ["127.0.0.1"], "type": "http",
                "tls": False, "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "log_config": str(d / "log.config"),
            "media_store_path": str(d / "media_store"),
            "signing_key_path": str(d / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "enable_registration": False,
            "bcrypt_rounds": 4,  # registration in milliseconds, not a quarter second
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            "enable_metrics": False,
            "url_preview_enabled": False,
            "report_stats": False,
            **RATE_LIMITS,
        }
        # JSON is YAML: no YAML writer needed.
        (d / "log.config").write_text(json.dumps(log_config, indent=2) + "\n")
        self.config_path.write_text(json.dumps(config, indent=2) + "\n")

    # -- accounts ------------------------------------------------------------------------------

    def register(self, localpart: str, password: str, admin: bool = False) -> dict:
        """Create an account through the shared-secret admin API:
        {"user_id", "access_token", "device_id", "password"}."""
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        nonce = _call("GET", endpoint)["nonce"]
        mac = hmac.new(self.shared_secret.encode(), digestmod=hashlib.sha1)
        mac.update(b"\x00".join([nonce.encode(), localpart.encode(), password.encode(),
                                 b"admin" if admin else b"notadmin"]))
        answer = _call("POST", endpoint, {"nonce": nonce, "username": localpart,
                                          "password": password, "admin": admin,
                                          "mac": mac.hexdigest()})
        return {"user_id": answer["user_id"], "access_token": answer["access_token"],
                "device_id": answer.get("device_id"), "password": password}

    def new_user(self, localpart: str, password: str | None = None,
                 admin: bool = False) -> "MatrixUser":
        """register() and wrap the account in a MatrixUser."""
        return MatrixUser(self.url, self.register(localpart, password or secrets.token_hex(8),
                                                  admin=admin))


class MatrixUser:
    """A person on the homeserver, through the client-server API (stdlib only)."""

    _txn = itertools.count(1)

    def __init__(self, url: str, account: dict):
        self.url = url.rstrip("/")
        self.user_id: str = account["user_id"]
        self.access_token: str = account["access_token"]
        self.device_id: str | None = account.get("device_id")

    def __repr__(self) -> str:
        return f"MatrixUser({self.user_id})"

    def call(self, method: str, path: str, body: object = None, timeout: float = 10.0) -> dict:
        """An authenticated call to `path` (starting with /_matrix/...)."""
        return _call(method, self.url + path, body, token=self.access_token, timeout=timeout)

    def whoami(self) -> dict:
        return self.call("GET", "/_matrix/client/v3/account/whoami")

    # -- rooms ---------------------------------------------------------------------------------

    def create_room(self, name: str, invite: list[str] = ()) -> str:
        body = {"name": name, "preset": "private_chat", "invite": list(invite)}
        return self.call("POST", "/_matrix/client/v3/createRoom", body)["room_id"]

    def join(self, room_id: str) -> str:
        return self.call("POST", f"/_matrix/client/v3/join/{_q(room_id)}", {})["room_id"]

    def invite(self, room_id: str, user_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/rooms/{_q(room_id)}/invite", {"user_id": user_id})

    def joined_members(self, room_id: str) -> list[str]:
        joined = self.call("GET", f"/_matrix/client/v3/rooms/{_q(room_id)}/joined_members")
        return sorted(joined["joined"])

    # -- sending -------------------------------------------------------------------------------

    def send_raw(self, room_id: str, content: dict, event_type: str = "m.room.message") -> str:
        txn = f"t{os.getpid()}.{time.time_ns()}.{next(self._txn)}"
        path = f"/_matrix/client/v3/rooms/{_q(room_id)}/send/{_q(event_type)}/{_q(txn)}"
        return self.call("PUT", path, content)["event_id"]

    def send_text(self, room_id: str, body: str) -> str:
        return self.send_raw(room_id, {"msgtype": "m.text", "body": body})

    def reply_in_thread(self, room_id: str, root_event_id: str, body: str) -> str:
        """A thread reply as Element sends it: m.thread on the root, falling back to a reply to
        the thread's latest event (the root while the thread is empty)."""
        thread = self.thread_events(room_id, root_event_id)
        latest = thread[-1]["event_id"] if thread else root_event_id
        return self.send_raw(room_id, {
            "msgtype": "m.text", "body": body,
            "m.relates_to": {"rel_type": "m.thread", "event_id": root_event_id,
                             "is_falling_back": True, "m.in_reply_to": {"event_id": latest}},
        })

    # -- reading -------------------------------------------------------------------------------

    def thread_events(self, room_id: str, root_event_id: str) -> list[dict]:
        """Every event in the thread (not the root), oldest first."""
        base = (f"/_matrix/client/v1/rooms/{_q(room_id)}/relations/{_q(root_event_id)}"
                f"/m.thread?dir=f&limit=100")
        events: list[dict] = []
        path = base
        while True:
            page = self.call("GET", path)
            events.extend(page.get("chunk", []))
            token = page.get("next_batch")
            if not token:
                return events
            path = f"{base}&from={urllib.parse.quote(token, safe='')}"

    def room_messages(self, room_id: str, limit: int = 50) -> list[dict]:
        """The room's last `limit` timeline events, oldest first."""
        page = self.call("GET", f"/_matrix/client/v3/rooms/{_q(room_id)}/messages"
                                f"?dir=b&limit={int(limit)}")
        return list(reversed(page.get("chunk", [])))

    def wait_for_thread(self, room_id: str, root_event_id: str, predicate=lambda event: True,
                        timeout: float = 10.0) -> dict:
        """Poll the thread until an event from someone else satisfies predicate(event); return
        the oldest such event, or fail naming everything the thread holds."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.thread_events(room_id, root_event_id)
            for event in events:
                if event.get("sender") != self.user_id and predicate(event):
                    return event
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        lines = [f"  {e.get('sender')} {e.get('type')} {e.get('event_id')}: "
                 f"{(e.get('content') or {}).get('body')!r}" for e in events]
        raise AssertionError(
            f"no event from anyone but {self.user_id} matched in thread {root_event_id} of "
            f"{room_id} within {timeout} s; the thread holds {len(events)} event(s)"
            + ("".join("\n" + line for line in lines) if lines else ""))


if __name__ == "__main__":
    home = Homeserver(sys.argv[1] if len(sys.argv) > 1 else None)
    with home:
        print(f"synapse on {home.url} (server_name {home.server_name}, data in {home.workdir}, "
              f"started in {home.start_seconds:.2f} s; config {home.config_path})")
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
