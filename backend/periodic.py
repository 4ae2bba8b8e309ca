"""The one base for background jobs: a daemon thread that runs a job every `interval` seconds.

A job that raises is logged with its traceback and the time of the next attempt, and the thread
keeps going; the job itself must be idempotent and safe to kill at any instant (it is re-run
after a crash or a restart). Used by the automation and backup schedulers and by every later
background job (mail sync, digest, indexing).
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any, TextIO


class PeriodicThread(threading.Thread):
    """Subclasses implement `run_once()`; its return value is kept in `last_result`.
    `stop` (an Event) ends the loop; `wake()` runs the job now instead of at the next tick."""

    def __init__(self, name: str, interval: float, first_delay: float = 0.0, log: TextIO | None = None):
        super().__init__(name=name, daemon=True)
        self.interval, self.first_delay = interval, first_delay
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._log = log
        self.runs = 0
        self.failures = 0
        self.last_result: Any = None
        self.last_error: str | None = None      # "when: what" of the latest failure, for status screens
        self.last_run_at: str | None = None

    def run_once(self) -> Any:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        delay = self.first_delay
        while not self._sleep(delay):
            self.tick()
            delay = self.interval

    def tick(self) -> None:
        """One run of the job, with failures logged instead of raised."""
        started = datetime.now(timezone.utc)
        self.runs += 1
        self.last_run_at = _iso(started)
        try:
            self.last_result = self.run_once()
        except Exception as exc:  # a failed run must not end the thread: log it, retry next tick
            self.failures += 1
            self.last_error = f"{self.last_run_at}: {type(exc).__name__}: {exc}"
            retry = _iso(started + timedelta(seconds=self.interval))
            out = self._log or sys.stderr
            out.write(f"[{self.name}] run failed at {self.last_run_at}; next run at {retry}\n"
                      f"{traceback.format_exc()}")
            out.flush()

    def _sleep(self, seconds: float) -> bool:
        """Wait `seconds` (or until woken); True when the thread should stop."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._wake.wait(min(remaining, 0.5)):
                self._wake.clear()
                return self.stop.is_set()
        return True


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
