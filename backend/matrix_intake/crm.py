"""The CRM's HTTP API as the bot uses it, with its service token: match, vocabulary and the two
idempotent commits. A CRM that cannot be reached raises `Unreachable` (the bot retries the event
later); a refusal raises `Refused` with the CRM's own message (the bot shows it in the thread)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

SOURCE = "matrix_intake"


class Unreachable(RuntimeError):
    """The CRM did not answer (down, restarting, network)."""


class Refused(RuntimeError):
    """The CRM answered with an error; `status` and the CRM's message."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


class CRM:
    def __init__(self, base_url: str, token: str, timeout: float = 15.0):
        self.base_url, self.token, self.timeout = base_url.rstrip("/"), token, timeout
        self._vocabulary: tuple[float, dict] | None = None

    def _call(self, method: str, path: str, query: dict | None = None, body: dict | None = None) -> tuple[int, dict]:
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v})
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "X-API-Key": self.token, "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read() or b"{}")
            except ValueError:
                detail = {}
            detail = detail if isinstance(detail, dict) else {}
            if error.code >= 500 or error.code == 429:
                raise Unreachable(f"the CRM answered {error.code}") from None
            raise Refused(error.code, str(detail.get("error") or f"the CRM refused ({error.code})"),
                          detail.get("field")) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise Unreachable(f"the CRM at {self.base_url} did not answer: {error}") from None

    def match(self, name: str | None, email: str | None) -> list[dict]:
        if not (name or email):
            return []
        return self._call("GET", "/api/intake/match", {"q": name or "", "email": email or ""})[1]["data"]

    def vocabulary(self, max_age: float = 60.0) -> dict:
        """Fund names, statuses and editable columns; cached a minute (columns change rarely)."""
        if self._vocabulary is None or time.monotonic() - self._vocabulary[0] > max_age:
            self._vocabulary = (time.monotonic(), self._call("GET", "/api/intake/vocabulary")[1]["data"])
        return self._vocabulary[1]

    def create_investor(self, body: dict) -> dict:
        return self._call("POST", "/api/intake/investor", body=body)[1]["data"]

    def log_communication(self, body: dict) -> dict:
        return self._call("POST", "/api/fundraising/log-communication", body=body)[1]["data"]
