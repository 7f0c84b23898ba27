"""Retrieval quality and speed on the development set, each row measured in this run:
dense-only, BM25-only, hybrid (the product), and a naive baseline (RecursiveCharacterTextSplitter
500/50 over the raw files + the same embedder + FAISS flat).

    python -m evals.bench.retrieval [--data-dir DIR]   (prints a Markdown table)
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter

from app.service import QAService
from app.settings import Settings
from corpus.lang.text import normalize_width
from evals.dataset import Question, load_questions
from evals.run import gold_ids as evals_gold_ids
from retriever.hybrid import Hit, Retriever


def gold_ids(q: Question, hits: list[Hit], doc_ids: dict[str, str]) -> tuple[str, ...]:
    as_dicts = [{"chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "text": h.chunk.text,
                 "measure": h.chunk.measure} for h in hits]
    return tuple(evals_gold_ids(q, as_dicts, doc_ids))


def rank_metrics(ranked: list[list[str]], golds: list[tuple[str, ...]]) -> dict[str, float]:
    h1 = h5 = mrr = 0.0
    for ids, gold in zip(ranked, golds, strict=True):
        pos = next((i for i, c in enumerate(ids[:10]) if c in gold), None)
        h1 += pos == 0
        h5 += pos is not None and pos < 5
        mrr += 1 / (pos + 1) if pos is not None else 0
    n = max(1, len(golds))
    return {"hit@1": h1 / n, "hit@5": h5 / n, "mrr@10": mrr / n}


def naive_baseline(service: QAService, questions: list[Question]) -> dict[str, float]:
    """Hits are judged by gold facts: a naive chunk has no measure id, so it counts when it contains a fact."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    texts = [t for f in sorted(service.settings.corpus_dir.glob("*")) for t in splitter.split_text(f.read_text())]
    vectors = service.embedder.embed_passages(texts)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    ranked, golds = [], []
    for q in questions:
        _, ids = index.search(service.embedder.embed_queries([q.question]), 10)
        ranked.append([str(i) for i in ids[0]])
        golds.append(tuple(str(i) for i, t in enumerate(texts)
                           if all(normalize_width(f) in normalize_width(t) for f in q.facts[:1])))
    return rank_metrics(ranked, golds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    service = QAService(settings)
    questions = [q for q in load_questions() if q.answerable]
    english = [q for q in questions if q.lang == "en"]
    doc_ids = {d.meta.source_file: d.meta.doc_id for d in service.store.documents.values()}
    base = settings.retrieval_config()
    modes = {
        "dense only": replace(base, bm25_weight=0.0, structure=False),
        "BM25 only": replace(base, dense_weight=0.0, structure=False),
        "hybrid RRF, no structure": replace(base, structure=False),
        "hybrid (product)": base,
    }
    print(f"{len(questions)} answerable questions ({len(english)} English)\n")
    print("| system | hit@1 | hit@5 | MRR@10 | EN hit@5 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for name, config in modes.items():
        retriever = Retriever(service.store, service.embedder, config)
        ranked, golds, times = [], [], []
        for q in questions:
            t = time.perf_counter()
            hits = retriever.search(q.question, 10)
            times.append((time.perf_counter() - t) * 1000)
            ranked.append([h.chunk.chunk_id for h in hits])
            golds.append(gold_ids(q, hits, doc_ids))
        m = rank_metrics(ranked, golds)
        en = rank_metrics([r for r, q in zip(ranked, questions, strict=True) if q.lang == "en"],
                          [g for g, q in zip(golds, questions, strict=True) if q.lang == "en"])
        p95 = float(np.percentile(times, 95))
        print(f"| {name} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} | {en['hit@5']:.3f} | "
              f"{statistics.median(times):.1f} | {p95:.1f} |")
    m = naive_baseline(service, questions)
    print(f"| naive baseline (500/50 splitter + flat) | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['mrr@10']:.3f} "
          "| – | – | – |")
    embed = []
    for q in questions:
        t = time.perf_counter()
        service.embedder.embed_queries([q.question])
        embed.append((time.perf_counter() - t) * 1000)
    print(f"\nbare query embedding p50 {statistics.median(embed):.1f} ms; hybrid search p50 ÷ embedding p50 "
          "is the ratio to report")


if __name__ == "__main__":
    main()
