"""Fit the judge's coverage thresholds on the calibration halves only: `python -m evals.calibrate` (the
specific-words share, `abstain_min_coverage`), `--setting abstain_min_translated` (an English question's
dictionary-translated share).

For each candidate threshold, every calibration question of both sets is answered in-process and scored:
answers right (answerable) and declined (unanswerable). The objective pools both sets and counts a declined
unanswerable question twice, because a confident answer the documents do not support is worse than a
refusal of one they do: (right + 2 × declined) / (answerable + 2 × unanswerable). The chosen threshold (the
highest within one standard error of the best objective, `choose`) becomes
setting's default in app/settings.py. The held-out halves are never read here."""

from __future__ import annotations

import argparse
import logging
import math

from app.service import QAService
from app.settings import Settings
from evals.dataset import SETS, load_questions
from evals.metrics import fact_recall


def services(base: Settings) -> dict[str, QAService]:
    """One in-process service per set, over the data dirs `policy-qa eval` builds (built if missing)."""
    out, embedder = {}, None
    for name, qset in SETS.items():
        settings = base if name == "bundled" else base.model_copy(update={
            "data_dir": base.data_dir / f"eval-{name}", "corpus_dir": qset.corpus_dir,
            "catalog": base.data_dir / f"eval-{name}" / "no-catalog.yaml"})
        out[name] = QAService(settings, embedder)
        embedder = out[name].embedder
    return out


def score(service: QAService, name: str, threshold: float,
          setting: str = "abstain_min_coverage") -> tuple[int, int, int, int]:
    """(answers right, answerable, declined, unanswerable) on the calibration half of one set."""
    service.settings = service.settings.model_copy(update={setting: threshold})
    right, answerable, declined, unanswerable = 0, 0, 0, 0
    for q in load_questions(SETS[name].path, "calibration"):
        answer = service.ask(q.question)
        if q.answerable:
            answerable += 1
            right += not answer.abstained and fact_recall(answer.answer, q.facts) == 1.0
        else:
            unanswerable += 1
            declined += answer.abstained
    return right, answerable, declined, unanswerable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--thresholds", default="0.3,0.4,0.45,0.5,0.55,0.6,0.65,0.7,0.8")
    parser.add_argument("--setting", default="abstain_min_coverage",
                        choices=["abstain_min_coverage", "abstain_min_translated"])
    args = parser.parse_args()
    logging.getLogger("policy_qa").setLevel(logging.WARNING)
    svcs = services(Settings())
    print("| threshold | " + " | ".join(f"{n} right | {n} declined" for n in svcs) + " | objective |")
    print("|---|" + "---|---|" * len(svcs) + "---|")
    results = []
    for threshold in (float(t) for t in args.thresholds.split(",")):
        scores = {name: score(service, name, threshold, args.setting) for name, service in svcs.items()}
        weight = sum(a + 2 * u for _, a, _, u in scores.values())
        objective = sum(r + 2 * d for r, _, d, _ in scores.values()) / weight
        cells = " | ".join(f"{r / max(1, a):.3f} | {d / max(1, u):.3f}" for r, a, d, u in scores.values())
        print(f"| {threshold:.2f} | {cells} | {objective:.3f} |")
        results.append((threshold, objective, weight))
    threshold, objective = choose(results)
    print(f"\nchosen on the calibration halves: {threshold:.2f} (objective {objective:.3f})")


def choose(results: list[tuple[float, float, int]]) -> tuple[float, float]:
    """The highest threshold whose objective is within one standard error of the best (the one-standard-error
    rule): the halves are small, one question moves the objective by about half a point, so a difference
    smaller than its sampling error is no reason to answer more; refusing is the safer error."""
    _, best, weight = max(results, key=lambda r: r[1])
    se = math.sqrt(best * (1 - best) / weight)
    threshold, objective, _ = max((r for r in results if r[1] >= best - se), key=lambda r: r[0])
    return threshold, objective

if __name__ == "__main__":
    main()
