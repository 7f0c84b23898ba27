"""Vectors in a FAISS file inside the build directory: exact inner-product search below
`ann_threshold` vectors, an inverted-file index (IVF) from there on (evals/bench/ann.py chose it: the table
is in docs/scaling.md)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from index.vectors.base import StoredVectors, VectorIndex, VectorStoreConfig, ivf_nlist

FAISS_FILE = "vectors.faiss"
# Filters admitting at most this many rows of an approximate index are scored exactly (20k × 384 floats: ~3 ms):
# a graph walk misses rows a selective filter leaves isolated, and IVF's probed lists may hold none of them.
EXACT_BELOW = 20_000
IVF_TRAIN_PER_LIST = 40  # k-means sample: 40 vectors per list (faiss warns below 39)


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
        query = query.astype(np.float32)
        exact = isinstance(self.index, faiss.IndexFlat)
        if allowed is not None and not exact and len(allowed) <= EXACT_BELOW:
            # Few rows are cheap to score all, and an approximate walk could miss them.
            scores = self.index.reconstruct_batch(allowed) @ query
            best = np.argsort(-scores, kind="stable")[:k]
            return allowed[best].astype(np.int64), scores[best]
        params = None if allowed is None else self._filtered(allowed, k)
        scores, ids = self.index.search(query.reshape(1, -1), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _filtered(self, allowed: np.ndarray, k: int) -> faiss.SearchParameters:
        """The filter inside the search: k nearest among the allowed rows, not all n scored and then cut. A bitmap
        (n bits) rather than a hash set of the allowed ids, which costs time per allowed row on every query."""
        mask = np.zeros(self.ntotal, dtype=bool)
        mask[allowed] = True
        selector = faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))
        if isinstance(self.index, faiss.IndexHNSW):
            return faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.index.hnsw.efSearch, k))
        if isinstance(self.index, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.index.nprobe)
        return faiss.SearchParameters(sel=selector)


def make_faiss_index(vectors: np.ndarray, ann_threshold: int,
                     nprobe: int = VectorStoreConfig.ivf_nprobe) -> faiss.Index:
    """Exact inner product while brute force is cheap; IVF past `ann_threshold` vectors, searching `nprobe` lists
    (stored in the file; FaissStore.open sets the configured one)."""
    dim = vectors.shape[1]
    if len(vectors) < ann_threshold:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = ivf_nlist(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).permutation(len(vectors))[: nlist * IVF_TRAIN_PER_LIST]
        index.train(vectors[np.sort(sample)])
        index.set_direct_map_type(faiss.DirectMap.Array)  # row → vector, for exactly scored selective filters
        index.nprobe = nprobe
    if len(vectors):
        index.add(vectors)
    return index


class FaissStore:
    def __init__(self, config: VectorStoreConfig) -> None:
        self.config = config

    def build(self, vectors: np.ndarray, build_dir: Path, build_id: str) -> StoredVectors:
        index = make_faiss_index(vectors, self.config.ann_threshold, self.config.ivf_nprobe)
        faiss.write_index(index, str(build_dir / FAISS_FILE))
        return StoredVectors("faiss", type(index).__name__, FAISS_FILE)

    def open(self, stored: StoredVectors, build_dir: Path) -> VectorIndex:
        path = build_dir / stored.location
        # Memory-map so several workers share one copy of the vectors through the page cache; plain IO_FLAG_MMAP
        # still copied flat/HNSW data into each process (147 MB each at 100k, evals/bench/faiss_scale.py).
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
        except RuntimeError:
            index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = self.config.ivf_nprobe  # a search setting, so a change needs no rebuild
        return FaissVectors(index)

    def drop(self, keep_build_ids: set[str]) -> None:
        """Nothing: FAISS files go with their build directory."""
