"""The search indexer: keeps Qdrant in step with the data, incrementally and idempotently.

Each run (`Indexer.sync`, every few seconds on `IndexerThread`) follows three feeds from cursors
kept in `search_state`: the grid's change feed (`grid_changes.seq`: investors whose cells changed,
or that were archived or restored; a column change rescans the grid), the interaction log (rowid)
and email links (rowid). For each affected scope it computes the chunks the source should have
now, compares their content hashes with `search_chunks`, embeds and upserts only what changed,
and deletes points of chunks that are gone. Every few minutes a full reconcile catches what no
feed announces (a link or message archived by a re-match, a body fetched later).

Safe to kill at any instant: Qdrant is written first, then `search_chunks` and the cursor in one
SQLite transaction; a replay upserts the same point ids (uuid5 of the chunk key) again.
A rebuild drops the collection, marks every chunk removed and scans everything, with progress;
it is remembered in `search_state`, so a rebuild cut short starts again after a restart. It also
happens by itself when the embedding model's size or `sparse.TOKENIZER_VERSION` (kept in
`search_state` as "tokenizer") is not what the index was built with.
"""
from __future__ import annotations

import json
import threading
import time
from typing import Callable

from . import sources
from .chunking import Chunk
from .index import ChunkIndex
from .sparse import TOKENIZER_VERSION, SparseEncoder
from .. import audit
from ..db import Database, utc_now
from ..periodic import PeriodicThread

INTERVAL_SECONDS = 2.0
RECONCILE_SECONDS = 600.0
PAGE = 500
INVESTOR_BATCH = 200
EMBED_BATCH = 64
CURSORS = ("grid_seq", "interaction_rowid", "link_rowid")

Embedder = Callable[[list[str]], list[list[float]]]


def document_text(chunk: Chunk) -> str:
    """What is encoded: the investor's name gives every chunk its who."""
    return f"{chunk.investor_name}\n{chunk.text}" if chunk.investor_name else chunk.text


def request_rebuild(db: Database, actor, how: str) -> None:
    """Ask for a rebuild through the persisted state: a running server's indexer starts it at its
    next look (seconds), a stopped one at its next start. Audited like the admin's button."""
    with db.transaction() as conn:
        Indexer._save(conn, {"rebuild": "1"})
        audit.record(conn, actor, "search.rebuild", "search", None, {"via": how})


def queue_reindex(conn, investor_ids) -> None:
    """Inside the caller's transaction (a merge, an unmerge): ask for these investors to be
    indexed again, every source (their mail and touches moved without a new rowid)."""
    row = conn.execute("SELECT value FROM search_state WHERE key = 'reindex'").fetchone()
    queued = set(json.loads(row[0])) if row else set()
    Indexer._save(conn, {"reindex": json.dumps(sorted(queued | set(investor_ids)))})


def merge_hook(conn, actor, merged_id: str, survivor_id: str) -> dict:
    """`Grid.merge_hooks`: both investors' chunks are made again after a merge (and an unmerge)."""
    queue_reindex(conn, (merged_id, survivor_id))
    return {"investors": [merged_id, survivor_id]}


def unmerge_hook(conn, actor, record: dict) -> dict:
    queue_reindex(conn, record["investors"])
    return {}


