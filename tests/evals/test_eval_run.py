"""evals.run: both question sets, calibration and held-out halves, through the real app must clear the CI
thresholds; and the naive baseline must be built, searched and judged as evals/README.md describes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.dataset import SETS, Gold, Question, load_questions
from evals.run import build_baseline, run_eval

# CI thresholds (evals/README.md), a few points under the figures measured on each half, the same for both
# halves: nothing here is fitted to the held-out half. Numbers absent from the citations: none, ever.
THRESHOLDS = {
    # measured (calibration / held-out, fourth session): right .867/.809, hit@5 .950/.936, declined .929/.846,
    # false abstention .033/.045
    "bundled": {"answers_right": 0.78, "hit@5": 0.90, "unanswerable_accuracy": 0.70, "false_abstention_rate": 0.08},
    # measured with the nine fresh documents' 117 questions: right .791/.624, hit@5 .851/.912, declined
    # .880/.833, false abstention .104/.152
    "unseen": {"answers_right": 0.58, "hit@5": 0.82, "unanswerable_accuracy": 0.72, "false_abstention_rate": 0.20},
}
CEILINGS = {"false_abstention_rate"}


@pytest.fixture(scope="module")
def unseen_client(tmp_path_factory: pytest.TempPathFactory, embedder):
    """The app over the unseen-document corpus, metadata inferred from the text (no catalogue)."""
    from fastapi.testclient import TestClient

    from app.main import create_api
    from app.service import QAService
    from app.settings import Settings

    data = tmp_path_factory.mktemp("unseen-data")
    qset = SETS["unseen"]
    settings = Settings(data_dir=data, corpus_dir=qset.corpus_dir, catalog=data / "no-catalog.yaml",
                        rate_limit_per_minute=100_000)
    with TestClient(create_api(settings, QAService(settings, embedder))) as client:
        yield client


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETS))
def test_question_sets_clear_ci_thresholds_on_both_halves(name, request, tmp_path: Path) -> None:
    client = request.getfixturevalue("client" if name == "bundled" else "unseen_client")
    questions = load_questions(SETS[name].path)
    results = run_eval(client, questions, tmp_path, baseline=False, name=name)
    system = results["systems"]["system"]
    assert system["aggregate"]["n"] == len(questions)
    for split in ("calibration", "heldout"):
        agg = system["by_split"][split]
        for metric, bound in THRESHOLDS[name].items():
            ok = agg[metric] <= bound if metric in CEILINGS else agg[metric] >= bound
            assert ok, f"{name} {split}: {metric} {agg[metric]:.3f} vs {bound}"
        assert agg["numbers_not_in_citations"] == 0, f"{name} {split}: an answer states a number its sources lack"
        assert agg["numeric_faithfulness"] == 1.0
        assert agg["heading_only"] == 0, f"{name} {split}: an answer is a heading or lead-in alone"
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| answers right |" in report and "held-out" in report and "least faithful" in report
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert len(saved["systems"]["system"]["questions"]) == len(questions)
    for png in ("metrics.png", "latency.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"


def test_baseline_on_tiny_corpus(tmp_path: Path, fake_embedder) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("全市稀土产业产值达到1000亿元以上。" * 40, encoding="utf-8")
    (corpus / "b.txt").write_text("全年新建公共充电桩2000台。", encoding="utf-8")
    baseline = build_baseline(corpus, fake_embedder, cache_dir=tmp_path / "cache")
    assert len(baseline.texts) > 2 and all(len(t) <= 500 for t in baseline.texts)
    assert baseline.sources[-1] == "b"

    question = Question("q1", "新建公共充电桩多少台?", "zh", "simplified", "number", True, "heldout",
                        (Gold("b.txt", "新建公共充电桩2000台"),), ("2000台",))
    ranked = baseline.search(question.question)
    assert ranked[0][0] == len(baseline.texts) - 1  # the charging passage first
    answer = baseline.answer(ranked)
    assert answer["abstained"] is False and len(answer["citations"]) == 3
    assert answer["answer"].startswith("全年新建公共充电桩2000台。[1]")
    assert answer["citations"][0]["chunk_id"] == f"baseline:{len(baseline.texts) - 1}"
    assert baseline.gold_ids(question) == [f"baseline:{len(baseline.texts) - 1}"]

    again = build_baseline(corpus, fake_embedder, cache_dir=tmp_path / "cache")  # from the cache
    assert again.search(question.question) == ranked

    def target(path: str, payload: dict) -> dict:
        if path == "/api/search":
            return {"hits": [{"chunk_id": "x", "doc_id": "b", "text": "全年新建公共充电桩2000台。"}]}
        return {"answer": "", "citations": [], "abstained": True, "confidence": 0.0}

    results = run_eval(target, [question], tmp_path / "out", baseline=baseline, doc_ids={"b.txt": "b"})
    base = results["systems"]["baseline"]["aggregate"]
    assert base["hit@1"] == 1.0 and base["fact_recall"] == 1.0 and base["false_abstention_rate"] == 0.0
    system = results["systems"]["system"]
    assert system["aggregate"]["hit@1"] == 1.0  # the gold span is found in the hit's text
    assert system["aggregate"]["false_abstention_rate"] == 1.0 and system["by_split"]["heldout"]["answers_right"] == 0
    assert "| baseline |" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
