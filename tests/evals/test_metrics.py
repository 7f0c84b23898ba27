"""evals.metrics / evals.claims: the groundedness metrics must tell a grounded answer from a hallucinated
one. The same question is answered four ways – correct, number swapped, organisation invented, citation
pointing at the wrong passage – and each wrong answer must lose on the metric that should catch it."""

from __future__ import annotations

import pytest

from evals.claims import Claim, organisations, split_claims
from evals.metrics import (
    SUPPORT_THRESHOLD,
    AnswerScore,
    abstention_scores,
    aggregate,
    citation_correctness,
    claim_support,
    context_precision,
    fact_recall,
    faithfulness,
    hit_at_k,
    latency_summary,
    mrr_at_k,
    numeric_faithfulness,
    score_answer,
    support_details,
)

RARE_EARTH = "2024年,全市稀土产业产值达到1000亿元以上。(牵头单位:市工信局;责任单位:市发改委、科技局)"
CHARGING = "加快城市公共充电基础设施建设,全年新建公共充电桩2000台。(牵头单位:市住建局;责任单位:市交通运输局)"
CITATIONS = [
    {"n": 1, "chunk_id": "emerging:u1.intro", "doc_id": "emerging", "title": "包头市新兴产业发展工作要点",
     "measure": "一、", "text": RARE_EARTH, "score": 0.91},
    {"n": 2, "chunk_id": "charging:u3", "doc_id": "charging", "title": "包头市充电基础设施建设方案",
     "measure": "三、", "text": CHARGING, "score": 0.42},
]
QUESTION = {"id": "q001", "question": "包头2024年稀土产业产值要达到多少?由谁牵头?", "lang": "zh",
            "type": "target", "answerable": True, "gold_chunk_ids": ["emerging:u1.intro"],
            "gold_facts": ["1000亿元", "市工信局"], "doc_ids": ["emerging"]}

CORRECT = "2024年，全市稀土产业产值达到1000亿元以上[1]。牵头单位为市工信局，责任单位为市发改委、科技局[1]。"
NUMBER_SWAPPED = CORRECT.replace("1000亿元", "1200亿元")
INVENTED_ORG = "2024年，全市稀土产业产值达到1000亿元以上[1]。牵头单位为市商务局[1]。"
WRONG_CITATION = CORRECT.replace("[1]", "[2]")


def _ask(answer: str, abstained: bool = False) -> dict:
    return {"answer": answer, "citations": [] if abstained else CITATIONS, "abstained": abstained,
            "confidence": 0.1 if abstained else 0.8}


# --- the meta-test: wrong answers must score lower ----------------------------------------------------

def test_correct_answer_gets_full_marks() -> None:
    score = score_answer(QUESTION, _ask(CORRECT))
    assert score.faithfulness == 1.0
    assert score.numeric_faithfulness == 1.0
    assert score.citation_correctness == 1.0
    assert score.fact_recall == 1.0
    assert score.context_precision == 0.5  # the charging passage carries no gold fact


def test_swapped_number_fails_numeric_and_lowers_faithfulness() -> None:
    correct, swapped = score_answer(QUESTION, _ask(CORRECT)), score_answer(QUESTION, _ask(NUMBER_SWAPPED))
    assert swapped.numeric_faithfulness == 0.0
    assert swapped.unsupported_numbers == ("1200亿",)
    assert swapped.faithfulness < correct.faithfulness
    assert swapped.citation_correctness is not None and swapped.citation_correctness < 1.0
    assert swapped.fact_recall is not None and swapped.fact_recall < 1.0
    # The wording is almost verbatim, so only the number rule can catch it.
    bad = [c for c in swapped.claims if not c.supported]
    assert len(bad) == 1 and bad[0].support.lexical >= SUPPORT_THRESHOLD and bad[0].support.score == 0.0


def test_invented_organisation_lowers_faithfulness() -> None:
    correct, invented = score_answer(QUESTION, _ask(CORRECT)), score_answer(QUESTION, _ask(INVENTED_ORG))
    assert invented.faithfulness < correct.faithfulness
    assert invented.numeric_faithfulness == 1.0  # no number is wrong: numeric faithfulness cannot see it
    bad = [c for c in invented.claims if not c.supported]
    assert [c.support.unsupported_orgs for c in bad] == [("商务局",)]


def test_wrong_citation_lowers_citation_correctness() -> None:
    correct, misdirected = score_answer(QUESTION, _ask(CORRECT)), score_answer(QUESTION, _ask(WRONG_CITATION))
    assert misdirected.citation_correctness is not None and correct.citation_correctness is not None
    assert misdirected.citation_correctness < correct.citation_correctness
    assert misdirected.faithfulness < correct.faithfulness  # its claims rest on a passage that lacks them


