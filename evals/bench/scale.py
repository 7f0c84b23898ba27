"""The whole question path (POST /api/ask's `ask()`: analysis, dense + BM25 search, document boosts, judge,
composers) on indexes of 10k and 100k chunks (1M with --sizes … 1000000 if memory and time allow), with and
without filters: p50/p95 latency and its ratio to one bare query embedding in the same run, index memory per
chunk. Prints figures; asserts nothing. (Which vector index, at what recall: evals/bench/ann.py.)

    python -m evals.bench.scale [--sizes 10000 100000 1000000] [--questions 40] [--reuse] [--profile]

The chunks are real: every chunk of the bundled and the unseen corpora with its real e5 vector (from the
embedding caches the eval builds leave in data/; chunks without a cached vector are left out), replicated
with variation to the size asked — each copy's text gets its own copy number and a figure changed, so BM25
sees distinct passages, and its vector the base vector plus Gaussian noise (cosine ≈ 0.95 to it), so the
neighbourhoods are those of real embeddings, not of uniform random points. Copies are grouped into documents
of 50 chunks with their base document's metadata (issuer, region, year varied), so per-document work scales
too. Queries are the question sets' questions through the real embedder.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import multiprocessing
import pstats
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np

from app.answer.pipeline import ask
from app.settings import Settings
from corpus.ingest import Document, discover, ingest_files
from corpus.model import Chunk
from evals.dataset import load_questions
from index.build import build_index, current_build
from index.cache import EmbeddingCache, content_key
from index.embedders import Embedder, make_embedder
from index.store import load_build
from retriever.hybrid import Filters, Retriever

REPO = Path(__file__).resolve().parents[2]
DOC_CHUNKS = 50
NOISE = 0.012  # per dimension on unit 384-d vectors: a copy keeps cosine ≈ 0.95 to its base


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def real_chunks(settings: Settings, embedder: Embedder) -> tuple[list[Chunk], dict[str, Document], np.ndarray]:
    """The bundled and unseen corpora's chunks that have a cached vector of this embedder, with the vectors."""
    caches = [EmbeddingCache(path.parent, embedder.model_id) for path in REPO.glob("data/**/cache/*.npz")]
    chunks, documents, vectors = [], {}, []
    for folder, catalog in ((settings.corpus_dir, settings.catalog),
                            (REPO / "evals" / "unseen" / "documents", REPO / "evals" / "unseen" / "none.yaml")):
        result = ingest_files(discover([folder]), catalog, workers=-1)  # a missing catalogue: metadata inferred
        documents.update({d.meta.doc_id: d for d in result.documents})
        for chunk in result.chunks:
            key = content_key(chunk.search_text)
            vector = next((v for c in caches if (v := c.get(key)) is not None), None)
            if vector is not None:
                chunks.append(chunk)
                vectors.append(vector)
    return chunks, documents, np.stack(vectors).astype(np.float32)


def replicate(chunks: list[Chunk], documents: dict[str, Document], vectors: np.ndarray,
              n: int) -> tuple[list[Chunk], list[Document], EmbeddingCache]:
    """`n` chunks copied from the real ones with variation, their documents, and a cache holding their vectors."""
    rng = np.random.default_rng(n)
    cache = EmbeddingCache(None, "scale")
    out_chunks: list[Chunk] = []
    out_docs: list[Document] = []
    for i in range(n):
        base = chunks[i % len(chunks)]
        copy = i // len(chunks)
        doc_id = f"d{i // DOC_CHUNKS}"
        if i % DOC_CHUNKS == 0:  # the document takes the metadata of its first chunk's document
            meta = documents[base.doc_id].meta
            year = (meta.year or 2020) - copy % 7
            out_docs.append(Document(replace(meta, doc_id=doc_id, title=f"{meta.title}（第{copy}版）",
                                             issue_date=f"{year}-06-01", doc_number=None),
                                     documents[base.doc_id].text))
        suffix = f" 第{copy}批，{rng.integers(2, 999)}项。" if copy else ""
        chunk = replace(base, doc_id=doc_id, chunk_id=f"{doc_id}:{i}", text=base.text + suffix,
                        search_text=base.search_text + suffix)
        vector = vectors[i % len(chunks)] + (rng.normal(0, NOISE, vectors.shape[1]) if copy else 0)
        cache.put(content_key(chunk.search_text), (vector / np.linalg.norm(vector)).astype(np.float32))
        out_chunks.append(chunk)
    return out_chunks, out_docs, cache


