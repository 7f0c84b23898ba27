"""A built index loaded for serving: vectors, BM25, chunks and documents, checked against its manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from corpus.errors import ChunkNotFound, DocumentNotFound
from corpus.ingest import Document, load_saved
from corpus.model import Chunk
from index.build import FORMAT_VERSION, Manifest, current_build
from index.embedders import Embedder
from index.errors import IndexCorrupt, IndexMismatch, IndexMissing


@dataclass
class IndexStore:
    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    documents: dict[str, Document]
    vectors: faiss.Index
    bm25: bm25s.BM25
    _by_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}

    def chunk(self, chunk_id: str) -> Chunk:
        try:
            return self.chunks[self._by_id[chunk_id]]
        except KeyError:
            raise ChunkNotFound(f"no chunk '{chunk_id}'") from None

    def position(self, chunk_id: str) -> int:
        return self._by_id[chunk_id]

    def document(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise DocumentNotFound(f"no document '{doc_id}'") from None

    def dense_scores(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, cosine scores) of the k nearest chunks."""
        k = min(k, self.vectors.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self.vectors.search(query_vector.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def _read_faiss(path: Path) -> faiss.Index:
    # Memory-map so several workers share one copy of the vectors through the page cache; plain IO_FLAG_MMAP
    # still copied flat/HNSW data into each process (147 MB each at 100k, evals/bench/faiss_scale.py).
    try:
        return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
    except RuntimeError:
        return faiss.read_index(str(path))


def load_index(root: Path, embedder: Embedder) -> IndexStore:
    """The current index under `root`; raises IndexMissing / IndexMismatch / IndexCorrupt with a fix."""
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index in {root}; build one with `policy-qa index`")
    return load_build(build, embedder)


def load_build(build: Path, embedder: Embedder) -> IndexStore:
    try:
        manifest = Manifest(**json.loads((build / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"index manifest in {build} is unreadable ({exc}); rebuild with `policy-qa index`") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch(f"index format {manifest.format_version} in {build} is not {FORMAT_VERSION}; "
                            "rebuild with `policy-qa index`")
    if manifest.embedder != embedder.model_id or manifest.dim != embedder.dim:
        raise IndexMismatch(
            f"index in {build} was built with embedder '{manifest.embedder}' ({manifest.dim}-d) but "
            f"'{embedder.model_id}' ({embedder.dim}-d) is configured; rebuild with `policy-qa index` "
            "or set POLICY_QA_EMBEDDER to the index's embedder")
    try:
        documents, chunks = load_saved(build)
        vectors = _read_faiss(build / "vectors.faiss")
        bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
    except Exception as exc:  # any unreadable file means the build is damaged, whatever the library says
        raise IndexCorrupt(f"index files in {build} are damaged ({type(exc).__name__}: {exc}); "
                           "rebuild with `policy-qa index`") from exc
    if vectors.ntotal != len(chunks) or vectors.d != embedder.dim or manifest.chunks != len(chunks):
        raise IndexCorrupt(f"index in {build} is inconsistent ({vectors.ntotal} vectors, {len(chunks)} chunks); "
                           "rebuild with `policy-qa index`")
    return IndexStore(build, manifest, chunks, {d.meta.doc_id: d for d in documents}, vectors, bm25)
