"""The unit a question asks its figure in, and whether a text states a figure in it."""

from __future__ import annotations

import pytest

from corpus.lang.numbers import asked_unit, states_figure_in


@pytest.mark.parametrize(("question", "unit"), [
    ("实际利用外资累计达到多少亿美元?", "美元"),
    ("實際利用外資累計達到多少億美元?", "美元"),
    ("新型储能装机多少万千瓦?", "千瓦"),  # 万 is a magnitude, 千瓦 the unit
    ("年发电量多少千瓦时?", "千瓦时"),
    ("要培育几家?", "家"),
    ("提高多少个百分点?", "个百分点"),
    ("新建多少个工作站?", None),  # 个 is the general counter: "3家" answers it too
    ("研发投入强度要达到多少?", None),
    ("每年引进多少人才?", None),  # 人才 is what is counted, not the unit 人
    ("要建成多少家企业技术中心?", "家"),
    ("引进几条12英寸晶圆生产线?", "条"),
])
def test_asked_unit(question, unit):
    assert asked_unit(question) == unit


@pytest.mark.parametrize(("text", "unit", "states"), [
    ("累计达到50亿美元", "美元", True),
    ("氢能产业规模达到300亿元", "美元", False),
    ("累计达到50亿美元", "元", False),
    ("装机规模达到200万千瓦", "千瓦", True),
    ("建成加氢站三十座", "座", True),
    ("建成加氢站若干座", "座", False),
    ("面积100平方米", "米", False),
])
def test_states_figure_in(text, unit, states):
    assert states_figure_in(text, unit) is states