def test_organisation_rule_catches_a_swap_the_bigrams_miss() -> None:
    swapped = "牵头单位:市工信局;责任单位:市发改委、商务局"
    details = support_details(swapped, RARE_EARTH)
    assert details.lexical >= SUPPORT_THRESHOLD
    assert details.score == 0.0 and details.unsupported_orgs == ("商务局",)
    assert claim_support("牵头单位:市工信局;责任单位:市发改委、科技局", RARE_EARTH) == 1.0


def test_support_orders_verbatim_paraphrase_and_invention() -> None:
    verbatim = claim_support("全市稀土产业产值达到1000亿元以上", RARE_EARTH)
    paraphrase = claim_support("今年全市稀土产业产值目标是1000亿元以上", RARE_EARTH)
    invented = claim_support("全市将大力发展氢能装备制造产业", RARE_EARTH)
    assert verbatim == 1.0 > paraphrase >= SUPPORT_THRESHOLD > invented


def test_marker_outside_citations_is_wrong() -> None:
    result = citation_correctness("全市稀土产业产值达到1000亿元以上[3]。", CITATIONS)
    assert result.score == 0.0 and result.pairs[0].n == 3
    assert faithfulness("全市稀土产业产值达到1000亿元以上[3]。", CITATIONS).score == 0.0


def test_uncited_claim_is_scored_against_all_citations() -> None:
    result = faithfulness("全市新建公共充电桩2000台。", CITATIONS)
    assert result.score == 1.0 and result.claims[0].evidence == (1, 2)
    assert citation_correctness("全市新建公共充电桩2000台。", CITATIONS).score is None


# --- claims ---------------------------------------------------------------------------------------------

def test_split_enumeration_and_markers() -> None:
    answer = "根据《产业发展要点》：一是稀土产业产值达到1000亿元以上[1]；二是牵头单位为市工信局。[1][2]"
    assert split_claims(answer) == [
        Claim("稀土产业产值达到1000亿元以上", (1,)),
        Claim("牵头单位为市工信局", (1, 2)),
    ]


def test_split_list_items_and_lead_in_with_number() -> None:
    answer = ("根据《2024年工作要点》：\n（一）产值达到1000亿元[1]\n(2) 新建充电桩2000台[2]\n"
              "3. 主要措施包括：\n统一是非标准")
    assert split_claims(answer) == [
        Claim("《2024年工作要点》", ()),  # a lead-in that states a number is kept, so the number is checked
        Claim("产值达到1000亿元", (1,)),
        Claim("新建充电桩2000台", (2,)),
        Claim("统一是非标准", ()),  # 统一是 is a word, not the label 一是
    ]


def test_split_english_answer() -> None:
    answer = ("The output target is 100 billion yuan [1]; the lead unit is the Municipal Bureau of"
              " Industry [1]. Charging piles: 2,000 will be built.[2]")
    assert split_claims(answer) == [
        Claim("The output target is 100 billion yuan", (1,)),
        Claim("the lead unit is the Municipal Bureau of Industry", (1,)),
        Claim("Charging piles: 2,000 will be built", (2,)),
    ]


def test_organisations() -> None:
    assert organisations(RARE_EARTH) == ["工信局", "发改委", "科技局"]
    assert organisations("由包头市委牵头，优化产业布局，各部门配合，县区政府落实") == ["市委", "区政府"]


# --- other metrics --------------------------------------------------------------------------------------

def test_traditional_fact_matches_simplified_answer() -> None:
    answer = "全市稀土产业产值达到1000亿元以上[1]，由市工信局牵头。"
    assert fact_recall(answer, ["1000億元", "市工信局"]) == 1.0
    assert fact_recall(answer, ["1000億元", "市商務局"]) == 0.5
    assert fact_recall("产值达到11000亿元", ["1000亿元"]) == 0.0  # unit-aligned, not a substring of 11000
    assert fact_recall(answer, []) is None


def test_context_precision() -> None:
    assert context_precision(CITATIONS, ["1000亿元"]) == 0.5
    assert context_precision(CITATIONS, ["1000亿元", "2000台"]) == 1.0
    assert context_precision([], ["1000亿元"]) is None


def test_numeric_faithfulness_ignores_markers_and_list_labels() -> None:
    answer = "1. 产值达到1000亿元以上[1]\n2. 新建公共充电桩2000台[2]"
    assert numeric_faithfulness(answer, CITATIONS).score == 1.0
    result = numeric_faithfulness("新建公共充电桩2500台[2]", CITATIONS)
    assert result.score == 0.0 and result.unsupported == ("2500",)


def test_retrieval_metrics() -> None:
    ranked = ["a", "b", "gold", "c"]
    assert hit_at_k(ranked, {"gold"}, 1) == 0.0
    assert hit_at_k(ranked, {"gold"}, 3) == 1.0
    assert mrr_at_k(ranked, {"gold"}) == pytest.approx(1 / 3)
    assert mrr_at_k(ranked, {"gold"}, k=2) == 0.0
    assert mrr_at_k(["x", "g2", "g1"], ["g1", "g2"]) == 0.5
    with pytest.raises(ValueError):
        hit_at_k(ranked, [], 5)


