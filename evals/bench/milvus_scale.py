"""The Milvus vector backend against FAISS on the same vectors, through the production code paths
(index.milvus.write_collection / MilvusVectors.search, index.vectors.make_faiss_index): write time
(insert + flush + every row visible), single-query search p50/p95 from this process over loopback,
and recall@10 against exact FAISS flat search. Starts a Milvus standalone server from the `milvus` wheel
unless --uri names one. Prints Markdown; asserts nothing.

    python -m evals.bench.milvus_scale [--sizes 10000 100000] [--queries 200] [--uri http://host:19530]
                                       [--vectors FILE]   (real vectors, as in evals.bench.faiss_scale)
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from evals.bench.faiss_scale import K, bench_vectors, recall_at_k, single_query_ms
from index.vectors import VectorStoreConfig
from index.vectors.faiss_backend import make_faiss_index
from index.vectors.milvus_backend import MilvusVectors, drop_collections, write_collection


@contextlib.contextmanager
def milvus_server(uri: str | None) -> Iterator[str]:
    if uri:
        yield uri
        return
    from milvus import MilvusServer

    with tempfile.TemporaryDirectory(prefix="milvus-bench-") as base:
        server = MilvusServer()
        server.set_base_dir(base)
        server.start()
        try:
            yield f"http://127.0.0.1:{server.listen_port}"
        finally:
            server.stop()


def search_ms(vectors: MilvusVectors, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    for q in queries[:5]:  # warm-up
        vectors.search(q, K)
    ids = np.full((len(queries), K), -1, dtype=np.int64)
    times = np.empty(len(queries))
    for i, q in enumerate(queries):
        started = time.perf_counter()
        found, _ = vectors.search(q, K)
        times[i] = (time.perf_counter() - started) * 1000
        ids[i, :len(found)] = found
    return ids, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--uri", help="an existing Milvus server; default: start one from the milvus wheel")
    parser.add_argument("--vectors", type=Path, help="real vectors (.npy or an embedding cache .npz)")
    args = parser.parse_args()

    base, queries, sizes, source = bench_vectors(args.sizes, args.queries, args.vectors)

    rows = []
    with milvus_server(args.uri) as uri:
        for n in sizes:
            flat = make_faiss_index(base[:n], ann_threshold=n + 1)
            truth, faiss_times = single_query_ms(flat, queries)
            for kind, threshold in (("FLAT", n + 1), ("IVF_FLAT", 1)):
                config = VectorStoreConfig(backend="milvus", ann_threshold=threshold, milvus_uri=uri,
                                           milvus_prefix="bench", timeout_s=120)
                started = time.perf_counter()
                stored = write_collection(base[:n], f"{kind}_{n}", config)
                write_s = time.perf_counter() - started
                ids, times = search_ms(MilvusVectors.open(stored, config), queries)
                rows.append((n, kind, write_s, *np.percentile(times, [50, 95]), recall_at_k(ids, truth),
                             float(np.percentile(faiss_times, 50))))
                drop_collections(set(), config)

    print(f"## Milvus backend ({source}, {args.queries} single queries, top-{K}, server at {uri})\n")
    print("| N | Milvus index | write s | search p50 ms | search p95 ms | recall@10 vs exact | "
          "FAISS flat p50 ms (same run) |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, kind, write_s, p50, p95, recall, faiss_p50 in rows:
        print(f"| {n:,} | {kind} | {write_s:.1f} | {p50:.2f} | {p95:.2f} | {recall:.3f} | {faiss_p50:.2f} |")


if __name__ == "__main__":
    main()
