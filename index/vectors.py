"""Where a build's chunk vectors live and how the nearest ones are found. FAISS files inside the build
directory by default; a Milvus collection per build once one machine's memory is not enough
(docs/scaling.md). Either way the row number of a vector is the position of its chunk in the build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import faiss
import numpy as np

FAISS_FILE = "vectors.faiss"
# Filters admitting at most this many rows of an HNSW index are scored exactly (20k × 384 floats: ~3 ms).
HNSW_EXACT_BELOW = 20_000


class VectorIndex(Protocol):
    @property
    def ntotal(self) -> int: ...

    @property
    def dim(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, inner-product scores) of the k nearest vectors to one L2-normalised query, among the
        positions in `allowed` (int64) when given."""
        ...


@dataclass(frozen=True)
class VectorStoreConfig:
    backend: str = "faiss"  # "faiss" | "milvus"
    hnsw_threshold: int = 200_000  # exact search below this many vectors, HNSW from here on
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_prefix: str = "policy_qa"  # collection names are <prefix>_<build id>; one prefix per deployment
    timeout_s: float = 10.0


@dataclass(frozen=True)
class StoredVectors:
    """What the manifest records: enough to open the vectors again."""

    backend: str
    kind: str  # e.g. IndexFlatIP, HNSW
    location: str  # a file in the build directory, or a collection name


class FaissVectors:
    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def ntotal(self) -> int:
        return self.index.ntotal

    @property
    def dim(self) -> int:
        return self.index.d

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.ntotal if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            hnsw = getattr(self.index, "hnsw", None)
            if hnsw is not None and len(allowed) <= HNSW_EXACT_BELOW:
                # A graph walk can miss rows a selective filter leaves isolated; few rows are cheap to score all.
                scores = self.index.reconstruct_batch(allowed) @ query.astype(np.float32)
                best = np.argsort(-scores, kind="stable")[:k]
                return allowed[best].astype(np.int64), scores[best]
            # The filter inside the search: k nearest among the allowed rows, not all n scored and then cut.
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = (faiss.SearchParametersHNSW(sel=selector, efSearch=max(hnsw.efSearch, k)) if hnsw is not None
                      else faiss.SearchParameters(sel=selector))
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def make_faiss_index(vectors: np.ndarray, hnsw_threshold: int) -> faiss.Index:
    """Exact inner product while brute force is cheap; HNSW past `hnsw_threshold` vectors
    (evals/bench/faiss_scale.py measures where flat search stops being cheap)."""
    dim = vectors.shape[1]
    if len(vectors) < hnsw_threshold:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 96
    if len(vectors):
        index.add(vectors)
    return index
