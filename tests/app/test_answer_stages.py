"""Each stage of the answer pipeline on a small corpus built here (a deterministic stand-in embedder; the
real model is exercised end to end elsewhere): the judge's named rules and reasons, each composer's shape,
and the verifier on every draft."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.answer.compose import Draft
from app.answer.judge import judge
from app.answer.pipeline import ask
from app.answer.verify import verify
from retriever.hybrid import Hit

PLAN = """深圳市加快培育发展未来产业若干措施
深府办规〔2025〕7号
一、总体目标
到2027年，全市未来产业规模突破1500亿元。
二、主要措施
（一）强化原始创新。对新认定的国家重点实验室给予最高3000万元资助。（牵头单位：市科技创新局；责任单位：市财政局、市发展改革委）
（二）培育氢能产业。到2027年，建成加氢站30座。（牵头单位：市发展改革委；责任单位：市交通运输局）
（三）发展新型储能。新型储能装机规模达到200万千瓦。（牵头单位：市发展改革委；责任单位：市工业和信息化局）
三、保障措施
（一）加强组织领导。成立市未来产业发展领导小组，办公室设在市发展改革委。
深圳市人民政府办公厅
2025年3月18日
"""
RULES = """深圳市物业管理条例
第一条 为了规范物业管理活动，制定本条例。
第二条 业主大会会议应当有物业管理区域内专有部分面积占比三分之二以上的业主参与表决。
第三条 有下列情形之一的，由市住房建设部门责令限期改正：
（一）未按规定公示收支情况的；
（二）擅自改变共用部位用途的；
（三）拒不移交有关资料的。
第四条 本条例自2025年10月1日起施行。
第五条 沿海岸线向陆一侧，北起甲河口、南至乙湾头、东自丙岛西侧相交处至丁河区间距离三十米范围内，其他区域距离\
一百米范围内，不得新建、扩建建筑物和构筑物，已有的建筑物应当依法逐步退出。
"""


@pytest.fixture(scope="module")
def engine(small_engine):
    return small_engine({"plan.txt": PLAN, "rules.txt": RULES})


def _ask(engine, question: str):
    retriever, store = engine
    return ask(question, retriever, store, top_k=5, min_coverage=0.55)


def _verdict(engine, question: str):
    retriever, store = engine
    analysis = retriever.analyse(question)
    return judge(analysis, retriever.search(analysis, 5), store, 0.55)


# --- judge ---------------------------------------------------------------------------------------------

def test_a_measure_number_is_looked_up_in_the_document_the_question_names(engine):
    """第五条 exists in the regulation, not in the plan the question names by its title."""
    verdict = _verdict(engine, "深圳市加快培育发展未来产业若干措施第五条讲了什么?")
    assert not verdict.answerable and verdict.rule == "measure_exists" and "names" in verdict.reason
    assert _verdict(engine, "深圳市物业管理条例第五条讲了什么?").answerable


def test_a_place_the_passages_never_name_is_refused_with_its_rule(engine):
    verdict = _verdict(engine, "广州市未来产业规模目标是多少?")
    assert not verdict.answerable and verdict.rule == "places_and_years" and "广州" in verdict.reason


def test_a_year_the_passages_never_state_is_refused(engine):
    verdict = _verdict(engine, "2030年加氢站建多少座?")
    assert not verdict.answerable and "2030" in verdict.reason


def test_a_question_comparing_years_is_answered_by_passages_stating_one_of_them(engine):
    """"2027年和2030年…分别…": each year is the other document's; one named year alone must be stated."""
    verdict = _verdict(engine, "2027年和2030年加氢站分别建多少座?")
    assert verdict.answerable and "加氢站30座" in verdict.passages[0].chunk.text
    assert not _verdict(engine, "2030年和2031年加氢站分别建多少座?").answerable


def test_a_topic_no_passage_states_is_refused_for_its_specific_words(engine):
    verdict = _verdict(engine, "人才公寓租金补贴标准是什么?")
    assert not verdict.answerable and verdict.rule == "specific_words"


