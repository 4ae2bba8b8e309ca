"""The intake service on the app: candidates for a name and an email among the grid's live
investors (the match the bot's card shows)."""
from __future__ import annotations

from . import matcher
from ..errors import BadRequest


class Intake:
    def __init__(self, grid):
        self.grid = grid
        self._index: tuple[int, matcher.MatchIndex] | None = None

    def index(self) -> matcher.MatchIndex:
        """The grid's investors by match key, rebuilt when the grid changed since the last match."""
        version = self.grid.version()
        if self._index is None or self._index[0] != version:
            columns = self.grid.columns()
            name_col = next(c["id"] for c in columns if c.get("primary"))
            people_col = next((c["id"] for c in columns if c["type"] == "contacts"), None)
            self._index = (version, matcher.MatchIndex(
                (rid, values.get(name_col), (values.get(people_col) or []) if people_col else [])
                for rid, values in self.grid.live_rows()))
        return self._index[1]

    def match(self, query: str | None, email: str | None) -> list[dict]:
        """Ranked candidates, best first, at most five; a score >= 0.5 is likely the same investor."""
        if not (query or "").strip() and not (email or "").strip():
            raise BadRequest("give a name (q) or an email to match", field="q")
        return [c.as_dict() for c in self.index().candidates(query or "", email or "")]
