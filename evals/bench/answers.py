"""Answer quality and /api/ask latency on the development set, in-process through the real HTTP app:
fact recall, answers with an unsupported number, abstention accuracy, false abstention, and p50/p95
latency as a ratio to one bare query embedding measured in the same run.

    python -m evals.bench.answers [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from app.main import create_api
from app.service import QAService
from app.settings import Settings
from corpus.lang.numbers import unsupported_quantities
from corpus.lang.text import normalize_for_search
from evals.dataset import load_questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    settings = Settings(rate_limit_per_minute=100_000, log_json=False,
                        **({"data_dir": args.data_dir} if args.data_dir else {}))
    service = QAService(settings)
    questions = load_questions()
    recalls, unsupported, abstain_ok, false_abstain, latency, embed = [], 0, [], [], [], []
    with TestClient(create_api(settings, service)) as client:
        for q in questions:
            t = time.perf_counter()
            body = client.post("/api/ask", json={"question": q.question}).json()
            latency.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            service.embedder.embed_queries([q.question])
            embed.append((time.perf_counter() - t) * 1000)
            evidence = [f"{c['title']} {c['measure']} {c['text']}" for c in body["citations"]]
            unsupported += bool(unsupported_quantities(body["answer"], evidence))
            if q.answerable:
                false_abstain.append(body["abstained"])
                answer = normalize_for_search(body["answer"])
                got = [normalize_for_search(f) in answer for f in q.facts]
                recalls.append(sum(got) / len(got))
                if args.show_failures and not all(got):
                    print(f"MISS {q.id} {q.question} | {body['answer'][:120]!r}")
            else:
                abstain_ok.append(body["abstained"])
                if args.show_failures and not body["abstained"]:
                    print(f"NO-ABSTAIN {q.id} {q.question} | {body['answer'][:100]!r}")
    p50, p95 = statistics.median(latency), float(np.percentile(latency, 95))
    e50 = statistics.median(embed)
    print(f"questions: {len(questions)} ({len(recalls)} answerable, {len(abstain_ok)} unanswerable)")
    print(f"fact recall (answerable): {statistics.mean(recalls):.3f}")
    print(f"answers with an unsupported number: {unsupported} / {len(questions)}")
    print(f"abstention accuracy (unanswerable): {statistics.mean(abstain_ok):.3f}")
    print(f"false abstention (answerable): {statistics.mean(false_abstain):.3f}")
    print(f"/api/ask p50 {p50:.1f} ms, p95 {p95:.1f} ms; bare query embedding p50 {e50:.1f} ms; "
          f"ratio p50 {p50 / e50:.2f}x, p95 {p95 / e50:.2f}x")


if __name__ == "__main__":
    main()
