"""Unit assignments in the forms policy documents write them."""

from __future__ import annotations

import pytest

from corpus.catalog import infer_meta
from corpus.units import parse_units


@pytest.mark.parametrize(("text", "lead", "responsible"), [
    ("（一）壮大产业链。（省工业和信息化厅、省发展改革委按职责分工负责）", (), ("省工业和信息化厅", "省发展改革委")),
    ("推动应用。（省能源局牵头，国网江苏省电力有限公司配合）", ("省能源局",), ("国网江苏省电力有限公司",)),
    ("落实。（省发展改革委牵头，各设区市人民政府负责落实）", ("省发展改革委",), ("各设区市人民政府",)),
    ("加强攻关。(牵头单位:市科技局;责任单位:市财政局、各旗县区)", ("市科技局",), ("市财政局", "各旗县区")),
    ("建设平台。\n牵头单位：市经信局；配合单位：市发改委。", ("市经信局",), ("市发改委",)),
])
def test_unit_assignments(text, lead, responsible):
    units = parse_units(text)
    assert units and (units.lead, units.responsible) == (lead, responsible)


@pytest.mark.parametrize("text", ["（以下简称高新区）加快建设", "建设平台(2024年)", "支持企业（含民营企业）发展",
                                  "由各地政府负责推进"])
def test_other_parentheses_are_not_unit_assignments(text):
    assert parse_units(text) is None


def test_inferred_issue_date_is_the_signature_not_a_date_in_the_text():
    text = ("江苏省人民政府关于加快推进新型储能产业发展的实施意见\n苏政发〔2024〕15号\n一、总体目标\n"
            "本意见有效期至2027年12月31日。\n江苏省人民政府\n2024年6月3日")
    meta = infer_meta("js.txt", text)
    assert (meta.issue_date, meta.doc_number) == ("2024-06-03", "苏政发〔2024〕15号")