def test_abstention_scores() -> None:
    records = [
        {"answerable": False, "abstained": True},
        {"answerable": False, "abstained": False},
        {"answerable": True, "abstained": False},
        {"answerable": True, "abstained": False},
        {"answerable": True, "abstained": True},
        {"answerable": True, "abstained": False},
    ]
    scores = abstention_scores(records)
    assert scores.unanswerable_accuracy == 0.5
    assert scores.false_abstention_rate == 0.25
    assert (scores.n_unanswerable, scores.n_answerable) == (2, 4)


def test_abstained_answer_without_claims() -> None:
    assert faithfulness("", [], abstained=True).score == 1.0
    assert faithfulness("", CITATIONS, abstained=False).score == 0.0
    refusal = "文件中未找到与该问题相关的内容。"  # the refusal message is not a claim
    assert faithfulness(refusal, [], abstained=True).score == 1.0
    unanswerable = {**QUESTION, "id": "q900", "answerable": False, "gold_chunk_ids": [], "gold_facts": []}
    score = score_answer(unanswerable, _ask(refusal, abstained=True))
    assert score.faithfulness == 1.0 and score.numeric_faithfulness is None and score.fact_recall is None


def test_latency_summary() -> None:
    summary = latency_summary([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert summary.p50 == 30.0 and summary.mean == 220.0 and 800.0 < summary.p95 < 1000.0
    with pytest.raises(ValueError):
        latency_summary([])


def test_aggregate() -> None:
    unanswerable = {**QUESTION, "id": "q900", "answerable": False, "gold_chunk_ids": [], "gold_facts": []}
    scores: list[AnswerScore] = [
        score_answer(QUESTION, _ask(CORRECT), ranked_ids=["emerging:u1.intro", "x"], latency_ms=100.0),
        score_answer(QUESTION, _ask(NUMBER_SWAPPED), ranked_ids=["x", "emerging:u1.intro"], latency_ms=300.0),
        score_answer(unanswerable, _ask("文件中未找到相关内容。", abstained=True), latency_ms=50.0),
        score_answer(unanswerable, _ask(INVENTED_ORG)),
    ]
    out = aggregate(scores)
    assert (out["n"], out["n_answerable"], out["n_unanswerable"]) == (4, 2, 2)
    assert out["faithfulness"] == pytest.approx(0.75)  # answerable only: (1.0 + 0.5) / 2
    assert out["numeric_faithfulness"] == pytest.approx(2 / 3)  # the three answers that were given
    assert out["unanswerable_accuracy"] == 0.5 and out["false_abstention_rate"] == 0.0
    assert out["hit@1"] == 0.5 and out["mrr@10"] == pytest.approx(0.75)
    assert out["latency_ms"]["p50"] == 100.0
    assert out["faithfulness_by_lang"] == {"zh": pytest.approx(0.75)}


def test_a_heading_or_lead_in_alone_is_flagged_and_a_list_is_not():
    from evals.metrics import heading_only

    cites = [{"n": 1, "heading_path": ["一是推动冶金产业转型升级"], "text": "一是推动冶金产业转型升级：…"},
             {"n": 2, "heading_path": ["(一)"], "text": "（一）符合改革方向；"}]
    assert heading_only("根据《意见》一是：一是推动冶金产业转型升级。[1]", cites)
    assert heading_only("根据《条例》第八十一条：符合下列条件的，应当免除相关责任：[1]", cites)
    assert not heading_only("根据《条例》第八十一条：符合下列条件的：[1]\n（一）符合改革方向；[2]", cites)
    assert not heading_only("根据《意见》一是：到2025年冶金产业产值达到500亿元。[1]", cites)


def test_the_plain_number_check_reads_digits_as_written():
    from evals.metrics import plain_numbers_missing

    cites = [{"title": "t", "measure": "24.", "heading_path": [], "text": "产值达到1000亿元。"}]
    assert plain_numbers_missing("24.产值达到1000亿元[1]", cites) == ()
    assert plain_numbers_missing("产值达到1200亿元[1]", cites) == ("1200",)


def test_a_list_count_is_backed_by_the_items_returned_not_taken_on_trust():
    from evals.metrics import items_evidence, numeric_faithfulness, plain_numbers_missing

    cites = [{"n": 1, "title": "某办法", "measure": "(一)", "text": "（一）登记名称；"}]
    answer = "（一）登记名称；[1]\n……共3项，其余见 items 字段。"
    three = {"items": [{"measure": f"({n})", "item": f"（{n}）事项"} for n in "一二三"]}
    assert plain_numbers_missing(answer, cites, items_evidence(three)) == ()
    assert numeric_faithfulness(answer, cites, items_evidence(three)).score == 1.0
    two = {"items": three["items"][:2]}  # a count the returned items do not bear out
    assert plain_numbers_missing(answer, cites, items_evidence(two)) == ("3",)
    assert numeric_faithfulness(answer, cites).score == 0.0
