"""The one interface every vector backend implements, and what a build records about its vectors.

A backend (`VectorStore`) builds a build's vectors, opens them again, and drops what builds no longer kept;
what it opens (`VectorIndex`) counts its vectors and searches them, with a filter. The row number of a vector
is the position of its chunk in the build, whichever backend holds it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

IVF_NLIST_PER_SQRT = 4  # IVF lists: 4·√n (faiss's guideline is 4-16·√n), so 4,000 at 1M vectors


def ivf_nlist(n: int) -> int:
    """How many lists an IVF index of n vectors has, in either backend."""
    return max(1, int(IVF_NLIST_PER_SQRT * n ** 0.5))


@dataclass(frozen=True)
class VectorStoreConfig:
    backend: str = "faiss"  # "faiss" | "milvus"
    ann_threshold: int = 50_000  # exact search below this many vectors, approximate (IVF) from here on
    ivf_nprobe: int = 32  # IVF lists searched per query
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_prefix: str = "policy_qa"  # collection names are <prefix>_<build id>; one prefix per deployment
    timeout_s: float = 10.0


@dataclass(frozen=True)
class StoredVectors:
    """What the manifest records: enough to open the vectors again."""

    backend: str
    kind: str  # e.g. IndexFlatIP, IndexIVFFlat, HNSW
    location: str  # a file in the build directory, or a collection name


class VectorIndex(Protocol):
    """A build's vectors, opened for search."""

    @property
    def ntotal(self) -> int:
        """How many vectors: one per chunk."""
        ...

    @property
    def dim(self) -> int: ...

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, inner-product scores) of the k nearest vectors to one L2-normalised query, best first,
        among the positions in `allowed` (sorted int64) when given."""
        ...


class VectorStore(Protocol):
    """A backend: where builds' vectors are written, opened and dropped."""

    def build(self, vectors: np.ndarray, build_dir: Path, build_id: str) -> StoredVectors:
        """Store a new build's vectors (row i = chunk i); returns what the manifest records."""
        ...

    def open(self, stored: StoredVectors, build_dir: Path) -> VectorIndex: ...

    def drop(self, keep_build_ids: set[str]) -> None:
        """Free what builds other than these hold outside their directory (pruned, or killed midway)."""
        ...
