"""SQLite access: one pooled connection per request and the single way to write (`transaction`).

Connections run in autocommit mode with explicit transactions. Writes are serialised by a
process-wide lock before `BEGIN IMMEDIATE`, so concurrent requests queue in Python instead of
spinning in SQLite's busy handler; readers never wait for writers (WAL).

Reads made while serving a request are bounded: under `Database.deadline(seconds)` (set for the
current thread) every `read()` may run `seconds` from the moment it starts, and is interrupted by
SQLite's progress handler past that (`ReadTimeout`, a 503). Time spent outside reads (a long-poll
waiting for a change) does not count. Writes are never interrupted (an import may take longer than a
read is allowed to), and background jobs run without a deadline.
"""
from __future__ import annotations

import contextvars
import os
import queue
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from .errors import ReadTimeout

BUSY_TIMEOUT_MS = 5000
PROGRESS_EVERY_OPS = 10_000  # SQLite VM steps between deadline checks (~1% overhead)
_read_limit: contextvars.ContextVar[float | None] = contextvars.ContextVar("read_limit", default=None)


def utc_now() -> str:
    """Current time as ISO-8601 UTC with milliseconds, e.g. 2026-11-21T23:59:01.123Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    """A collision-safe string id (UUID4)."""
    return str(uuid.uuid4())


def new_ids(count: int) -> list[str]:
    """`count` ids as new_id makes them, from one read of the system's randomness: a bulk insert
    calling uuid4 per row gives the GIL away and back 50,000 times, and readers lose those races."""
    raw = os.urandom(16 * count)
    return [str(uuid.UUID(bytes=raw[i:i + 16], version=4)) for i in range(0, 16 * count, 16)]


# The change log's first and last seq. Two subqueries, not `min(seq), max(seq)` in one SELECT:
# SQLite answers a lone min() or max() from the index in a step, but both together scan the log.
BOUNDS = "SELECT (SELECT min(seq) FROM grid_changes), (SELECT max(seq) FROM grid_changes)"


def first_change_at(conn: sqlite3.Connection, moment: str, low: int, high: int) -> int:
    """The first grid_changes seq in [low, high) recorded at or after `moment` (an ISO UTC time;
    `high` when none is). Times grow with seq (the log is written under the write lock), so this
    bisects instead of scanning the log: the digest and the dashboard read windows of it."""
    while low < high:
        mid = (low + high) // 2
        row = conn.execute("SELECT at FROM grid_changes WHERE seq >= ? ORDER BY seq LIMIT 1", (mid,)).fetchone()
        if row is None or row[0] >= moment:
            high = mid
        else:
            low = mid + 1
    return low


def connect(path: Path | str, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Database:
    """A small pool of connections to one SQLite file."""

    def __init__(self, path: Path | str, synchronous: str = "FULL", pool_size: int = 16):
        self.path = Path(path)
        self.synchronous = synchronous
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue(maxsize=pool_size)
        # Re-entrant so a restore, which holds it for the swap, can still write its own audit entry.
        self._write_lock = threading.RLock()
        self._closed = False
        self._resets: list = []

    def on_reset(self, reset) -> None:
        """Register an in-memory mirror of this database (a cache): `reset()` is called, in
        registration order, whenever the file's contents were replaced (start-up, restore)."""
        self._resets.append(reset)

    def reset_caches(self) -> None:
        for reset in self._resets:
            reset()

    def _acquire(self) -> sqlite3.Connection:
        try:
            return self._pool.get_nowait()
        except queue.Empty:
            return connect(self.path, self.synchronous)

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # never hand a half-finished transaction to the next request
            conn.rollback()
        if self._closed:
            conn.close()
            return
        try:
            self._pool.put_nowait(conn)
        except queue.Full:
            conn.close()

    @contextmanager
    def deadline(self, seconds: float | None):
        """Bound every `read()` in this thread (a request) to `seconds` each; None: no bound."""
        token = _read_limit.set(seconds)
        try:
            yield
        finally:
            _read_limit.reset(token)

    @contextmanager
    def read(self):
        """A connection for reads (no transaction; each statement sees the latest commit).
        Under a `deadline`, a read still running `seconds` after it began raises ReadTimeout."""
        conn = self._acquire()
        limit = _read_limit.get()
        until = None if limit is None else time.monotonic() + limit
        if until is not None:
            conn.set_progress_handler(lambda: time.monotonic() > until, PROGRESS_EVERY_OPS)
        try:
            yield conn
        except sqlite3.OperationalError as exc:
            if until is not None and str(exc) == "interrupted" and time.monotonic() > until:
                raise ReadTimeout(f"reading the data took longer than the limit of {limit:g} s "
                                  "(CRM_READ_TIMEOUT_SECONDS) and was stopped; narrow the request or "
                                  "try again", limit_seconds=limit) from None
            raise
        finally:
            if until is not None:
                conn.set_progress_handler(None, 0)
            self._release(conn)

    @contextmanager
    def transaction(self):
        """The one way to write: everything inside commits together or not at all."""
        conn = self._acquire()
        try:
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        finally:
            self._release(conn)

    @contextmanager
    def exclusive(self):
        """A connection, outside any transaction, while no other write can start (restore)."""
        conn = self._acquire()
        try:
            with self._write_lock:
                yield conn
        finally:
            self._release(conn)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                break
