"""Follow-up resolution on a small corpus built here: each follow-up form becomes a standalone question about
what the previous answer cited, each topic-switch form inherits nothing, and what cannot be resolved gets a
question back. Then whole conversations through the pipeline (deterministic stand-in embedder)."""

from __future__ import annotations

import pytest

from app.answer.conversation import converse
from app.answer.followup import CLARIFY, STANDALONE, Resolver, context_of
from app.answer.model import Thread

SHENZHEN = """深圳市加快培育发展未来产业若干措施
深府办规〔2025〕7号
一、总体目标
到2027年，全市未来产业规模突破1500亿元。
二、主要措施
（一）强化原始创新。对新认定的国家重点实验室给予最高3000万元资助。（牵头单位：市科技创新局；责任单位：市财政局、市发展改革委）
（二）培育氢能产业。到2027年，建成加氢站30座。（牵头单位：市发展改革委；责任单位：市交通运输局）
（三）发展新型储能。新型储能装机规模达到200万千瓦。（牵头单位：市发展改革委；责任单位：市工业和信息化局）
深圳市人民政府办公厅
2025年3月18日
"""
GUANGZHOU = """广州市加快培育发展未来产业若干措施
穗府办规〔2024〕3号
一、主要措施
（一）培育氢能产业。到2026年，建成加氢站50座。（牵头单位：市工业和信息化局；责任单位：市交通运输局）
（二）强化原始创新。对新认定的国家重点实验室给予最高1000万元资助。（牵头单位：市科技局）
广州市人民政府办公厅
2024年5月6日
"""
RULES = """深圳市物业管理条例
第一条 为了规范物业管理活动，制定本条例。
第二条 业主大会会议应当有物业管理区域内专有部分面积占比三分之二以上的业主参与表决。
第三条 业主委员会应当每年公布一次物业服务资金收支情况。
第四条 本条例自2025年10月1日起施行。
"""


@pytest.fixture(scope="module")
def engine(small_engine):
    return small_engine({"shenzhen.txt": SHENZHEN, "guangzhou.txt": GUANGZHOU, "rules.txt": RULES})


@pytest.fixture(scope="module")
def resolver(engine) -> Resolver:
    retriever, store = engine
    return Resolver(store, retriever.analyse)


def _chunk(store, title_word: str, measure: str):
    return next(c for c in store.chunks if title_word in c.title and c.measure.endswith(measure))


def _after(store, question: str, title_word: str, measure: str) -> Thread:
    """The context an answer citing that measure returns."""
    chunk = _chunk(store, title_word, measure)
    return Thread(question, (chunk.doc_id,), (chunk.chunk_id,))


@pytest.fixture(scope="module")
def on_hydrogen(engine) -> Thread:
    return _after(engine[1], "深圳加氢站建设目标是多少?", "深圳", "(二)")


# --- follow-up forms ----------------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["牵头单位呢?", "那它的牵头单位是谁?", "该措施由哪个部门牵头?",
                                      "上述措施的牵头单位是哪个?", "牵头单位是谁?", "and who leads it?"])
def test_a_new_aspect_of_the_cited_measure_names_that_measure(resolver, on_hydrogen, question):
    r = resolver.resolve(question, on_hydrogen)
    assert r.inherited and "培育氢能产业" in r.question
    assert r.doc_ids == on_hydrogen.doc_ids and "深圳市加快培育发展未来产业若干措施" in r.display


def test_a_pronoun_is_replaced_where_it_stands(resolver, on_hydrogen):
    r = resolver.resolve("该措施的责任单位有哪些?", on_hydrogen)
    assert r.question.startswith("二、(二)培育氢能产业的责任单位有哪些")


def test_this_document_is_the_conversations_document(resolver, engine, on_hydrogen):
    r = resolver.resolve("这份文件的文号是多少?", on_hydrogen)
    assert r.form == "document" and r.question == "《深圳市加快培育发展未来产业若干措施》的文号是多少?"


def test_that_unit_is_the_lead_unit_the_answer_named(resolver, on_hydrogen):
    r = resolver.resolve("该单位还负责哪些任务?", on_hydrogen)
    assert r.form == "unit" and r.question.startswith("市发展改革委还负责哪些任务")


@pytest.mark.parametrize("question", ["下一条呢?", "还有呢?"])
def test_the_next_measure_continues_the_list(resolver, on_hydrogen, question):
    r = resolver.resolve(question, on_hydrogen)
    assert r.form == "next_measure" and "发展新型储能" in r.question


def test_the_previous_measure_goes_back(resolver, on_hydrogen):
    assert "强化原始创新" in resolver.resolve("上一条呢?", on_hydrogen).question


def test_a_bare_number_is_read_in_the_conversations_document_among_siblings(resolver, engine, on_hydrogen):
    assert "发展新型储能" in resolver.resolve("(三)呢?", on_hydrogen).question
    on_rules = _after(engine[1], "物业管理条例规定业主大会表决需要多少业主参与?", "物业", "第二条")
    r = resolver.resolve("第三条呢?", on_rules)
    assert r.form == "measure" and r.question.startswith("第三条的") and "物业管理条例" in r.display


