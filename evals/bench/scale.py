"""The whole question path (POST /api/ask's `ask()`: analysis, dense + BM25 search, document boosts, judge,
composers) on indexes of 10k and 100k chunks (1M with --sizes … 1000000 if memory and time allow), with and
without filters: p50/p95 latency and its ratio to one bare query embedding in the same run, index memory per
chunk, and HNSW recall@10 for a few M/efSearch settings. Prints figures; asserts nothing.

    python -m evals.bench.scale [--sizes 10000 100000] [--questions 40] [--hnsw-m 16 32] [--ef 96 192 384]

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
import gc
import multiprocessing
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
from index.build import build_index
from index.cache import EmbeddingCache, content_key
from index.embedders import Embedder, make_embedder
from index.store import load_build
from index.vectors import VectorStoreConfig
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


def recall_table(vectors: np.ndarray, queries: np.ndarray, ms: list[int], efs: list[int]) -> None:
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    print(f"\n## HNSW recall@10 on {len(vectors):,} real-based vectors, {len(queries)} real questions "
          "(efConstruction 80)\n")
    print("| M | efSearch | recall@10 | query ms | exact ms |")
    print("|---|---|---|---|---|")
    started = time.perf_counter()
    exact.search(queries, 10)
    exact_ms = (time.perf_counter() - started) * 1000 / len(queries)
    for m in ms:
        index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(vectors)
        for ef in efs:
            index.hnsw.efSearch = ef
            started = time.perf_counter()
            _, found = index.search(queries, 10)
            per_query = (time.perf_counter() - started) * 1000 / len(queries)
            recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
            print(f"| {m} | {ef} | {recall:.3f} | {per_query:.2f} | {exact_ms:.2f} |", flush=True)
        del index


def measure(build: Path, questions: list[str]) -> list[tuple[str, float, float, float, float]]:
    """In a fresh process: (filter, p50 ms, p95 ms, bare embedding p50 ms, index MB) per filter."""
    faiss.omp_set_num_threads(1)
    settings = Settings()
    embedder = Cached(make_embedder(settings.embedder))
    embedder.embed_queries(questions[:2])
    gc.collect()
    before = rss_mb()
    store = load_build(build, embedder, VectorStoreConfig(hnsw_threshold=settings.hnsw_threshold))
    retriever = Retriever(store, embedder, settings.retrieval_config())
    index_mb = rss_mb() - before
    region = next(iter(store.documents.values())).meta.region
    rows = []
    for label, filters in (("none", None), (f"region {region}", Filters(region=region)),
                           ("years 2018-2021", Filters(year_from=2018, year_to=2021))):
        runs = [(q, retriever, store, filters) for q in questions]
        one(runs[0], settings)  # warm-up
        times = timed(lambda run: one(run, settings), runs)
        unit = statistics.median(timed(lambda q: embedder.embed_queries([q]), questions))
        rows.append((label, pct(times, 50), pct(times, 95), unit, index_mb))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--hnsw-m", type=int, nargs="*", default=[16, 32])
    parser.add_argument("--ef", type=int, nargs="+", default=[96, 192, 384])
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/policy-qa-scale"))
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # a shared machine: one core, and figures that do not depend on the others' load

    settings = Settings()
    embedder = make_embedder(settings.embedder)
    chunks, documents, vectors = real_chunks(settings, embedder)
    questions = [q.question for q in load_questions()][: args.questions]
    query_vectors = embedder.embed_queries(questions)
    print(f"{len(chunks)} real chunks with cached {embedder.model_id} vectors; {len(questions)} questions; the "
          "ratios' unit is one bare query embedding, timed beside each row\n")
    print("| chunks | documents | filter | p50 ms | p95 ms | p50 / embedding | p95 / embedding | "
          "index MB (RSS) | KB per chunk | build s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        started = time.perf_counter()
        copies, docs, cache = replicate(chunks, documents, vectors, n)
        build = build_index(docs, copies, Cached(embedder), args.work_dir / f"n{n}", vector_store=VectorStoreConfig(
            hnsw_threshold=settings.hnsw_threshold), show_progress=False, force=True, cache=cache)
        build_s = time.perf_counter() - started
        del copies, cache
        # Loaded and timed in a fresh process, so its memory growth is the index's alone.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
            rows = child.submit(measure, build, questions).result()
        for label, p50, p95, unit, index_mb in rows:
            print(f"| {n:,} | {len(docs):,} | {label} | {p50:.0f} | {p95:.0f} | {p50 / unit:.1f} | {p95 / unit:.1f} | "
                  f"{index_mb:.0f} | {index_mb * 1024 / n:.1f} | {build_s:.0f} |", flush=True)
    if args.hnsw_m:
        n = max(args.sizes)
        copies, _, cache = replicate(chunks, documents, vectors, n)
        recall_table(np.stack([cache.get(content_key(c.search_text)) for c in copies]), query_vectors,
                     args.hnsw_m, args.ef)


if __name__ == "__main__":
    main()