def test_a_figure_no_passage_states_is_refused_for_the_answer_type(engine):
    verdict = _verdict(engine, "领导小组办公室有多少名工作人员?")
    assert not verdict.answerable and verdict.rule == "answer_type" and "figure" in verdict.reason


def test_a_measure_number_that_does_not_exist_is_refused(engine):
    verdict = _verdict(engine, "第九十条规定了什么?")
    assert not verdict.answerable and verdict.rule == "measure_exists"


def test_only_passages_that_answer_may_be_cited(engine):
    verdict = _verdict(engine, "加氢站要建多少座?")
    assert verdict.answerable and verdict.rule == "ok"
    assert all("座" in h.chunk.text or "30" in h.chunk.text for h in verdict.passages[:1])


# --- composers through the pipeline -------------------------------------------------------------------------

def test_a_figure_is_quoted_with_the_clause_that_says_what_it_is(engine):
    answer = _ask(engine, "加氢站要建多少座?")
    assert not answer.abstained and answer.rule == "quote"
    assert "建成加氢站30座" in answer.answer and "培育氢能产业：" not in answer.answer.split("：", 1)[1]


def test_units_are_given_under_their_own_labels_for_every_role(engine):
    answer = _ask(engine, "强化原始创新由哪些单位负责?")
    assert answer.rule == "units"
    assert "牵头单位：市科技创新局" in answer.answer and "责任单位：市财政局、市发展改革委" in answer.answer


def test_a_units_tasks_are_listed_from_every_measure_it_leads(engine):
    answer = _ask(engine, "市发展改革委牵头哪些任务?")
    assert answer.rule == "tasks"
    assert "培育氢能产业" in answer.answer and "发展新型储能" in answer.answer
    assert "强化原始创新" not in answer.answer  # there it is responsible, not lead
    assert len(answer.citations) == 2


def test_a_lists_items_are_gathered_in_document_order_each_cited(engine):
    answer = _ask(engine, "第三条规定了哪些情形?")
    lines = answer.answer.split("\n")
    assert [line[:3] for line in lines if line.startswith("（")] == ["（一）", "（二）", "（三）"]
    assert answer.answer.count("[") == len(answer.citations) >= 3


def test_the_document_record_answers_with_the_passage_that_states_it(engine):
    answer = _ask(engine, "深圳未来产业若干措施的文号是什么?")
    assert answer.rule == "record" and "深府办规〔2025〕7号[1]" in answer.answer
    assert "深府办规〔2025〕7号" in answer.citations[0].hit.chunk.text


def test_a_document_fact_the_record_lacks_is_refused_when_asked_of_the_document_itself(engine):
    answer = _ask(engine, "这份物业管理条例的文号是什么?")
    assert answer.abstained and answer.rule == "document_record"


def test_when_a_regulation_takes_effect_is_its_article_not_the_issue_date(engine):
    answer = _ask(engine, "物业管理条例什么时候施行?")
    assert not answer.abstained and "2025年10月1日" in answer.answer


# --- verify --------------------------------------------------------------------------------------------

def _hit(engine, chunk_text: str) -> Hit:
    _, store = engine
    chunk = next(c for c in store.chunks if chunk_text in c.text)
    return Hit(chunk, 0.0, 0.0, 0.0, 1)


def test_the_verifier_refuses_a_number_the_cited_passages_do_not_state(engine):
    retriever, _ = engine
    hit = _hit(engine, "加氢站30座")
    draft = Draft("建成加氢站35座[1]。", (hit,), "quote", ("建成加氢站35座",))
    assert "35" in verify(draft, retriever.analyse("加氢站要建多少座?"))


def test_the_verifier_refuses_a_figure_in_another_unit(engine):
    retriever, _ = engine
    hit = _hit(engine, "200万千瓦")
    draft = Draft("新型储能装机规模达到200万千瓦[1]。", (hit,), "quote", ("新型储能装机规模达到200万千瓦",))
    assert "兆瓦" in verify(draft, retriever.analyse("新型储能装机规模多少兆瓦?"))
    assert verify(draft, retriever.analyse("新型储能装机规模多少万千瓦?")) is None