class Indexer:
    def __init__(self, db: Database, index: ChunkIndex, embed: Embedder | None = None):
        self.db, self.index, self.embed = db, index, embed
        self.encoder = SparseEncoder()
        self._lock = threading.Lock()
        self.running = False
        self.progress: dict | None = None       # {"done", "total"} while a rebuild runs
        self.rebuild_requested = False
        self._last_reconcile = time.monotonic()
        self.upserted = 0                        # chunks embedded and written since start (tests, bench)

    # -- state ------------------------------------------------------------------------------------
    def state(self) -> dict[str, str]:
        with self.db.read() as conn:
            return dict(conn.execute("SELECT key, value FROM search_state"))

    @staticmethod
    def _save(conn, values: dict) -> None:
        now = utc_now()
        conn.executemany("INSERT INTO search_state (key, value, updated_at) VALUES (?,?,?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                         [(k, str(v), now) for k, v in values.items()])

    def pending(self) -> int:
        state = self.state()
        with self.db.read() as conn:
            now = sources.cursors_now(conn)
            backlog = conn.execute("SELECT count(*) FROM grid_changes WHERE seq > ? AND kind != 'signals'",
                                   (int(state.get("grid_seq", 0)),)).fetchone()[0]
            backlog += conn.execute("SELECT count(*) FROM interactions WHERE rowid > ?",
                                    (int(state.get("interaction_rowid", 0)),)).fetchone()[0]
        backlog += max(0, now["link_rowid"] - int(state.get("link_rowid", 0)))
        stale = state.get("tokenizer") != str(TOKENIZER_VERSION) and self.live_chunks() > 0
        return backlog + (1 if state.get("rebuild") == "1" or self.rebuild_requested or stale else 0)

    def live_chunks(self) -> int:
        with self.db.read() as conn:
            return conn.execute("SELECT count(*) FROM search_chunks WHERE removed_at IS NULL").fetchone()[0]

    # -- one run ----------------------------------------------------------------------------------
    def sync(self) -> dict:
        """Bring the index up to date; returns what it did."""
        with self._lock:
            self.running = True
            try:
                return self._sync()
            finally:
                self.running = False

    def _sync(self) -> dict:
        self.index.client()  # open (and load the collection's shape) before deciding anything
        state = self.state()
        if "sparse_docs" in state and not self.encoder.docs:
            self.encoder.docs, self.encoder.total_len = int(state["sparse_docs"]), int(state.get("sparse_len", 0))
        with self.db.read() as conn:
            now = sources.cursors_now(conn)
        cursors = {k: int(state.get(k, 0)) for k in CURSORS}
        want_dense = self.embed is not None
        shape_wrong = self.index.exists and (self.index.dim is not None) != want_dense
        lost = not self.index.exists and self.live_chunks() > 0
        went_back = any(cursors[k] > now[k] for k in CURSORS)  # a restore put the data back in time
        # terms made by another tokenizer than this one: every sparse vector must be made again
        retokenize = state.get("tokenizer") != str(TOKENIZER_VERSION)
        if retokenize and not (self.live_chunks() or self.index.count()):
            with self.db.transaction() as conn:  # nothing indexed yet: just remember the version
                self._save(conn, {"tokenizer": TOKENIZER_VERSION})
            retokenize = False
        if (self.rebuild_requested or state.get("rebuild") == "1" or shape_wrong or lost or went_back
                or retokenize):
            return self._rebuild()
        done = {"grid": self._follow_grid(cursors["grid_seq"], now["grid_seq"]),
                "interactions": self._follow_interactions(cursors["interaction_rowid"]),
                "emails": self._follow_links(cursors["link_rowid"])}
        if state.get("reindex"):
            done["reindexed"] = self._reindex(json.loads(state["reindex"]))
        if time.monotonic() - self._last_reconcile > RECONCILE_SECONDS:
            self._last_reconcile = time.monotonic()
            done["reconciled"] = self._scan_all(None)
        return done

    def _reindex(self, ids: list[str]) -> int:
        """Investors queued by `queue_reindex`: every source again, then off the queue (ids queued
        meanwhile stay on it)."""
        self._refresh_investors(sorted(ids), sources.ALL_TYPES, None)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT value FROM search_state WHERE key = 'reindex'").fetchone()
            left = sorted(set(json.loads(row[0]) if row else []) - set(ids))
            self._save(conn, {"reindex": json.dumps(left) if left else ""})
        return len(ids)

    def _follow_grid(self, since: int, until: int) -> int:
        touched = 0
        while since < until:
            with self.db.read() as conn:
                rows = conn.execute("SELECT seq, kind, investor_id FROM grid_changes WHERE seq > ? AND seq <= ?"
                                    " AND kind != 'signals' ORDER BY seq LIMIT ?", (since, until, PAGE * 10)).fetchall()
            last = rows[-1][0] if rows else until
            if any(kind == "column" for _, kind, _ in rows):
                self._scan_all(None, cursor={"grid_seq": last})
            else:
                full = {inv for _, kind, inv in rows if inv and kind in ("row_archived", "row_restored")}
                grid_only = {inv for _, kind, inv in rows if inv} - full
                self._refresh_investors(sorted(full), sources.ALL_TYPES, None)
                self._refresh_investors(sorted(grid_only), sources.GRID_TYPES, {"grid_seq": last})
                touched += len(full) + len(grid_only)
            since = last
            if not rows:
                with self.db.transaction() as conn:
                    self._save(conn, {"grid_seq": until})
        return touched

    def _refresh_investors(self, ids: list[str], types: tuple[str, ...], cursor: dict | None) -> None:
        if not ids:
            if cursor:
                with self.db.transaction() as conn:
                    self._save(conn, cursor)
            return
        for start in range(0, len(ids), INVESTOR_BATCH):
            part = ids[start:start + INVESTOR_BATCH]
            with self.db.read() as conn:
                desired = [c for chunks in sources.investor_chunks(conn, part, types).values() for c in chunks]
                existing = dict(conn.execute(
                    f"SELECT chunk_key, content_hash FROM search_chunks WHERE removed_at IS NULL"
                    f" AND investor_id IN ({','.join('?' * len(part))}) AND source_type IN ({','.join('?' * len(types))})",
                    [*part, *types]))
            last = start + INVESTOR_BATCH >= len(ids)
            self._apply(existing, desired, cursor if last else None)

    def _follow_interactions(self, since: int) -> int:
        count = 0
        while True:
            with self.db.read() as conn:
                page = sources.interactions_after(conn, since, PAGE)
                if not page:
                    return count
                ids = [entry_id for _, _, entry_id in page]
                existing = dict(conn.execute(
                    f"SELECT chunk_key, content_hash FROM search_chunks WHERE removed_at IS NULL"
                    f" AND source_type = 'interaction' AND source_id IN ({','.join('?' * len(ids))})", ids))
            since = page[-1][0]
            self._apply(existing, [c for _, chunks, _ in page for c in chunks], {"interaction_rowid": since})
            count += len(page)

    def _follow_links(self, since: int) -> int:
        count = 0
        while True:
            with self.db.read() as conn:
                page = sources.links_after(conn, since, PAGE)
                if not page:
                    return count
                desired, existing = [], {}
                for _, message_id, investor_id in page:
                    desired += sources.email_pair_chunks(conn, message_id, investor_id)
                    existing.update(conn.execute(
                        "SELECT chunk_key, content_hash FROM search_chunks WHERE removed_at IS NULL"
                        " AND source_type = 'email' AND source_id = ? AND investor_id = ?", (message_id, investor_id)))
            since = page[-1][0]
            self._apply(existing, desired, {"link_rowid": since})
            count += len(page)

    def _scan_all(self, progress: dict | None, cursor: dict | None = None) -> int:
        """Every investor (live, or archived with chunks still indexed), every type."""
        with self.db.read() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM investors WHERE archived_at IS NULL UNION"
                " SELECT DISTINCT investor_id FROM search_chunks WHERE removed_at IS NULL AND investor_id IS NOT NULL")]
        if progress is not None:
            progress["total"] = len(ids)
        for start in range(0, len(ids), INVESTOR_BATCH):
            part = ids[start:start + INVESTOR_BATCH]
            last = start + INVESTOR_BATCH >= len(ids)
            self._refresh_investors(part, sources.ALL_TYPES, cursor if last else None)
            if progress is not None:
                progress["done"] = min(len(ids), start + INVESTOR_BATCH)
        if not ids and cursor:
            with self.db.transaction() as conn:
                self._save(conn, cursor)
        return len(ids)

    def _rebuild(self) -> dict:
        self.rebuild_requested = False
        self.progress = {"done": 0, "total": 0}
        try:
            with self.db.transaction() as conn:
                self._save(conn, {"rebuild": "1"})
            self.index.drop()
            with self.db.read() as conn:
                now = sources.cursors_now(conn)
            with self.db.transaction() as conn:
                conn.execute("UPDATE search_chunks SET removed_at = ? WHERE removed_at IS NULL", (utc_now(),))
                self._save(conn, {k: 0 for k in CURSORS})
            self.encoder = SparseEncoder()
            total = self._scan_all(self.progress, cursor={**now, "rebuild": "0", "tokenizer": TOKENIZER_VERSION})
            self._last_reconcile = time.monotonic()
            return {"rebuilt": total}
        finally:
            self.progress = None

    # -- writing ----------------------------------------------------------------------------------
    def _apply(self, existing: dict[str, str], desired: list[Chunk], cursor: dict | None) -> None:
        """Upsert what changed, delete what is gone (Qdrant first), then record it and the cursor."""
        wanted = {c.key for c in desired}
        changed = [c for c in desired if existing.get(c.key) != c.content_hash]
        gone = [k for k in existing if k not in wanted]
        for start in range(0, len(changed), EMBED_BATCH):
            self._upsert(changed[start:start + EMBED_BATCH])
        self.index.delete(gone)
        if not (changed or gone or cursor):
            return
        now = utc_now()
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO search_chunks (chunk_key, source_type, source_id, investor_id, content_hash, indexed_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT(chunk_key) DO UPDATE SET source_type = excluded.source_type,"
                " source_id = excluded.source_id, investor_id = excluded.investor_id,"
                " content_hash = excluded.content_hash, indexed_at = excluded.indexed_at, removed_at = NULL",
                [(c.key, c.type, c.source_id, c.investor_id, c.content_hash, now) for c in changed])
            conn.executemany("UPDATE search_chunks SET removed_at = ? WHERE chunk_key = ?", [(now, k) for k in gone])
            values = dict(cursor or {})
            if changed:
                values.update(sparse_docs=self.encoder.docs, sparse_len=self.encoder.total_len)
            if values:
                self._save(conn, values)

    def _upsert(self, chunks: list[Chunk]) -> None:
        texts = [document_text(c) for c in chunks]
        dense = None
        if self.embed is not None:
            dense = self.embed(texts)
            dim = len(dense[0])
            if self.index.exists and self.index.dim != dim:
                self.rebuild_requested = True  # another model (or size) than the collection was made for
                raise RuntimeError(f"the embedding size changed ({self.index.dim} -> {dim}); rebuilding the index")
            self.index.ensure(dim)
        else:
            self.index.ensure(None)
        items = []
        for i, chunk in enumerate(chunks):
            items.append((chunk.key, chunk.payload(), self.encoder.document(texts[i]), dense[i] if dense else None))
        self.index.upsert(items)
        self.upserted += len(items)


class IndexerThread(PeriodicThread):
    """Runs `Indexer.sync` every INTERVAL_SECONDS (woken at once by a rebuild request)."""

    def __init__(self, indexer: Indexer, interval: float = INTERVAL_SECONDS):
        super().__init__("search-indexer", interval, first_delay=0.5)
        self.indexer = indexer

    def run_once(self):
        return json.loads(json.dumps(self.indexer.sync(), default=str))
