"""evals.run: the whole dev set through the real app must clear the CI thresholds, and the naive
baseline must be built, searched and judged as evals/README.md describes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from evals.dataset import Question, load_questions
from evals.run import build_baseline, run_eval

# CI thresholds (evals/README.md): a little under the product's measured figures on the dev set.
THRESHOLDS = {"hit@5": 0.90, "fact_recall": 0.70, "unanswerable_accuracy": 0.70}


@pytest.mark.slow
def test_dev_set_clears_ci_thresholds(client, tmp_path: Path) -> None:
    questions = load_questions()
    results = run_eval(client, questions, tmp_path, baseline=False)
    agg = results["systems"]["system"]["aggregate"]
    assert agg["n"] == len(questions)
    for metric, floor in THRESHOLDS.items():
        assert agg[metric] >= floor, f"{metric} {agg[metric]:.3f} < {floor}"
    assert agg["numeric_faithfulness"] == 1.0
    assert agg["false_abstention_rate"] <= 0.08
    assert set(agg["latency_ms"]) == {"/api/search", "/api/ask"}
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| system |" in report and "least faithful" in report and "baseline" not in results["systems"]
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert len(saved["systems"]["system"]["questions"]) == len(questions)
    for png in ("metrics.png", "latency.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


class FakeEmbedder:
    """Deterministic unit vectors from character counts: texts sharing characters point the same way."""

    model_id = "fake:chars"
    dim = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, int(hashlib.md5(ch.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_passages(self, texts: list[str], **_: object) -> np.ndarray:
        return self._embed(list(texts))


def test_baseline_on_tiny_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("全市稀土产业产值达到1000亿元以上。" * 40, encoding="utf-8")
    (corpus / "b.txt").write_text("全年新建公共充电桩2000台。", encoding="utf-8")
    baseline = build_baseline(corpus, FakeEmbedder(), cache_dir=tmp_path / "cache")
    assert len(baseline.texts) > 2 and all(len(t) <= 500 for t in baseline.texts)
    assert baseline.sources[-1] == "b"

    question = Question("q1", "新建公共充电桩多少台?", "zh", "number", True, (), ("2000台",), ())
    ranked = baseline.search(question.question)
    assert ranked[0][0] == len(baseline.texts) - 1  # the charging passage first
    answer = baseline.answer(ranked)
    assert answer["abstained"] is False and len(answer["citations"]) == 3
    assert answer["answer"].startswith("全年新建公共充电桩2000台。[1]")
    assert answer["citations"][0]["chunk_id"] == f"baseline:{len(baseline.texts) - 1}"
    assert baseline.gold_ids(question) == [f"baseline:{len(baseline.texts) - 1}"]

    again = build_baseline(corpus, FakeEmbedder(), cache_dir=tmp_path / "cache")  # from the cache
    assert again.search(question.question) == ranked

    results = run_eval(lambda path, payload: {"hits": [{"chunk_id": "x"}]} if path == "/api/search" else
                       {"answer": "", "citations": [], "abstained": True, "confidence": 0.0},
                       [question], tmp_path / "out", baseline=baseline)
    base = results["systems"]["baseline"]["aggregate"]
    assert base["hit@1"] == 1.0 and base["fact_recall"] == 1.0 and base["false_abstention_rate"] == 0.0
    assert results["systems"]["system"]["aggregate"]["false_abstention_rate"] == 1.0
    assert "| baseline |" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