def test_the_verifier_refuses_a_heading_alone(engine):
    retriever, _ = engine
    hit = _hit(engine, "加强组织领导")
    draft = Draft("根据《…》：加强组织领导[1]。", (hit,), "quote", ("加强组织领导",))
    assert verify(draft, retriever.analyse("组织领导方面有什么要求?")) == "only a heading answers this"


def test_every_refusal_says_why(engine):
    answer = _ask(engine, "广州市未来产业规模目标是多少?")
    assert answer.abstained and answer.reason != "ok" and answer.rule == "places_and_years"
    assert Path  # the reason reaches the API as `reason` (tests/app/test_api.py)


def test_every_figure_in_the_asked_unit_is_quoted(engine):
    """"多少米" is answered by both distances of one sentence, not by the first clause alone."""
    answer = _ask(engine, "海岸线向陆一侧甲河口至丁河区间多少米范围内不得新建?")
    assert not answer.abstained and "三十米" in answer.answer and "一百米" in answer.answer


def test_a_lead_in_brings_the_items_it_announces(engine):
    """The article's lead-in answers "什么情况下" only with the situations it announces, each cited."""
    answer = _ask(engine, "什么情况下由市住房建设部门责令限期改正?")
    assert not answer.abstained
    assert all(item in answer.answer for item in ("未按规定公示收支情况", "擅自改变共用部位用途", "拒不移交有关资料"))


def test_a_measure_asked_by_number_is_quoted_whole_with_its_later_paragraphs(small_engine):
    retriever, store = small_engine({"village.txt": """某市村镇建设管理条例
第一条 为了加强村镇建设管理，制定本条例。
第二条 农村居民住宅应当与自然环境协调。已经编制村规划的，住宅建设不得违反村规划。

农村居民一户只能拥有一处宅基地。受保护的传统民居需要统一管理使用的，其所有权人可以另行申请一处宅基地。

第三条 本条例自2025年1月1日起施行。
"""})
    answer = ask("某市村镇建设管理条例第二条规定了什么?", retriever, store, top_k=5, min_coverage=0.55)
    assert not answer.abstained
    assert "一户只能拥有一处宅基地" in answer.answer and "可以另行申请一处宅基地" in answer.answer


def test_an_english_question_whose_words_no_passage_states_in_translation_is_refused(small_engine):
    """Its few glossary words let passages of either document through; its other words, as the dictionary
    renders them in the corpus's own vocabulary, are half in one document and half in the other."""
    retriever, store = small_engine({"nursing.txt": """某市母乳哺育条例
第一条 为维护妇女在公共场所哺育母乳的权利，制定本条例。
第二条 公共场所应当设置哺乳室，哺乳室面积不得小于十平方米。
""", "leave.txt": """某市职工休假办法
第一条 雇主应当给予劳动者带薪年休假，年休假不少于五天。
"""})
    off = "How long a paid break must employers give under the breastfeeding regulations?"
    asked = "How large must a breastfeeding room in a public place be under these regulations?"
    analysis, right = retriever.analyse(off), retriever.analyse(asked)
    refused = judge(analysis, retriever.search(analysis, 5), store, 0.0, min_translated=0.9)
    assert not refused.answerable and "in translation" in refused.reason
    assert judge(analysis, retriever.search(analysis, 5), store, 0.0, min_translated=0.0).answerable  # before
    assert judge(right, retriever.search(right, 5), store, 0.0, min_translated=0.9).answerable


def test_a_month_named_with_its_year_must_be_stated(small_engine):
    """February's figure is no answer to a question about March."""
    retriever, store = small_engine({"notice.txt": """某市水务局关于2020年2月水土保持方案审批决定的公告
2020年2月1日至2020年2月29日，我市对2个水土保持方案审批申请作出了审批决定。
"""})
    march = retriever.analyse("某市水务局2020年3月审批了几个水土保持方案?")
    verdict = judge(march, retriever.search(march, 5), store, 0.55)
    assert not verdict.answerable and "2020年3月" in verdict.reason
    february = retriever.analyse("某市水务局2020年2月审批了几个水土保持方案?")
    assert judge(february, retriever.search(february, 5), store, 0.55).answerable
