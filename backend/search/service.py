"""The app's search (`app.search`): the query (`GET /api/search`), the indexer's status, and the
admin's rebuild. Questions (`/api/ask`, query plans) are `ask.py`'s, not this service's.

A query is encoded sparse (BM25 terms) and, when a local embedding model is configured, dense;
Qdrant fuses the two with RRF over the filtered chunks (hybrid), or ranks by the sparse vector
alone. Every hit is then hydrated from SQLite: its current text and title, and dropped when its
investor, message, link or column is archived (even before the indexer has removed it). The
snippet is plain text with `highlights` offsets, never markup.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from . import sources, sparse
from .chunking import TYPES, timestamp
from .index import ChunkIndex
from .indexer import Embedder, Indexer, IndexerThread
from .. import audit
from ..db import Database
from ..errors import BadRequest, ServiceUnavailable
from ..principal import Principal

SNIPPET_CHARS = 240
MAX_LIMIT = 50


class Search:
    def __init__(self, db: Database, settings, llm=None, embed: Embedder | None = None, index: ChunkIndex | None = None):
        self.db, self.settings, self.llm = db, settings, llm
        if index is None:
            url = getattr(settings, "qdrant_url", "") or ""
            index = ChunkIndex(path=None if url else settings.data_dir / "qdrant", url=url)
        self.index = index
        if embed is None and llm is not None and llm.enabled:
            embed = llm.embed
        self.indexer = Indexer(db, index, embed)
        self.thread: IndexerThread | None = None
        self.open_error: str | None = None

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        self.thread = IndexerThread(self.indexer)
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop.set()
            self.thread.join(timeout=10)
        self.index.close()

    @property
    def mode(self) -> str:
        return "hybrid" if self.indexer.embed is not None else "sparse"

    def _open(self) -> None:
        try:
            self.index.client()
            self.open_error = None
        except Exception as exc:  # a locked folder, an unreachable server: search answers 503
            self.open_error = f"{type(exc).__name__}: {exc}"
            raise ServiceUnavailable(f"the search index cannot be opened ({self.index.location}): {exc}") from None

    # -- the query --------------------------------------------------------------------------------
    def search(self, q: str, investor: str | None = None, kind: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int = 20) -> dict:
        q = (q or "").strip()
        if not q:
            raise BadRequest("q must not be empty", field="q")
        if kind and kind not in TYPES:
            raise BadRequest(f"type must be one of: {', '.join(TYPES)}", field="type")
        filters = {"investor_id": investor or None, "type": kind or None,
                   "from_ts": _bound(date_from, "from", end=False), "to_ts": _bound(date_to, "to", end=True)}
        if filters["from_ts"] is not None and filters["to_ts"] is not None and filters["from_ts"] >= filters["to_ts"]:
            raise BadRequest("from must be before to", field="from")
        limit = max(1, min(MAX_LIMIT, int(limit or 20)))
        query_sparse = sparse.SparseEncoder.query(q)
        self._open()
        mode, dense = "sparse", None
        if self.indexer.embed is not None and self.index.dim:
            try:
                dense = self.indexer.embed([q])[0]
                mode = "hybrid"
            except Exception:  # the model is down: the sparse half still answers
                dense = None
        if not query_sparse[0] and dense is None:
            return {"data": [], "mode": mode}
        hits = self.index.search(query_sparse, dense, filters, limit * 3 + 10)
        terms = set(sparse.tokens(q))
        results, seen = [], set()
        with self.db.read() as conn:
            names = {}
            for score, payload in hits:
                found = sources.current(conn, payload)
                if found is None:
                    continue
                chunk, title = found
                same = (chunk.type, chunk.source_id, chunk.investor_id, chunk.column_id,
                        chunk.date if chunk.type == "note" else None)
                if same in seen:
                    continue
                seen.add(same)
                if chunk.investor_id not in names:
                    names[chunk.investor_id] = chunk.investor_name
                text, highlights = snippet(chunk.text, terms)
                results.append({"type": chunk.type, "id": chunk.source_id,
                                "investor": {"id": chunk.investor_id, "name": names[chunk.investor_id]}
                                if chunk.investor_id else None,
                                "title": title, "snippet": text, "highlights": highlights,
                                "date": chunk.date, "score": round(float(score), 6), "chunk": chunk.key,
                                "column_id": chunk.column_id, "author": chunk.author})
                if len(results) >= limit:
                    break
        return {"data": results, "mode": mode}

    # -- status and rebuild -----------------------------------------------------------------------
    def status(self) -> dict:
        indexed, error = 0, None
        try:
            self._open()
            indexed = self.index.count()
        except ServiceUnavailable as exc:
            error = str(exc)
        thread = self.thread
        return {"enabled": error is None, "mode": self.mode, "chunks": self.indexer.live_chunks(),
                "indexed": indexed, "pending": self.indexer.pending(),
                # asked for and not yet begun counts: a screen polling after its request never
                # sees a gap between the request and the pass
                "running": self.indexer.running or self.indexer.progress is not None or self.indexer.rebuild_requested,
                "last_error": error or (thread.last_error if thread else None),
                "rebuild": dict(self.indexer.progress) if self.indexer.progress is not None else None,
                "location": "server" if self.settings.qdrant_url else "embedded",
                "background": bool(thread and thread.is_alive()), "written": self.indexer.upserted}

    def rebuild(self, actor: Principal) -> dict:
        """Drop the index and index everything again, in the background (progress in status)."""
        with self.db.transaction() as conn:
            audit.record(conn, actor, "search.rebuild", "search", None, {"mode": self.mode})
        self.indexer.rebuild_requested = True
        if self.thread is not None:
            self.thread.wake()
        return self.status()


def _bound(value: str | None, name: str, end: bool) -> float | None:
    """A `from`/`to` bound as epoch seconds: YYYY-MM-DD (`to` through that day) or an ISO time."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
            return (moment + timedelta(days=1 if end else 0)).timestamp()
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO-8601 time", field=name) from None
    stamp = timestamp(text)
    if stamp is None:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO-8601 time", field=name)
    return stamp


def snippet(text: str, terms: set[str], width: int = SNIPPET_CHARS) -> tuple[str, list[list[int]]]:
    """A window of `text` around the densest run of query terms, and the [start, end) offsets
    of those terms inside the returned snippet."""
    found = [(s, e) for s, e, term in sparse.spans(text) if term in terms]
    start = 0
    if found and len(text) > width:
        best = max(range(len(found)), key=lambda i: sum(1 for s, e in found if found[i][0] - 40 <= s and e <= found[i][0] - 40 + width))
        start = max(0, found[best][0] - 40)
        if start:
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    prefix = "…" if start > 0 else ""
    body = text[start:end].replace("\r", " ").replace("\n", " ")
    out = prefix + body + ("…" if end < len(text) else "")
    shift = len(prefix) - start
    return out, [[s + shift, e + shift] for s, e in found if s >= start and e <= end]
