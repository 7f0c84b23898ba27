"""Answer-groundedness and retrieval metrics for policy-qa. Pure functions: no model, no network.

`citations` everywhere is the list `/api/ask` returns (dicts with "n", "title", "text", …); a claim's
evidence is the cited passage's title, measure path and text. Metrics that do not apply to an input
(no gold facts, no citation markers, an abstention) return None rather than a number, and `aggregate`
leaves them out.
Formulas and the reasoning behind them: evals/README.md."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Any

import numpy as np

from corpus.grounding import bigram_support, unsupported_organisations
from corpus.lang.numbers import unsupported_quantities
from evals.claims import Claim, organisations, split_claims, strip_markers, units

# A claim is supported when at least this share of its character bigrams occurs in its evidence (the same
# figure as the product's grounding guard, app/answer/guard.py MIN_SUPPORT).
# Calibration on the rare-earth passage of tests/evals/test_metrics.py: verbatim or lightly reworded
# claims score 0.75–1.0 ("牵头单位为市工信局" vs "牵头单位:市工信局" is 0.75: 位为/为市 are new); a
# reordered claim keeping the key terms 0.6–0.71; a free paraphrase 0.48–0.57; invented content 0.14.
# 0.6 admits the first two and rejects the rest (errs towards "unsupported" for free paraphrase); the
# number and organisation rules, not this threshold, catch one-token swaps in verbatim text.
SUPPORT_THRESHOLD = 0.6

Citations = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Support:
    """How well evidence backs one claim. `score` is `lexical` unless a hard rule set it to 0."""

    score: float
    lexical: float  # share of the claim's bigrams found in the evidence
    unsupported_numbers: tuple[str, ...] = ()
    unsupported_orgs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimScore:
    claim: Claim
    evidence: tuple[int, ...]  # citation numbers the claim was scored against
    support: Support
    supported: bool


@dataclass(frozen=True)
class Faithfulness:
    score: float
    claims: tuple[ClaimScore, ...]


@dataclass(frozen=True)
class NumericFaithfulness:
    score: float  # 1.0 or 0.0
    unsupported: tuple[str, ...]


@dataclass(frozen=True)
class CitationPair:
    claim: str
    n: int
    support: float
    correct: bool


@dataclass(frozen=True)
class CitationCorrectness:
    score: float | None  # None when the answer has no [n] marker at all
    pairs: tuple[CitationPair, ...]


@dataclass(frozen=True)
class AbstentionScores:
    unanswerable_accuracy: float | None  # share of unanswerable questions the system abstained on
    false_abstention_rate: float | None  # share of answerable questions it abstained on
    n_unanswerable: int
    n_answerable: int


@dataclass(frozen=True)
class LatencySummary:
    p50: float
    p95: float
    mean: float
    n: int


@dataclass(frozen=True)
class AnswerScore:
    id: str
    lang: str
    type: str
    answerable: bool
    abstained: bool
    confidence: float
    faithfulness: float
    numeric_faithfulness: float | None  # None when abstained
    citation_correctness: float | None
    fact_recall: float | None  # None without gold facts
    context_precision: float | None  # None without gold facts or citations
    unsupported_numbers: tuple[str, ...] = ()
    claims: tuple[ClaimScore, ...] = ()
    hit_at_1: float | None = None
    hit_at_5: float | None = None
    mrr_at_10: float | None = None
    latency_ms: float | None = None
    split: str = ""
    answers_right: bool | None = None  # answerable: every gold fact present and not abstained
    numbers_missing: tuple[str, ...] = ()  # the plain check: numerals the citations do not contain
    heading_only: bool = False


# --- retrieval -------------------------------------------------------------------------------------

def _check(gold_ids: Collection[str], k: int) -> None:
    if not gold_ids:
        raise ValueError("retrieval metrics need at least one gold id")
    if k < 1:
        raise ValueError("k must be >= 1")


def hit_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int) -> float:
    """1.0 if any gold id is among the first k ranked ids, else 0.0."""
    _check(gold_ids, k)
    return 1.0 if any(i in gold_ids for i in ranked_ids[:k]) else 0.0


def mrr_at_k(ranked_ids: Sequence[str], gold_ids: Collection[str], k: int = 10) -> float:
    """1/rank of the first gold id within the first k ranked ids (rank 1-based), 0.0 if none."""
    _check(gold_ids, k)
    return next((1.0 / rank for rank, i in enumerate(ranked_ids[:k], 1) if i in gold_ids), 0.0)


# --- evidence and support --------------------------------------------------------------------------

def _evidence(citations: Citations) -> dict[int, str]:
    """Citation number → the text a claim citing it may rely on: title, measure path, passage."""
    out: dict[int, str] = {}
    for i, c in enumerate(citations, 1):
        out[int(c.get("n", i))] = f"{c.get('title', '')}\n{c.get('measure', '')}\n{c.get('text', '')}"
    return out


def _compact(text: str) -> str:
    """Unit sequence as a space-padded string: containment on it is unit-aligned (1000 ≠ 11000)."""
    return " " + " ".join(units(text)) + " "


def _org_names(found: Sequence[str]) -> tuple[str, ...]:
    """The guard's organisation matches as names: its regex cannot tell where a name starts
    (牵头单位为市商务局), so each is reported as evals.claims.organisations reads it (商务局)."""
    return tuple(dict.fromkeys(name for f in found for name in (organisations(f) or [f])))


def support_details(claim_text: str, passages: str | Sequence[str]) -> Support:
    """Bigram containment of the claim in the passages, zeroed when the claim states a quantity or an
    organisation that none of the passages contains. The three checks are the product guard's own
    (corpus.grounding.claim_problems), so the guard and the scorer cannot disagree on what backs a claim."""
    texts = [passages] if isinstance(passages, str) else list(passages)
    lexical = bigram_support(claim_text, texts) if texts else 0.0
    numbers = tuple(unsupported_quantities(claim_text, texts))
    orgs = _org_names(unsupported_organisations(claim_text, texts))
    score = 0.0 if numbers or orgs else lexical
    return Support(score, lexical, numbers, orgs)


def claim_support(claim_text: str, passages: str | Sequence[str]) -> float:
    """Support of a claim by passage(s) in [0, 1]; see `support_details`."""
    return support_details(claim_text, passages).score


# --- answer metrics ---------------------------------------------------------------------------------

def faithfulness(answer: str, citations: Citations, abstained: bool = False,
                 threshold: float = SUPPORT_THRESHOLD) -> Faithfulness:
    """Supported claims ÷ claims. A claim is scored against the passages it cites ([n] outside the list
    are ignored; citing only such markers leaves no evidence), an unmarked claim against all citations.
    In an abstention, uncited sentences are the refusal message and are not claims. No claims: 1.0 if
    abstained, else 0.0."""
    evidence = _evidence(citations)
    claims = [c for c in split_claims(answer) if c.citations or not abstained]
    if not claims:
        return Faithfulness(1.0 if abstained else 0.0, ())
    scored = []
    for claim in claims:
        used = tuple(n for n in claim.citations if n in evidence) if claim.citations else tuple(evidence)
        support = support_details(claim.text, [evidence[n] for n in used])
        scored.append(ClaimScore(claim, used, support, support.score >= threshold))
    return Faithfulness(sum(s.supported for s in scored) / len(scored), tuple(scored))


def numeric_faithfulness(answer: str, citations: Citations, structure: Sequence[str] = ()) -> NumericFaithfulness:
    """1.0 if every quantity the answer states occurs in some cited passage (title, measure, text) or in the
    response's own list of items (`structure`, see items_evidence), else 0.0. Citation markers and list labels
    are not quantities."""
    text = "\n".join(c.text for c in split_claims(answer))
    missing = tuple(unsupported_quantities(text, [*_evidence(citations).values(), *structure]))
    return NumericFaithfulness(0.0 if missing else 1.0, missing)


def citation_correctness(answer: str, citations: Citations,
                         threshold: float = SUPPORT_THRESHOLD) -> CitationCorrectness:
    """Share of (claim, [n]) pairs whose passage n alone supports the claim; an n outside the
    citations is wrong. None when the answer carries no markers."""
    evidence = _evidence(citations)
    pairs = []
    for claim in split_claims(answer):
        for n in claim.citations:
            support = claim_support(claim.text, evidence[n]) if n in evidence else 0.0
            pairs.append(CitationPair(claim.text, n, support, support >= threshold))
    score = sum(p.correct for p in pairs) / len(pairs) if pairs else None
    return CitationCorrectness(score, tuple(pairs))


def fact_recall(answer: str, gold_facts: Sequence[str]) -> float | None:
    """Share of gold facts the answer contains, compared after normalize_for_search (so Traditional
    and Simplified match), ignoring punctuation, spacing and citation markers. None without facts."""
    if not gold_facts:
        return None
    text = _compact(strip_markers(answer))
    return sum(_compact(f) in text for f in gold_facts) / len(gold_facts)


def context_precision(citations: Citations, gold_facts: Sequence[str]) -> float | None:
    """Share of cited passages (title, measure, text) that contain at least one gold fact, normalised as in
    `fact_recall`. None without gold facts or without citations."""
    passages = list(_evidence(citations).values())
    if not gold_facts or not passages:
        return None
    facts = [_compact(f) for f in gold_facts]
    return sum(any(f in _compact(p) for f in facts) for p in passages) / len(passages)


# --- run-level metrics ------------------------------------------------------------------------------

def _field(record: Any, name: str) -> Any:
    return record[name] if isinstance(record, Mapping) else getattr(record, name)


def abstention_scores(records: Iterable[Any]) -> AbstentionScores:
    """From records with `answerable` and `abstained` (mappings or objects such as AnswerScore):
    accuracy on unanswerable questions (abstained) and false-abstention rate on answerable ones."""
    unanswerable, answerable = [], []
    for r in records:
        (answerable if _field(r, "answerable") else unanswerable).append(bool(_field(r, "abstained")))
    return AbstentionScores(fmean(unanswerable) if unanswerable else None,
                            fmean(answerable) if answerable else None, len(unanswerable), len(answerable))


def latency_summary(samples_ms: Sequence[float]) -> LatencySummary:
    """p50, p95 (linear interpolation) and mean of latency samples in ms; raises on no samples."""
    if not samples_ms:
        raise ValueError("no latency samples")
    a = np.asarray(samples_ms, dtype=float)
    return LatencySummary(float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(a.mean()), len(a))


_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MARKER = re.compile(r"\[\d+\]")


def items_evidence(response: Mapping[str, Any]) -> list[str]:
    """What a list answer's counts may rest on: every item the response returns (`items`, each with its
    measure) and how many there are ("共14项" is checked against 14 returned items, not taken on trust)."""
    items = response.get("items") or []
    if not items:
        return []
    return [f"{i.get('measure', '')} {i.get('item', '')}" for i in items] + [f"{len(items)}项 {len(items)}条"]


def plain_numbers_missing(answer: str, citations: Citations, structure: Sequence[str] = ()) -> tuple[str, ...]:
    """Digit runs of the answer that no citation (text, title or measure) contains, compared as written after
    width folding. Deliberately simpler than the product's guard (no units, no Chinese numerals), and sharing
    no code with it, so a bug in the guard shows up here."""
    sources = " ".join(unicodedata.normalize("NFKC", f"{c.get('title', '')} {c.get('measure', '')} "
                                                      f"{' '.join(c.get('heading_path') or [])} {c.get('text', '')}")
                       for c in citations) + " " + unicodedata.normalize("NFKC", " ".join(structure))
    numbers = _PLAIN_NUMBER.findall(_MARKER.sub(" ", unicodedata.normalize("NFKC", answer)))
    return tuple(n for n in dict.fromkeys(numbers) if n not in sources)


def heading_only(answer: str, citations: Citations) -> bool:
    """Whether every quote of the answer is only a heading of the passage it cites (or a lead-in ending in a
    colon): a heading is not an answer."""
    # A quote is what follows a colon on the same line ("根据《…》3.：body[1]"); a cited line without one is an
    # item of a list, which answers by itself whatever its lead-in.
    if any(re.search(r"\[\d+\]", line) and not re.search(r"[：:]", line) for line in answer.split("\n")):
        return False
    quotes = re.findall(r"[：:][ \t]*[“\"]?([^\n]*?)[”\"]?\[(\d+)\]", answer)
    if not quotes:
        return False
    # A heading is a title, not a sentence: an item whose own text stands in the heading path ("2．四层以上…
    # 建筑。") is quoted as the statement it is.
    headings = {int(c.get("n", 0)): {_fold(h) for h in c.get("heading_path") or [] if not _is_sentence(h)}
                for c in citations}
    quotes = [(body, n) for body, n in quotes if _fold(body)]
    if not quotes:
        return False
    for body, n in quotes:
        folded = _fold(body)
        if folded and not any(folded == h or h.endswith(folded) for h in headings.get(int(n), ())) \
                and not body.rstrip("。").endswith(("：", ":")):
            return False
    return True


def _is_sentence(text: str) -> bool:
    return text.rstrip().endswith(("。", "；", ";", "！", "？"))


def _fold(text: str) -> str:
    return re.sub(r"[\s。.：:，,；;“”\"]", "", unicodedata.normalize("NFKC", text))


def score_answer(record: Mapping[str, Any], response: Mapping[str, Any], *,
                 ranked_ids: Sequence[str] | None = None, latency_ms: float | None = None) -> AnswerScore:
    """Every per-answer metric for one gold question record and its /api/ask response; retrieval
    metrics only when `ranked_ids` (the /api/search chunk ids) and gold chunk ids are given."""
    answer, citations = str(response.get("answer", "")), response.get("citations") or []
    abstained, answerable = bool(response.get("abstained")), bool(record.get("answerable", True))
    facts, gold_ids = record.get("gold_facts") or [], record.get("gold_chunk_ids") or []
    faith = faithfulness(answer, citations, abstained)
    structure = items_evidence(response)
    numeric = None if abstained else numeric_faithfulness(answer, citations, structure)
    retrieval = ranked_ids is not None and bool(gold_ids)
    return AnswerScore(
        id=str(record.get("id", "")), lang=str(record.get("lang", "")), type=str(record.get("type", "")),
        answerable=answerable, abstained=abstained, confidence=float(response.get("confidence", 0.0)),
        faithfulness=faith.score, numeric_faithfulness=numeric.score if numeric else None,
        citation_correctness=citation_correctness(answer, citations).score,
        fact_recall=fact_recall(answer, facts), context_precision=context_precision(citations, facts),
        unsupported_numbers=numeric.unsupported if numeric else (), claims=faith.claims,
        hit_at_1=hit_at_k(ranked_ids, gold_ids, 1) if retrieval else None,
        hit_at_5=hit_at_k(ranked_ids, gold_ids, 5) if retrieval else None,
        mrr_at_10=mrr_at_k(ranked_ids, gold_ids, 10) if retrieval else None,
        latency_ms=latency_ms, split=str(record.get("split", "")),
        answers_right=(not abstained and fact_recall(answer, facts) == 1.0) if answerable and facts else None,
        numbers_missing=() if abstained else plain_numbers_missing(answer, citations, structure),
        heading_only=not abstained and heading_only(answer, citations),
    )


def _mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return fmean(kept) if kept else None


def aggregate(scores: Sequence[AnswerScore]) -> dict[str, Any]:
    """Run-level means. Answerable questions only: fact recall, faithfulness, context precision, citation
    correctness, retrieval. All non-abstained answers: numeric faithfulness. All: abstention.
    Metrics with no applicable answer are None."""
    ans = [s for s in scores if s.answerable]
    abst = abstention_scores(scores)
    out: dict[str, Any] = {
        "n": len(scores), "n_answerable": len(ans), "n_unanswerable": len(scores) - len(ans),
        "fact_recall": _mean(s.fact_recall for s in ans),
        "faithfulness": _mean(s.faithfulness for s in ans),
        "context_precision": _mean(s.context_precision for s in ans),
        "citation_correctness": _mean(s.citation_correctness for s in ans),
        "numeric_faithfulness": _mean(s.numeric_faithfulness for s in scores if not s.abstained),
        "unanswerable_accuracy": abst.unanswerable_accuracy,
        "false_abstention_rate": abst.false_abstention_rate,
        "hit@1": _mean(s.hit_at_1 for s in ans), "hit@5": _mean(s.hit_at_5 for s in ans),
        "mrr@10": _mean(s.mrr_at_10 for s in ans),
        "answers_right": _mean(None if s.answers_right is None else float(s.answers_right) for s in ans),
        "numbers_not_in_citations": sum(bool(s.numbers_missing) for s in scores),
        "heading_only": sum(s.heading_only for s in scores),
        "faithfulness_by_lang": {lang: _mean(s.faithfulness for s in ans if s.lang == lang)
                                 for lang in sorted({s.lang for s in ans})},
    }
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None]
    summary = latency_summary(latencies) if latencies else None
    out["latency_ms"] = {"p50": summary.p50, "p95": summary.p95, "mean": summary.mean} if summary else None
    return out