def test_units_asked_of_one_measure_are_asked_of_the_next(resolver, engine):
    thread = _after(engine[1], "强化原始创新的牵头单位是谁?", "深圳", "(一)")
    assert resolver.resolve("下一条呢?", thread).question == "二、(二)培育氢能产业的牵头单位是谁?"


@pytest.mark.parametrize("question", ["广州呢?", "那广州的呢?", "What about Guangzhou?"])
def test_another_place_replaces_the_place_of_the_previous_question(resolver, on_hydrogen, question):
    r = resolver.resolve(question, on_hydrogen)
    assert r.form == "place" and r.question == "广州加氢站建设目标是多少?" and not r.doc_ids


def test_the_other_city_when_the_corpus_has_one(resolver, on_hydrogen):
    assert resolver.resolve("其他城市呢?", on_hydrogen).question == "广州加氢站建设目标是多少?"


def test_another_year_replaces_the_year(resolver):
    r = resolver.resolve("2026年呢?", Thread("深圳2027年加氢站建设目标是多少?"))
    assert r.form == "year" and r.question == "深圳2026年加氢站建设目标是多少?"


def test_another_subject_keeps_what_was_asked_and_the_place(resolver, on_hydrogen):
    r = resolver.resolve("那新型储能呢?", on_hydrogen)
    assert r.form == "subject" and r.question == "深圳新型储能的目标是多少?"


def test_history_alone_resolves_from_the_previous_questions(resolver):
    thread = resolver.thread([("user", "深圳加氢站建设目标是多少?"), ("assistant", "…")], None)
    assert resolver.resolve("广州呢?", thread).question == "广州加氢站建设目标是多少?"


# --- topic switches -----------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    "广州对国家重点实验室最高资助多少?",  # a new subject, place and figure
    "那深圳物业管理条例什么时候施行?",  # opens with 那, names a document
    "深圳市物业管理条例第三条规定了什么?",  # a measure number with its document
    "业主委员会多久公布一次收支情况?",  # no place, no number: a subject of its own
    "What fine applies for failing to publish accounts?",
])
def test_a_question_that_stands_alone_inherits_nothing(resolver, on_hydrogen, question):
    r = resolver.resolve(question, on_hydrogen)
    assert r.form == STANDALONE and r.question == question and not r.doc_ids


# --- nothing to resolve against, or too much -----------------------------------------------------------

@pytest.mark.parametrize("question", ["牵头单位呢?", "这份文件的文号是多少?", "第三条呢?"])
def test_a_follow_up_without_a_conversation_gets_a_question_back(resolver, question):
    r = resolver.resolve(question, Thread())
    assert r.form == CLARIFY and "哪份文件" in r.clarify


def test_a_follow_up_on_an_answer_citing_two_documents_asks_which(resolver, engine):
    store = engine[1]
    cited = [_chunk(store, "深圳", "(二)"), _chunk(store, "广州", "(一)")]
    thread = Thread("加氢站建设目标是多少?", tuple(c.doc_id for c in cited), tuple(c.chunk_id for c in cited))
    r = resolver.resolve("牵头单位呢?", thread)
    assert r.form == CLARIFY and "深圳" in r.clarify and "广州" in r.clarify


def test_a_question_back_keeps_the_conversation_where_it_was(resolver, on_hydrogen):
    r = resolver.resolve("其他城市呢?", Thread())
    assert context_of(on_hydrogen, r, [], False) == on_hydrogen


# --- whole conversations through the pipeline -----------------------------------------------------------

def _converse(engine, question, history=(), context=None):
    retriever, store = engine
    return converse(question, history, context, retriever, store, top_k=5, min_coverage=0.55)


def test_a_follow_up_is_answered_from_the_previous_answers_measure(engine):
    first = _converse(engine, "深圳加氢站建设目标是多少?")
    assert "30座" in first.answer and first.followup == STANDALONE
    second = _converse(engine, "牵头单位呢?", [("user", "深圳加氢站建设目标是多少?"), ("assistant", first.answer)],
                       first.context)
    assert "市发展改革委" in second.answer and "市交通运输局" in second.answer
    assert second.resolved.startswith("《深圳市加快培育发展未来产业若干措施》二、(二)培育氢能产业")
    assert second.context.chunk_ids[0].endswith(first.context.chunk_ids[0].split(":")[1])


def test_a_place_follow_up_is_answered_from_the_other_citys_document(engine):
    first = _converse(engine, "深圳加氢站建设目标是多少?")
    second = _converse(engine, "广州呢?", [("user", "深圳加氢站建设目标是多少?")], first.context)
    assert "50座" in second.answer and "30座" not in second.answer


def test_a_clarifying_reply_is_not_an_answer_and_cites_nothing(engine):
    reply = _converse(engine, "它的牵头单位是谁?", [("assistant", "您好！请输入您想了解的政策问题。")])
    assert reply.mode == "clarify" and not reply.citations and reply.resolved == ""
