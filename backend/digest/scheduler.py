"""The digest's background job: at least once a minute, send the day's digest once its hour has
come (the service decides, from the policy and the persisted claims, whether anything is due)."""
from __future__ import annotations

from .service import Digests
from ..periodic import PeriodicThread


class Scheduler(PeriodicThread):
    def __init__(self, digests: Digests, interval: float = 60.0):
        super().__init__("digest-scheduler", interval, first_delay=min(5.0, interval))
        self.digests = digests

    def run_once(self) -> dict | None:
        return self.digests.send_daily()