class Cached:
    """The embedder for queries; passages come from the prepared cache (build_index never calls this)."""

    def __init__(self, embedder: Embedder) -> None:
        self.model_id, self.dim, self._embedder = embedder.model_id, embedder.dim, embedder

    def embed_queries(self, texts):
        return self._embedder.embed_queries(texts)

    def embed_passages(self, texts, batch_size=32, progress=None):
        raise AssertionError("every passage vector is prepared")


def one(run: tuple, settings: Settings) -> None:
    """One question through the answer pipeline, as POST /api/ask runs it."""
    question, retriever, store, filters = run
    ask(question, retriever, store, top_k=settings.top_k, min_coverage=settings.abstain_min_coverage,
        min_translated=settings.abstain_min_translated, filters=filters)


def timed(fn, runs: list) -> list[float]:
    times = []
    for item in runs:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(build: Path, questions: list[str], profile: bool = False) -> list[tuple]:
    """In a fresh process: (filter, p50 ms, p95 ms, bare embedding p50 and p95 ms, index MB) per filter; with
    `profile`, the functions taking most time per question (cProfile) are printed after each filter."""
    faiss.omp_set_num_threads(1)
    settings = Settings()
    embedder = Cached(make_embedder(settings.embedder))
    embedder.embed_queries(questions[:2])
    gc.collect()
    before = rss_mb()
    store = load_build(build, embedder, settings.vector_store_config())
    retriever = Retriever(store, embedder, settings.retrieval_config())
    index_mb = rss_mb() - before
    region = next(iter(store.documents.values())).meta.region
    for question in questions:  # warm-up: what is read once per document or on first use (CC-CEDICT, tables)
        one((question, retriever, store, None), settings)
    rows = []
    for label, filters in (("none", None), (f"region {region}", Filters(region=region)),
                           ("years 2018-2021", Filters(year_from=2018, year_to=2021))):
        runs = [(q, retriever, store, filters) for q in questions]
        # Each question's bare embedding timed right before its ask, so both see the same load on a shared machine.
        units, times = [], []
        for run in runs:
            units += timed(lambda q: embedder.embed_queries([q]), [run[0]])
            times += timed(lambda r: one(r, settings), [run])
        rows.append((label, pct(times, 50), pct(times, 95), statistics.median(units), pct(units, 95), index_mb))
        if profile:
            profiler = cProfile.Profile()
            profiler.runcall(lambda todo=runs: [one(run, settings) for run in todo])
            print(f"\n### {len(store.chunks):,} chunks, filter {label}: cProfile, top functions by own time\n")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/policy-qa-scale"))
    parser.add_argument("--reuse", action="store_true", help="time the build a previous run left in --work-dir")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the questions per filter")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # a shared machine: one core, and figures that do not depend on the others' load

    settings = Settings()
    embedder = make_embedder(settings.embedder)
    chunks, documents, vectors = real_chunks(settings, embedder)
    questions = [q.question for q in load_questions()][: args.questions]
    print(f"{len(chunks)} real chunks with cached {embedder.model_id} vectors; {len(questions)} questions; the "
          "ratios' unit is one bare query embedding, timed beside each row\n")
    print("Vectors: the real ones plus noise (see the module docstring), so neighbourhoods are real embeddings'.\n")
    print("| chunks | documents | index | filter | p50 ms | p95 ms | p50 / embedding | p95 / embedding | "
          "embedding p95 / p50 | index MB (RSS) | KB per chunk | build s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        started = time.perf_counter()
        build = current_build(args.work_dir / f"n{n}") if args.reuse else None
        if build is None:
            copies, docs, cache = replicate(chunks, documents, vectors, n)
            build = build_index(docs, copies, Cached(embedder), args.work_dir / f"n{n}", show_progress=False,
                                vector_store=settings.vector_store_config(), force=True, cache=cache)
            del copies, docs, cache
        build_s = time.perf_counter() - started
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        # Loaded and timed in a fresh process, so its memory growth is the index's alone.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            rows = child.submit(measure, build, questions, args.profile).result()
        for label, p50, p95, unit, unit95, index_mb in rows:
            print(f"| {n:,} | {manifest['documents']:,} | {manifest['vector_index']} | {label} | {p50:.0f} | {p95:.0f} "
                  f"| {p50 / unit:.2f} | {p95 / unit:.2f} | {unit95 / unit:.2f} | {index_mb:.0f} "
                  f"| {index_mb * 1024 / n:.1f} | {build_s:.0f} |", flush=True)


if __name__ == "__main__":
    main()
