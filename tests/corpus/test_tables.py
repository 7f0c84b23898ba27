"""The officials' tables read off small documents written here: the responsibility matrix (a unit leading one
measure and cooperating on another, written three ways), targets, and a document's period."""

from __future__ import annotations

import datetime as dt

from corpus.chunker import chunk_document
from corpus.matrix import matrix
from corpus.model import DocumentMeta
from corpus.targets import targets
from corpus.validity import EXPIRED, IN_FORCE, period

PLAN = """某市科技创新三年行动计划（2021-2023年）
一、主要任务
（一）建设创新平台。到2023年，新建市级以上创新平台20家以上。（牵头单位：市科技局；配合单位：市财政局）
（二）培育科技企业。年内高新技术企业数量达到300家，对新认定企业给予最高50万元奖励。（牵头单位：市工信局；配合单位：科技局、包头市发展和改革委员会）
（三）加强组织保障。各部门加强协调配合。（牵头单位：包头市科学技术局）
"""


def _chunks(text: str, doc_id: str = "plan"):
    meta = DocumentMeta(doc_id=doc_id, title=text.split("\n")[0], source_file=f"{doc_id}.txt")
    return chunk_document(meta, text).chunks


def test_matrix_merges_a_unit_written_three_ways_and_keeps_each_role():
    m = matrix("plan", "t", _chunks(PLAN))
    office = "包头市科学技术局"  # one column, named by the fullest spelling the document gives
    assert office in m.units and "市科技局" not in m.units and "科技局" not in m.units
    roles = {c.measure: cells for c, cells in m.rows}
    assert roles["一、(一)"][office] == "牵头"
    assert roles["一、(二)"][office] == "配合"  # the note's own word, not a generic one
    assert roles["一、(三)"][office] == "牵头"
    assert roles["一、(二)"]["市工信局"] == "牵头"


def test_targets_are_the_figures_to_reach_not_the_rewards():
    found = targets(_chunks(PLAN))
    assert [(t.subject, t.figure, t.unit, t.deadline) for t in found] == [
        ("市级以上创新平台", "20家", "家", "到2023年"), ("高新技术企业数量", "300家", "家", "年内")]
    assert all(t.figure in t.sentence for t in found)



def test_a_starting_figure_is_no_target_its_end_figure_is():
    text = """某市高新区发展意见
一、发展目标
到2025年，高新区在全国排名中由目前的89名提升到65名左右，企业数量从2万家增加到3万家。
"""
    assert [t.figure for t in targets(_chunks(text, "zones"))] == ["65名", "3万家"]

def test_a_plan_whose_span_has_ended_is_expired_and_a_regulation_in_force():
    plan = period(PLAN.split("\n")[0], _chunks(PLAN))
    assert (plan.start, plan.end, plan.stated) == ("2021-01-01", "2023-12-31", "2021-2023年")
    assert plan.status(dt.date(2024, 1, 1)) == EXPIRED and plan.status(dt.date(2022, 6, 1)) == IN_FORCE
    rules = ("某市专家库管理办法\n第一条 为规范管理，制定本办法。\n"
             "第二条 本办法自2025年9月1日起施行，有效期至2030年8月31日。\n")
    law = period("某市专家库管理办法", _chunks(rules, "rules"))
    assert (law.start, law.end) == ("2025-09-01", "2030-08-31")
    assert law.stated == "本办法自2025年9月1日起施行，有效期至2030年8月31日"
    assert law.status(dt.date(2026, 1, 1)) == IN_FORCE and law.status(dt.date(2031, 1, 1)) == EXPIRED
