"""Live collaboration: a long-poll wake-up for grid changes, and who is here / editing what.

Both live in memory: presence is ephemeral by nature, and the change feed itself is the
`grid_changes` table; this module only wakes waiting requests when its sequence moves.
"""
from __future__ import annotations

import threading
import time

from ..db import utc_now
from ..principal import Principal

PRESENCE_TTL_SECONDS = 30
MAX_WAIT_SECONDS = 55


class ChangeSignal:
    """Latest grid sequence, and a condition to wait on until it passes a given value."""

    def __init__(self):
        self._cond = threading.Condition()
        self.seq = 0

    def notify(self, seq: int) -> None:
        with self._cond:
            if seq > self.seq:
                self.seq = seq
            self._cond.notify_all()

    def reset(self, seq: int) -> None:
        """After a restore the sequence may go back: set it exactly and wake everyone."""
        with self._cond:
            self.seq = seq
            self._cond.notify_all()

    def wait_past(self, since: int, timeout: float) -> bool:
        """Block until the sequence passes `since` or `timeout` elapses; True if it moved."""
        deadline = time.monotonic() + max(0.0, min(timeout, MAX_WAIT_SECONDS))
        with self._cond:
            while self.seq <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True


class Presence:
    """Who has the grid open (per browser tab), which view, which cell, and whether editing it."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], dict] = {}

    def heartbeat(self, who: Principal, client_id: str, state: dict) -> None:
        entry = {"user_id": who.id, "name": who.name, "client_id": client_id,
                 "view_id": state.get("view_id"), "row_id": state.get("row_id"),
                 "column_id": state.get("column_id"), "editing": bool(state.get("editing")),
                 "at": utc_now()}
        with self._lock:
            self._sessions[(who.id or "", client_id)] = {**entry, "_seen": self._clock()}

    def leave(self, who: Principal, client_id: str) -> None:
        with self._lock:
            self._sessions.pop((who.id or "", client_id), None)

    def state(self) -> list[dict]:
        now = self._clock()
        with self._lock:
            for key in [k for k, v in self._sessions.items() if now - v["_seen"] > PRESENCE_TTL_SECONDS]:
                del self._sessions[key]
            return [{k: v for k, v in entry.items() if k != "_seen"} for entry in self._sessions.values()]
