"""The background-job base: a failing run is logged with its traceback and the next run time, and
the thread keeps going; the automation and backup schedulers are built on it."""
from __future__ import annotations

import io
import re
import time

from backend.grid import automations
from backend.backups import store as backups
from backend.periodic import PeriodicThread


class Flaky(PeriodicThread):
    def __init__(self, log):
        super().__init__("flaky-job", interval=0.05, log=log)
        self.calls = 0

    def run_once(self):
        self.calls += 1
        if self.calls == 1:
            raise ValueError("the mail server went away")
        return {"ok": self.calls}


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_failing_run_is_logged_with_traceback_and_next_run_and_the_thread_goes_on():
    log = io.StringIO()
    job = Flaky(log)
    job.start()
    try:
        assert wait_for(lambda: job.calls >= 3)
    finally:
        job.stop.set()
        job.join(2)
    text = log.getvalue()
    assert "[flaky-job] run failed at" in text
    assert re.search(r"next run at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    assert "Traceback (most recent call last)" in text and "ValueError: the mail server went away" in text
    assert job.failures == 1 and "ValueError" in job.last_error
    assert job.last_result == {"ok": job.calls} and job.runs == job.calls
    assert not job.is_alive()


def test_wake_runs_the_job_now_and_stop_ends_the_loop():
    job = Flaky(io.StringIO())
    job.interval = job.first_delay = 3600
    job.start()
    job.wake()
    assert wait_for(lambda: job.calls == 1)
    job.wake()
    assert wait_for(lambda: job.calls == 2)
    job.stop.set()
    job.join(2)
    assert not job.is_alive()


class Exploding:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError(f"{name} exploded")
        return fail


def test_both_schedulers_log_failures_instead_of_swallowing_them():
    for scheduler in (automations.Scheduler(Exploding(), Exploding(), interval=3600, first_delay=3600),
                      backups.Scheduler(Exploding(), interval=3600)):
        assert isinstance(scheduler, PeriodicThread)
        log = io.StringIO()
        scheduler._log = log
        scheduler.tick()
        assert "Traceback" in log.getvalue() and "exploded" in log.getvalue(), scheduler.name
        assert scheduler.failures == 1 and "exploded" in scheduler.last_error
