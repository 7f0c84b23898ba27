"""A built index loaded for serving: vectors, BM25, chunks and documents, checked against its manifest."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

import numpy as np

from corpus.errors import ChunkNotFound, DocumentNotFound, PolicyQAError
from corpus.ingest import Document, load_saved
from corpus.lang.places import divisions_in, most_specific
from corpus.lang.text import normalize_for_search
from corpus.matrix import Matrix, matrix
from corpus.model import Chunk
from corpus.targets import Target, targets
from corpus.validity import Period, period
from index.build import FORMAT_VERSION, Manifest, current_build, file_checksum, library_versions
from index.embedders import Embedder
from index.errors import IndexCorrupt, IndexMismatch, IndexMissing
from index.sparse import BM25Index, SparseIndex
from index.tokenize import tokenizer_fingerprint
from index.vectors import VectorIndex, VectorStoreConfig, make_vector_store

T = TypeVar("T")

log = logging.getLogger("policy_qa.index")


@dataclass
class IndexStore:
    path: Path
    manifest: Manifest
    chunks: list[Chunk]
    documents: dict[str, Document]
    vectors: VectorIndex
    bm25: SparseIndex
    _by_id: dict[str, int] = field(default_factory=dict)
    _by_doc: dict[str, list[Chunk]] = field(default_factory=dict)
    _places: dict[str, frozenset[str]] = field(default_factory=dict)
    _tables: dict[tuple[str, str | None], object] = field(default_factory=dict)  # (table, doc_id) → read once

    def __post_init__(self) -> None:
        self._by_id = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        for chunk in self.chunks:
            self._by_doc.setdefault(chunk.doc_id, []).append(chunk)

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        """The document's chunks in reading order."""
        return self._by_doc.get(doc_id, [])

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

    def places(self, doc_id: str) -> frozenset[str]:
        """The administrative divisions the document is of (corpus.lang.places codes): the most specific its
        record names (title, issuer, region), else those its text names. Read once."""
        if doc_id not in self._places:
            doc = self.document(doc_id)
            record = normalize_for_search(f"{doc.meta.title} {doc.meta.issuer} {doc.meta.region}")
            self._places[doc_id] = most_specific(divisions_in(record) or divisions_in(normalize_for_search(doc.text)))
        return self._places[doc_id]

    def matrix(self, doc_id: str) -> Matrix:
        """The document's responsibility matrix (measures × units); read once."""
        return self._table("matrix", doc_id, lambda d: matrix(doc_id, d.meta.title, self.chunks_of(doc_id)))

    def targets(self, doc_id: str) -> list[Target]:
        """The quantified targets the document sets, in reading order; read once."""
        return self._table("targets", doc_id, lambda _: targets(self.chunks_of(doc_id)))

    def period(self, doc_id: str) -> Period | None:
        """The document's period of validity as its text states it; read once."""
        return self._table("period", doc_id, lambda d: period(d.meta.title, self.chunks_of(doc_id)))

    def derived(self, name: str, read: Callable[[IndexStore], T]) -> T:
        """A table a later stage derives from the whole index (e.g. which documents a place word points at),
        read once per build instead of once per question."""
        if (name, None) not in self._tables:
            self._tables[(name, None)] = read(self)
        return cast(T, self._tables[(name, None)])

    def _table(self, name: str, doc_id: str, read: Callable[[Document], T]) -> T:
        """One cache for the three tables: a build never changes, so each is read once per document."""
        if (name, doc_id) not in self._tables:
            self._tables[(name, doc_id)] = read(self.document(doc_id))
        return cast(T, self._tables[(name, doc_id)])

    def dense_scores(self, query_vector: np.ndarray, k: int,
                     allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, cosine scores) of the k nearest chunks, among the positions `allowed` when given."""
        return self.vectors.search(query_vector, k, allowed)


def load_index(root: Path, embedder: Embedder, vector_store: VectorStoreConfig | None = None) -> IndexStore:
    """The current index under `root`; raises IndexMissing / IndexMismatch / IndexCorrupt with a fix."""
    build = current_build(root)
    if build is None:
        raise IndexMissing(f"no index in {root}; build one with `policy-qa index`")
    return load_build(build, embedder, vector_store)


def check_build(build: Path) -> Manifest:
    """The build's manifest, once its format is this release's and every file matches its checksum;
    needs no embedder, so `serve` can check an index before workers load the model."""
    try:
        fields = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        version = fields.get("format_version")
        if version != FORMAT_VERSION:  # before reading the rest: other versions have other fields
            raise IndexMismatch(f"index format {version} in {build} is not {FORMAT_VERSION}; "
                                "rebuild with `policy-qa index`")
        manifest = Manifest(**fields)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise IndexCorrupt(f"index manifest in {build} is unreadable ({exc}); rebuild with `policy-qa index`") from exc
    if manifest.tokenizer and manifest.tokenizer != tokenizer_fingerprint():
        raise IndexMismatch(f"index in {build} was built with other BM25 tokens "
                            f"({_differences(manifest.tokenizer, tokenizer_fingerprint())}); "
                            "rebuild with `policy-qa index`")
    if manifest.libraries and manifest.libraries != library_versions():
        log.warning("index %s was built with other library versions (%s); it loads, but rebuild with `policy-qa "
                    "index` if results look wrong", build.name, _differences(manifest.libraries, library_versions()))
    changed = [name for name, digest in manifest.checksums.items() if file_checksum(build / name) != digest]
    if changed:
        raise IndexCorrupt(f"index files in {build} are damaged ({', '.join(changed)} changed or missing since "
                           "the build); rebuild with `policy-qa index`")
    return manifest


def _differences(built: dict[str, str], now: dict[str, str]) -> str:
    return ", ".join(f"{name} {built.get(name, '-')} then, {now.get(name, '-')} now"
                     for name in sorted(built.keys() | now.keys()) if built.get(name) != now.get(name))


def load_build(build: Path, embedder: Embedder, vector_store: VectorStoreConfig | None = None) -> IndexStore:
    manifest = check_build(build)
    if manifest.embedder != embedder.model_id or manifest.dim != embedder.dim:
        raise IndexMismatch(
            f"index in {build} was built with embedder '{manifest.embedder}' ({manifest.dim}-d) but "
            f"'{embedder.model_id}' ({embedder.dim}-d) is configured; rebuild with `policy-qa index` "
            "or set POLICY_QA_EMBEDDER to the index's embedder")
    try:
        documents, chunks = load_saved(build)
        bm25 = BM25Index.load(build)
        stored = manifest.stored_vectors
        vectors = make_vector_store(vector_store or VectorStoreConfig(), stored.backend).open(stored, build)
    except PolicyQAError:
        raise
    except Exception as exc:  # any unreadable file means the build is damaged, whatever the library says
        raise IndexCorrupt(f"index files in {build} are damaged ({type(exc).__name__}: {exc}); "
                           "rebuild with `policy-qa index`") from exc
    if vectors.ntotal != len(chunks) or vectors.dim != embedder.dim or manifest.chunks != len(chunks):
        raise IndexCorrupt(f"index in {build} is inconsistent ({vectors.ntotal} vectors, {len(chunks)} chunks); "
                           "rebuild with `policy-qa index`")
    return IndexStore(build, manifest, chunks, {d.meta.doc_id: d for d in documents}, vectors, bm25)
