"""The Qdrant side of search: one collection of chunks with a named sparse vector ("sparse", IDF
applied by Qdrant) and, when a local embedding model is configured, a named dense vector
("dense", cosine, its size taken from the model's first answer).

Embedded local mode by default (`QdrantClient(path=<data dir>/qdrant)`: one client per path per
process, so the app keeps exactly one `ChunkIndex`), or a Qdrant server at `CRM_QDRANT_URL`.
Point ids are uuid5 of the chunk key, so writing a chunk again replaces it.

Local mode (embedded or in-memory) has no inverted index of its own: qdrant-client scores every
point in Python for every sparse query. So in local mode `ChunkIndex` keeps its own
(`_SparseIndex`): term id -> postings {slot: weight}, and per slot the point id, the payload and
its terms. It is loaded once from the collection when the client opens (a scroll with the sparse
vectors and payloads) and updated by every `upsert`, `delete`, `ensure` and `drop` this class does
(the one writer: one client per path per process). Sparse queries are answered from it with the
same scoring Qdrant's IDF modifier uses:

    score(doc) = sum over query terms t in doc of  q_t * w_t,doc * idf(t)
    idf(t)     = ln((N - df(t) + 0.5) / (df(t) + 0.5) + 1)

N is the number of live points in the collection and df(t) the number of those whose sparse vector
has t, both over the whole collection (the filter narrows the hits, not the statistics), as Qdrant
does. Hybrid in local mode fuses that sparse ranking with Qdrant's own dense query (same filter
and limit) by RRF exactly as Qdrant's `Fusion.RRF` does: score = sum over the two lists of
1 / (position + k), position from 0, k = 2 (qdrant_client.hybrid.fusion.DEFAULT_RANKING_CONSTANT_K;
the server's default is the same). A Qdrant server (`CRM_QDRANT_URL`) has an inverted index of its
own: there both queries stay Qdrant's.
"""
from __future__ import annotations

import heapq
import math
import threading
import uuid
import warnings
from pathlib import Path


COLLECTION = "crm_chunks"
NAMESPACE = uuid.UUID("5d0c1c5e-7f0a-4c47-9c1e-3a9f2b6d8e11")
RRF_K = 2           # Qdrant's RRF ranking constant (qdrant_client.hybrid.fusion.DEFAULT_RANKING_CONSTANT_K)
SCROLL_PAGE = 1000


def _qdrant():
    """qdrant-client, imported on first use (it takes seconds to import; start-up does not wait)."""
    import qdrant_client
    from qdrant_client import models
    return qdrant_client.QdrantClient, models


def point_id(chunk_key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, chunk_key))


