"""The Qdrant side of search: one collection of chunks with a named sparse vector ("sparse", IDF
applied by Qdrant) and, when a local embedding model is configured, a named dense vector
("dense", cosine, its size taken from the model's first answer).

Embedded local mode by default (`QdrantClient(path=<data dir>/qdrant)`: one client per path per
process, so the app keeps exactly one `ChunkIndex`), or a Qdrant server at `CRM_QDRANT_URL`.
Point ids are uuid5 of the chunk key, so writing a chunk again replaces it. Local mode searches by
brute force and is comfortable up to about 20,000 points (qdrant-client warns above that).
"""
from __future__ import annotations

import threading
import uuid
import warnings
from pathlib import Path


COLLECTION = "crm_chunks"
NAMESPACE = uuid.UUID("5d0c1c5e-7f0a-4c47-9c1e-3a9f2b6d8e11")


def _qdrant():
    """qdrant-client, imported on first use (it takes seconds to import; start-up does not wait)."""
    import qdrant_client
    from qdrant_client import models
    return qdrant_client.QdrantClient, models


def point_id(chunk_key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, chunk_key))


class ChunkIndex:
    """A thread-safe wrapper of one Qdrant client and the one collection it keeps."""

    def __init__(self, path: Path | None = None, url: str = "", client=None):
        self._path, self._url = path, url
        self._client = client
        self._lock = threading.RLock()
        self.dim: int | None = None     # the dense size of the open collection; None: sparse only
        self.exists = False

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

    def drop(self) -> None:
        client = self.client()
        with self._lock:
            if client.collection_exists(COLLECTION):
                client.delete_collection(COLLECTION)
            self.exists, self.dim = False, None

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

    def delete(self, keys: list[str]) -> None:
        if keys and self.exists:
            models = _qdrant()[1]
            with self._lock:
                self.client().delete(COLLECTION, points_selector=models.PointIdsList(points=[point_id(k) for k in keys]),
                                     wait=True)

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
