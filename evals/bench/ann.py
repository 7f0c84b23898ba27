"""Which FAISS index keeps recall@10 ≥ 0.95 at what cost: exact search, HNSW and IVF on real e5 vectors
replicated to N, with the real questions as queries. Prints Markdown; asserts nothing.

    python -m evals.bench.ann [--sizes 100000 1000000] [--hnsw-m 32] [--ef 100 256] [--nprobe 16 32 64]

Recall@10 is measured as the retriever searches: it asks for `candidates` (100) neighbours and fuses them, so
the table gives recall@10 of a k=100 search (the ten best of what came back against the exact ten) and
recall@100. Two ways to reach N from the ~1.7k real vectors, both printed, because they stress an index
differently:

- **copies**: each real vector plus Gaussian noise (cosine ≈ 0.95 to it), as evals.bench.scale builds its
  chunks. At 1M that is ~600 near-duplicates per real passage: the exact top ten are ten copies of one
  passage, told apart by noise alone — the worst case for a graph walk.
- **mixtures**: each vector a random real vector plus a random share (0-0.6) of another real one, plus the
  same noise: points spread between real passages, as a large corpus of distinct passages on the same topics.

Builds use two threads (one machine shared with others: the build figures are indicative); searches one.
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from app.settings import Settings
from evals.bench.scale import NOISE, real_chunks
from evals.dataset import load_questions
from index.embedders import make_embedder
from index.vectors.base import IVF_NLIST_PER_SQRT, ivf_nlist

CANDIDATES = 100  # what retriever.hybrid asks the vector store for


def synthetic(base: np.ndarray, n: int, kind: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        rows = np.arange(start, min(n, start + 100_000))
        block = base[rows % len(base)].copy()
        if kind == "mixtures":
            other = base[rng.integers(0, len(base), len(rows))]
            block += rng.uniform(0, 0.6, (len(rows), 1)).astype(np.float32) * other
        noisy = rows >= len(base)  # the first copy of each real vector is the vector itself
        block[noisy] += rng.normal(0, NOISE, (int(noisy.sum()), base.shape[1])).astype(np.float32)
        out[rows] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def timed_search(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    """(ids, p50 ms, p95 ms) of one query at a time."""
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return np.stack(found), float(np.percentile(times, 50)), float(np.percentile(times, 95))


def recall(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)]))


def row(n: int, kind: str, name: str, setting: str, index: faiss.Index, queries: np.ndarray, truth: np.ndarray,
        build_s: float, bytes_per_vector: float) -> None:
    found, p50, p95 = timed_search(index, queries, CANDIDATES)
    print(f"| {n:,} | {kind} | {name} | {setting} | {recall(found, truth, 10):.3f} | {recall(found, truth, 100):.3f} "
          f"| {p50:.2f} | {p95:.2f} | {build_s:.0f} | {bytes_per_vector:,.0f} |", flush=True)


def bytes_per_vector(index: faiss.Index) -> float:
    """Memory the index holds per vector: the vectors, plus IVF's ids and centroids or HNSW's links."""
    n, d = index.ntotal, index.d
    if isinstance(index, faiss.IndexIVF):
        return 4 * d + 8 + index.nlist * 4 * d / n
    if isinstance(index, faiss.IndexHNSW):
        return 4 * d + (index.hnsw.neighbors.size() * 4 + index.hnsw.levels.size() * 4) / n + 8
    return 4 * d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--kinds", nargs="+", default=["copies", "mixtures"], choices=["copies", "mixtures"])
    parser.add_argument("--hnsw-m", type=int, nargs="*", default=[32])
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef", type=int, nargs="+", default=[100, 256, 512])
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()

    settings = Settings()
    embedder = make_embedder(settings.embedder)
    _, _, base = real_chunks(settings, embedder)
    questions = [q.question for q in load_questions()][: args.questions]
    queries = embedder.embed_queries(questions).astype(np.float32)
    times = []
    for question in questions[:20]:
        started = time.perf_counter()
        embedder.embed_queries([question])
        times.append((time.perf_counter() - started) * 1000)
    embed_ms = float(np.median(times))
    print(f"{len(base)} real vectors, {len(queries)} real questions; one query embedding ≈ {embed_ms:.0f} ms here. "
          f"Search k={CANDIDATES} one query at a time, one thread.\n")
    print("| vectors | made by | index | setting | recall@10 | recall@100 | p50 ms | p95 ms | build s | bytes/vector |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        for kind in args.kinds:
            vectors = synthetic(base, n, kind)
            faiss.omp_set_num_threads(1)
            flat = faiss.IndexFlatIP(vectors.shape[1])
            flat.add(vectors)
            truth, _, _ = timed_search(flat, queries, CANDIDATES)
            row(n, kind, "flat", "exact", flat, queries, truth, 0, bytes_per_vector(flat))
            del flat
            faiss.omp_set_num_threads(2)
            started = time.perf_counter()
            nlist = ivf_nlist(n)
            quantizer = faiss.IndexFlatIP(vectors.shape[1])
            ivf = faiss.IndexIVFFlat(quantizer, vectors.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
            ivf.train(vectors[np.random.default_rng(1).permutation(n)[: nlist * 40]])
            ivf.add(vectors)
            build_s = time.perf_counter() - started
            faiss.omp_set_num_threads(1)
            size = bytes_per_vector(ivf)
            for nprobe in args.nprobe:
                ivf.nprobe = nprobe
                row(n, kind, "IVF-flat", f"nlist {nlist} ({IVF_NLIST_PER_SQRT}·√n), nprobe {nprobe}", ivf, queries,
                    truth, build_s, size)
            del ivf
            for m in args.hnsw_m:
                faiss.omp_set_num_threads(2)
                started = time.perf_counter()
                hnsw = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = args.ef_construction
                hnsw.add(vectors)
                build_s = time.perf_counter() - started
                faiss.omp_set_num_threads(1)
                size = bytes_per_vector(hnsw)
                for ef in args.ef:
                    hnsw.hnsw.efSearch = ef
                    row(n, kind, "HNSW", f"M {m}, efC {args.ef_construction}, efSearch {ef}", hnsw, queries, truth,
                        build_s, size)
                del hnsw
            del vectors


if __name__ == "__main__":
    main()
