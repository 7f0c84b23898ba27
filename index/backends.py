"""Which vector backend a build uses: FAISS files in the build directory (default) or a Milvus server.
The one place that knows both; neither backend module imports the other."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import faiss
import numpy as np

from index.errors import VectorStoreUnavailable
from index.vectors import (
    FAISS_FILE,
    FaissVectors,
    StoredVectors,
    VectorIndex,
    VectorStoreConfig,
    make_faiss_index,
)


def _milvus() -> ModuleType:
    """index.milvus, imported only by deployments that use Milvus."""
    try:
        from index import milvus
    except ImportError as exc:
        raise VectorStoreUnavailable(f"the Milvus backend needs pymilvus: pip install 'policy-qa[milvus]' ({exc})") \
            from exc
    return milvus


def write_vectors(vectors: np.ndarray, build_dir: Path, build_id: str, config: VectorStoreConfig) -> StoredVectors:
    if config.backend == "milvus":
        return _milvus().write_collection(vectors, build_id, config)
    index = make_faiss_index(vectors, config.hnsw_threshold)
    faiss.write_index(index, str(build_dir / FAISS_FILE))
    return StoredVectors("faiss", type(index).__name__, FAISS_FILE)


def open_vectors(stored: StoredVectors, build_dir: Path, config: VectorStoreConfig) -> VectorIndex:
    if stored.backend == "milvus":
        return _milvus().MilvusVectors.open(stored, config)
    path = build_dir / stored.location
    # Memory-map so several workers share one copy of the vectors through the page cache; plain IO_FLAG_MMAP
    # still copied flat/HNSW data into each process (147 MB each at 100k, evals/bench/faiss_scale.py).
    try:
        return FaissVectors(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY))
    except RuntimeError:
        return FaissVectors(faiss.read_index(str(path)))


def drop_vectors(keep_build_ids: set[str], config: VectorStoreConfig) -> None:
    """Free what builds no longer kept (pruned, or killed midway) hold outside their directory."""
    if config.backend == "milvus":
        _milvus().drop_collections(keep_build_ids, config)
