"""Build the search index from ingested chunks: FAISS vectors, a BM25 index, the chunk and document
stores and a manifest, written to a temporary directory and swapped in atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from corpus.chunker import CHUNKER_VERSION
from corpus.ingest import Document, IngestResult, save
from corpus.model import Chunk
from index.cache import EmbeddingCache, content_key
from index.embedders import Embedder
from index.errors import IndexBusy
from index.tokenize import tokenize

FORMAT_VERSION = 1
CURRENT = "CURRENT"  # file naming the live build directory; replaced atomically


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder: str
    dim: int
    chunker_version: str
    corpus_hash: str
    documents: int
    chunks: int
    faiss_index: str
    built_at: str
    build_seconds: float
    embedded_chunks: int  # chunks embedded in this build; the rest came from the cache

    def to_dict(self) -> dict:
        return asdict(self)


def corpus_hash(chunks: list[Chunk]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.chunk_id.encode())
        digest.update(content_key(chunk.search_text).encode())
    return digest.hexdigest()[:16]


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


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(f"another index build is running in {root}") from exc
        yield


def embed_chunks(chunks: list[Chunk], embedder: Embedder, cache: EmbeddingCache,
                 show_progress: bool = True) -> tuple[np.ndarray, int]:
    """Vectors for every chunk's search_text, from the cache where possible; returns (vectors, newly embedded)."""
    keys = [content_key(c.search_text) for c in chunks]
    missing = sorted({k: c.search_text for k, c in zip(keys, chunks, strict=True) if cache.get(k) is None}.items())
    if missing:
        with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not show_progress) as bar:
            vectors = embedder.embed_passages([text for _, text in missing], progress=bar.update)
        for (key, _), vector in zip(missing, vectors, strict=True):
            cache.put(key, vector)
    if not chunks:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.stack([cache.get(k) for k in keys]).astype(np.float32), len(missing)


def build_index(documents: list[Document], chunks: list[Chunk], embedder: Embedder, root: Path, *,
                hnsw_threshold: int = 200_000, show_progress: bool = True, keep_builds: int = 2) -> Path:
    """Build a new index under `root` and make it current; returns its directory.

    Nothing is visible to readers until the final rename of CURRENT, so a build that fails or is
    killed leaves the previous index serving."""
    started = time.perf_counter()
    with build_lock(root):
        for stale in root.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed build
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        tmp = root / f".tmp-{build_id}"
        tmp.mkdir()
        cache = EmbeddingCache(root / "cache", embedder.model_id)
        vectors, embedded = embed_chunks(chunks, embedder, cache, show_progress)
        index = make_faiss_index(vectors, hnsw_threshold)
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        bm25 = bm25s.BM25()
        bm25.index([tokenize(c.search_text) or ["∅"] for c in chunks] or [["∅"]], show_progress=False)
        bm25.save(str(tmp / "bm25"), show_progress=False)
        save(IngestResult(documents=documents, chunks=chunks), tmp)
        manifest = Manifest(
            format_version=FORMAT_VERSION, embedder=embedder.model_id, dim=embedder.dim,
            chunker_version=CHUNKER_VERSION, corpus_hash=corpus_hash(chunks), documents=len(documents),
            chunks=len(chunks), faiss_index=type(index).__name__,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3), embedded_chunks=embedded,
        )
        (tmp / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8")
        final = root / build_id
        tmp.rename(final)
        _write_current(root, build_id)
        cache.save(keep={content_key(c.search_text) for c in chunks})
        _prune(root, keep_builds)
        return final


def _write_current(root: Path, build_id: str) -> None:
    tmp = root / f"{CURRENT}.tmp"
    tmp.write_text(build_id, encoding="utf-8")
    with tmp.open() as fh:
        os.fsync(fh.fileno())
    tmp.replace(root / CURRENT)


def current_build(root: Path) -> Path | None:
    pointer = root / CURRENT
    if not pointer.exists():
        return None
    path = root / pointer.read_text(encoding="utf-8").strip()
    return path if path.is_dir() else None


def _prune(root: Path, keep: int) -> None:
    """Keep the newest builds: a worker still reading the previous one is not pulled from under it."""
    builds = sorted(p for p in root.iterdir() if p.is_dir() and p.name[:1].isdigit())
    for old in builds[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