class ChunkIndex:
    """A thread-safe wrapper of one Qdrant client and the one collection it keeps."""

    def __init__(self, path: Path | None = None, url: str = "", client=None, local: bool | None = None):
        self._path, self._url = path, url
        self._client = client
        self._lock = threading.RLock()
        self.dim: int | None = None     # the dense size of the open collection; None: sparse only
        self.exists = False
        # local mode: our own inverted index answers sparse queries (see the module docstring)
        self.local = (not url) if local is None else local
        self.sparse_index: _SparseIndex | None = _SparseIndex() if self.local else None

    @property
    def location(self) -> str:
        return self._url or str(self._path or ":memory:")

    def client(self):
        with self._lock:
            if self._client is None:
                QdrantClient, _ = _qdrant()
                if self._url:
                    self._client = QdrantClient(url=self._url, timeout=30)
                elif self._path is None:
                    self._client = QdrantClient(location=":memory:")
                else:
                    self._path.mkdir(parents=True, exist_ok=True)
                    self._client = QdrantClient(path=str(self._path))
                self._load()
            return self._client

    def _load(self) -> None:
        client = self._client
        self.exists = client.collection_exists(COLLECTION)
        self.dim = None
        if self.exists:
            vectors = client.get_collection(COLLECTION).config.params.vectors
            if isinstance(vectors, dict) and "dense" in vectors:
                self.dim = vectors["dense"].size
        if self.sparse_index is not None:
            self.sparse_index.clear()
            if self.exists:
                self._load_sparse()

    def _load_sparse(self) -> None:
        """Read every point's sparse vector and payload into the in-memory inverted index."""
        offset = None
        while True:
            points, offset = self._client.scroll(COLLECTION, limit=SCROLL_PAGE, offset=offset, with_payload=True,
                                                 with_vectors=["sparse"])
            for point in points:
                vector = (point.vector or {}).get("sparse") if isinstance(point.vector, dict) else None
                indices, values = (list(vector.indices), list(vector.values)) if vector is not None else ([], [])
                self.sparse_index.put(str(point.id), point.payload or {}, indices, values)
            if offset is None:
                return

    def ensure(self, dim: int | None) -> None:
        """The collection exists with a dense vector of size `dim` (None: sparse only)."""
        client, models = self.client(), _qdrant()[1]
        with self._lock:
            if self.exists and self.dim == dim:
                return
            if self.exists:
                client.delete_collection(COLLECTION)
            client.create_collection(
                COLLECTION,
                vectors_config={"dense": models.VectorParams(size=dim, distance=models.Distance.COSINE)} if dim else {},
                sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)})
            self.exists, self.dim = True, dim
            if self.sparse_index is not None:
                self.sparse_index.clear()

    def drop(self) -> None:
        client = self.client()
        with self._lock:
            if client.collection_exists(COLLECTION):
                client.delete_collection(COLLECTION)
            self.exists, self.dim = False, None
            if self.sparse_index is not None:
                self.sparse_index.clear()

    def upsert(self, items: list[tuple[str, dict, tuple[list[int], list[float]], list[float] | None]]) -> None:
        """(chunk key, payload, sparse (indices, values), dense or None) for each chunk."""
        if not items:
            return
        models = _qdrant()[1]
        points = []
        for key, payload, (indices, values), dense in items:
            vector: dict = {"sparse": models.SparseVector(indices=indices, values=values)}
            if dense is not None and self.dim:
                vector["dense"] = dense
            points.append(models.PointStruct(id=point_id(key), vector=vector, payload=payload))
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # local mode's "more than 20,000 points" advice: see docs/search.md
            self.client().upsert(COLLECTION, points=points, wait=True)
            if self.sparse_index is not None:
                for point, (_, payload, (indices, values), _) in zip(points, items):
                    self.sparse_index.put(point.id, payload, list(indices), list(values))

    def delete(self, keys: list[str]) -> None:
        if keys and self.exists:
            models = _qdrant()[1]
            ids = [point_id(k) for k in keys]
            with self._lock:
                self.client().delete(COLLECTION, points_selector=models.PointIdsList(points=ids), wait=True)
                if self.sparse_index is not None:
                    for pid in ids:
                        self.sparse_index.remove(pid)

    def count(self) -> int:
        if not self.exists:
            return 0
        with self._lock:
            return self.client().count(COLLECTION, exact=True).count

    def search(self, sparse: tuple[list[int], list[float]], dense: list[float] | None, filters: dict,
               limit: int) -> list[tuple[float, dict]]:
        """(score, payload) of the best chunks: dense and sparse each with the filter, fused with
        RRF (hybrid), or the sparse query alone."""
        if not self.exists:
            return []
        models = _qdrant()[1]
        flt = _filter(filters)
        sparse_vector = models.SparseVector(indices=sparse[0], values=sparse[1])
        with self._lock:
            client = self.client()
            if self.sparse_index is not None:
                return self._search_local(client, sparse, dense, filters, flt, limit)
            if dense is not None and self.dim:
                answer = client.query_points(
                    COLLECTION, prefetch=[
                        models.Prefetch(query=dense, using="dense", filter=flt, limit=limit),
                        models.Prefetch(query=sparse_vector, using="sparse", filter=flt, limit=limit)],
                    query=models.FusionQuery(fusion=models.Fusion.RRF), limit=limit, with_payload=True)
            elif sparse[0]:
                answer = client.query_points(COLLECTION, query=sparse_vector, using="sparse", query_filter=flt,
                                             limit=limit, with_payload=True)
            else:
                return []
        return [(point.score, point.payload or {}) for point in answer.points]

    def _search_local(self, client, sparse, dense, filters: dict, flt, limit: int) -> list[tuple[float, dict]]:
        ranked = self.sparse_index.search(sparse[0], sparse[1], filters, limit) if sparse[0] else []
        if dense is None or not self.dim:
            return [(score, payload) for score, _, payload in ranked]
        answer = client.query_points(COLLECTION, query=dense, using="dense", query_filter=flt, limit=limit,
                                     with_payload=True)
        # RRF as Qdrant's Fusion.RRF: dense list first, then sparse; ties keep first-seen order
        scores: dict[str, float] = {}
        payloads: dict[str, dict] = {}
        dense_hits = [(str(p.id), p.payload or {}) for p in answer.points]
        sparse_hits = [(pid, payload) for _, pid, payload in ranked]
        for hits in (dense_hits, sparse_hits):
            for position, (pid, payload) in enumerate(hits):
                scores[pid] = scores.get(pid, 0.0) + 1.0 / (position + RRF_K)
                payloads.setdefault(pid, payload)
        fused = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:limit]
        return [(score, payloads[pid]) for pid, score in fused]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _filter(filters: dict):
    models = _qdrant()[1]
    must: list = []
    if filters.get("investor_id"):
        must.append(models.FieldCondition(key="investor_id", match=models.MatchValue(value=filters["investor_id"])))
    if filters.get("type"):
        must.append(models.FieldCondition(key="type", match=models.MatchValue(value=filters["type"])))
    if filters.get("from_ts") is not None or filters.get("to_ts") is not None:
        must.append(models.FieldCondition(key="ts", range=models.Range(gte=filters.get("from_ts"),
                                                                        lt=filters.get("to_ts"))))
    return models.Filter(must=must) if must else None


