"""Corpus files → a published index, with reading and embedding overlapped: worker processes read, clean and
chunk the files while this process embeds the chunks of those already read (the embedder keeps its cores busy
in C, off the GIL), then build_index writes and publishes what was embedded, from the cache."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from corpus.chunker import ChunkerConfig
from corpus.ingest import Document, discover, iter_ingest
from corpus.model import Chunk
from index.build import build_index, embed_texts
from index.cache import EmbeddingCache
from index.embedders import Embedder
from index.vectors import VectorStoreConfig

EMBED_BATCH = 64  # chunks gathered before embedding: big enough for length-sorted batches, small enough to overlap


class CorpusSettings(Protocol):
    """What a build reads from the settings (app.settings.Settings has it; index/ does not import app/)."""

    corpus_dir: Path
    catalog: Path
    index_dir: Path
    ingest_workers: int
    max_document_loss: float

    def chunker_config(self) -> ChunkerConfig: ...

    def vector_store_config(self) -> VectorStoreConfig: ...


def build_from_corpus(settings: CorpusSettings, embedder: Embedder, paths: list[Path] | None = None,
                      show_progress: bool = True, force: bool = False) -> Path:
    """Ingest the corpus (or `paths`) and build a new current index (build_from_files); returns the build
    directory. An empty corpus, or one that lost too many documents, is refused unless `force`d."""
    return build_from_files(discover(paths or [settings.corpus_dir]), settings.catalog, settings.chunker_config(),
                            embedder, settings.index_dir, workers=settings.ingest_workers,
                            vector_store=settings.vector_store_config(), show_progress=show_progress,
                            max_document_loss=settings.max_document_loss, force=force)


def ingest_workers(files: int, requested: int = 0) -> int:
    """Processes reading files: `requested`, or with 0 none (read in this process) unless the corpus is big and
    the cores many. Measured here (`python -m evals.bench.ingest --parallel`): a spawned reader takes ~5 s to
    start (importing the language layer) while a file reads in ~16 ms, and on 2 cores the readers only take
    cycles from the embedder (cold build 0.89x, 200-file re-index 0.54x the serial speed)."""
    if requested:
        return requested
    cores = len(os.sched_getaffinity(0))
    return min(4, cores // 2) if files >= 500 and cores >= 4 else 0


def build_from_files(files: list[Path], catalog: Path, chunker: ChunkerConfig | None, embedder: Embedder,
                     root: Path, *, workers: int = 0, vector_store: VectorStoreConfig | None = None,
                     show_progress: bool = True, max_document_loss: float = 1.0, force: bool = False) -> Path:
    """Ingest `files` and build a new current index under `root` (index.build.build_index); returns its
    directory. Progress (files read and embedded, with an ETA) and the throughput go to stderr when
    `show_progress`."""
    started = time.perf_counter()
    cache = EmbeddingCache(root / "cache", embedder.model_id)
    documents: list[Document] = []
    chunks: list[Chunk] = []
    pending: list[str] = []
    embedded = 0

    def embed_pending() -> None:
        nonlocal embedded, pending
        embedded += embed_texts(pending, embedder, cache, show_progress=False)[1]
        pending = []

    # The bar advances as files are read *and* their chunks embedded, so its ETA follows the slower of the two.
    with tqdm(total=len(files), desc="ingest", unit="file", disable=not show_progress) as bar:
        for result in iter_ingest(files, catalog, chunker, ingest_workers(len(files), workers)):
            if result.document is not None:
                documents.append(result.document)
                chunks.extend(result.chunks)
                pending.extend(c.search_text for c in result.chunks)
            if len(pending) >= EMBED_BATCH:
                embed_pending()
            bar.update()
            bar.set_postfix(chunks=len(chunks), embedded=embedded, refresh=False)
        embed_pending()
    build = build_index(documents, chunks, embedder, root, vector_store=vector_store, show_progress=show_progress,
                        max_document_loss=max_document_loss, force=force, cache=cache, started=started)
    if show_progress:
        seconds = time.perf_counter() - started
        tqdm.write(f"ingested {len(documents)} of {len(files)} files, {len(chunks)} chunks ({embedded} embedded, "
                   f"the rest cached) in {seconds:.1f} s: {len(files) / seconds:.2f} files/s, "
                   f"{len(chunks) / seconds:.1f} chunks/s", file=sys.stderr)
    return build
