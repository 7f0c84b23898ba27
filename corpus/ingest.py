"""Ingest: source files → cleaned documents + measure chunks, with a report per document."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from corpus.catalog import DEFAULT_CATALOG, infer_meta, load_catalog
from corpus.chunker import ChunkerConfig, chunk_document
from corpus.clean import clean_text
from corpus.errors import BadDocument, CorpusMissing
from corpus.loaders import SUPPORTED_SUFFIXES, load_text
from corpus.model import INTRO, MEASURE, Chunk, DocumentMeta, DocumentReport

Catalog = dict[str, DocumentMeta]  # by source file name


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    text: str  # cleaned text; chunk offsets point into it


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    reports: list[DocumentReport] = field(default_factory=list)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files to ingest: each path itself, or a directory's files (sorted, hidden ones skipped). A path that
    does not exist is an error, not an empty corpus."""
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CorpusMissing(f"no such file or folder: {', '.join(missing)}")
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        else:
            files.append(path)
    return files


@dataclass(frozen=True)
class FileResult:
    """One file read, cleaned and chunked; `document` is None when it could not be (the report says why)."""

    report: DocumentReport
    document: Document | None
    chunks: list[Chunk]


def read_file(path: Path, catalog: Catalog, config: ChunkerConfig | None = None) -> FileResult:
    """Read, clean and chunk one file; a file that cannot be read is reported, never raised."""
    report = DocumentReport(doc_id="", source_file=path.name)
    try:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise BadDocument(str(path), f"unsupported file type '{path.suffix}'")
        cleaned = clean_text(load_text(path))
        if not cleaned.text.strip():
            raise BadDocument(str(path), "no text left after removing page debris")
    except BadDocument as exc:
        report.error = exc.reason
        return FileResult(report, None, [])
    meta = catalog.get(path.name) or infer_meta(path.name, cleaned.text, cleaned.removed_lines)
    chunked = chunk_document(meta, cleaned.text, config)
    report.doc_id = meta.doc_id
    report.chunks = len(chunked.chunks)
    report.measures = len({c.measure for c in chunked.chunks if c.kind in (MEASURE, INTRO) and c.measure})
    report.units_parsed = len({c.measure for c in chunked.chunks if c.lead_units or c.responsible_units})
    report.warnings = chunked.warnings
    if cleaned.removed_lines:
        report.warnings.append(f"removed {len(cleaned.removed_lines)} page-debris line(s)")
    return FileResult(report, Document(meta, cleaned.text), chunked.chunks)


# A worker process's catalogue and chunker settings, set once by its initializer rather than sent with each file.
_worker_args: tuple[Catalog, ChunkerConfig | None] | None = None


def _start_worker(catalog_path: Path, config: ChunkerConfig | None) -> None:
    global _worker_args
    _worker_args = (load_catalog(catalog_path), config)


def _read_in_worker(path: Path) -> FileResult:
    assert _worker_args is not None
    return read_file(path, *_worker_args)


def iter_ingest(files: Iterable[Path], catalog_path: Path = DEFAULT_CATALOG, config: ChunkerConfig | None = None,
                workers: int = 0) -> Iterator[FileResult]:
    """Every file's result in the given order, as soon as it and those before it are ready. With `workers` ≥ 1
    files are read in that many processes (spawned: the parent may hold torch's threads, which do not survive
    a fork), so a caller embedding one file's chunks overlaps the reading of the next ones. A document id seen
    before is reported as a duplicate and dropped."""
    files = list(files)
    seen_ids: set[str] = set()
    if workers >= 1 and files:
        pool = ProcessPoolExecutor(min(workers, len(files)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(catalog_path, config))
        results = pool.map(_read_in_worker, files, chunksize=1)
    else:
        pool = None
        catalog = load_catalog(catalog_path)
        results = (read_file(path, catalog, config) for path in files)
    try:
        for result in results:
            if result.document is not None:
                if result.report.doc_id in seen_ids:
                    result.report.error = f"duplicate document id '{result.report.doc_id}'"
                    result.report.doc_id = ""
                    result = FileResult(result.report, None, [])
                else:
                    seen_ids.add(result.report.doc_id)
            yield result
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def ingest_files(files: Iterable[Path], catalog_path: Path = DEFAULT_CATALOG,
                 config: ChunkerConfig | None = None, workers: int = 0) -> IngestResult:
    """Ingest every file; a file that cannot be read is reported and skipped, never fatal."""
    result = IngestResult()
    for one in iter_ingest(files, catalog_path, config, workers):
        result.reports.append(one.report)
        if one.document is not None:
            result.documents.append(one.document)
            result.chunks.extend(one.chunks)
    return result


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    """Write atomically: readers never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    tmp.replace(path)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def save(result: IngestResult, out_dir: Path) -> tuple[Path, Path]:
    """Write chunks.jsonl and documents.jsonl (metadata + cleaned text) into out_dir."""
    chunks_path, docs_path = out_dir / "chunks.jsonl", out_dir / "documents.jsonl"
    write_jsonl(chunks_path, (c.to_dict() for c in result.chunks))
    write_jsonl(docs_path, ({**d.meta.to_dict(), "text": d.text} for d in result.documents))
    return chunks_path, docs_path


def load_saved(out_dir: Path) -> tuple[list[Document], list[Chunk]]:
    docs = [Document(DocumentMeta.from_dict(row), row["text"]) for row in read_jsonl(out_dir / "documents.jsonl")]
    chunks = [Chunk.from_dict(row) for row in read_jsonl(out_dir / "chunks.jsonl")]
    return docs, chunks