class _SparseIndex:
    """The in-memory inverted index of local mode: term id -> {slot: weight}, and per slot the
    point id, payload and terms (so an update or delete takes its old postings out)."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.postings: dict[int, dict[int, float]] = {}
        self.slot_of: dict[str, int] = {}
        self.points: list[str | None] = []      # slot -> point id (None: free)
        self.payloads: list[dict | None] = []
        self.terms: list[list[int] | None] = []
        self.free: list[int] = []

    def __len__(self) -> int:
        return len(self.slot_of)

    def put(self, pid: str, payload: dict, indices: list[int], values: list[float]) -> None:
        self.remove(pid)
        if self.free:
            slot = self.free.pop()
            self.points[slot], self.payloads[slot], self.terms[slot] = pid, payload, list(indices)
        else:
            slot = len(self.points)
            self.points.append(pid)
            self.payloads.append(payload)
            self.terms.append(list(indices))
        self.slot_of[pid] = slot
        for term, weight in zip(indices, values):
            self.postings.setdefault(int(term), {})[slot] = float(weight)

    def remove(self, pid: str) -> None:
        slot = self.slot_of.pop(pid, None)
        if slot is None:
            return
        for term in self.terms[slot] or ():
            posting = self.postings.get(term)
            if posting is not None:
                posting.pop(slot, None)
                if not posting:
                    del self.postings[term]
        self.points[slot] = self.payloads[slot] = self.terms[slot] = None
        self.free.append(slot)

    def search(self, indices: list[int], values: list[float], filters: dict,
               limit: int) -> list[tuple[float, str, dict]]:
        """(score, point id, payload) of the best `limit` points matching `filters`, scored as Qdrant's IDF
        modifier scores a sparse query (see the module docstring)."""
        n = len(self.slot_of)
        scores: dict[int, float] = {}
        for term, q in zip(indices, values):
            posting = self.postings.get(int(term))
            if not posting:
                continue
            df = len(posting)
            weight = q * math.log((n - df + 0.5) / (df + 0.5) + 1)
            for slot, w in posting.items():
                scores[slot] = scores.get(slot, 0.0) + w * weight
        keep = _matcher(filters)
        payloads = self.payloads
        if keep is not None:
            scores = {slot: score for slot, score in scores.items() if keep(payloads[slot])}
        best = heapq.nlargest(limit, scores.items(), key=lambda item: item[1])
        return [(score, self.points[slot], payloads[slot]) for slot, score in best]


def _matcher(filters: dict):
    """The payload test `_filter` asks of Qdrant, in Python (None: no filter)."""
    investor, kind = filters.get("investor_id"), filters.get("type")
    lo, hi = filters.get("from_ts"), filters.get("to_ts")
    if not (investor or kind or lo is not None or hi is not None):
        return None

    def keep(payload: dict) -> bool:
        if investor and payload.get("investor_id") != investor:
            return False
        if kind and payload.get("type") != kind:
            return False
        if lo is not None or hi is not None:
            ts = payload.get("ts")
            if not isinstance(ts, (int, float)) or isinstance(ts, bool):
                return False
            if lo is not None and ts < lo:
                return False
            if hi is not None and ts >= hi:
                return False
        return True
    return keep
