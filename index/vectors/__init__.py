"""Where a build's chunk vectors live and how the nearest ones are found, the txtai way: one interface
(index.vectors.base), a module per backend, and this factory, the one place that knows them all. FAISS
files inside the build directory by default (faiss_backend); a Milvus collection per build once one
machine's memory is not enough (milvus_backend, docs/scaling.md), imported only when used."""

from __future__ import annotations

from index.errors import VectorStoreUnavailable
from index.vectors.base import StoredVectors, VectorIndex, VectorStore, VectorStoreConfig

__all__ = ["StoredVectors", "VectorIndex", "VectorStore", "VectorStoreConfig", "make_vector_store"]


def make_vector_store(config: VectorStoreConfig, backend: str | None = None) -> VectorStore:
    """The backend `backend` (default: the configured one) with this configuration."""
    backend = backend or config.backend
    if backend == "milvus":
        try:
            from index.vectors.milvus_backend import MilvusStore
        except ImportError as exc:
            raise VectorStoreUnavailable(f"the Milvus backend needs pymilvus: pip install 'policy-qa[milvus]' "
                                         f"({exc})") from exc
        return MilvusStore(config)
    if backend == "faiss":
        from index.vectors.faiss_backend import FaissStore
        return FaissStore(config)
    raise VectorStoreUnavailable(f"unknown vector backend '{backend}' (faiss or milvus)")
