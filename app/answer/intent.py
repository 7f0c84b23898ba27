"""What kind of answer a question wants; decides which sentences an extractive answer quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.text import normalize_for_search

_LEAD = re.compile(r"牵头|牽頭|主责|lead|led by|in charge", re.I)
_RESP = re.compile(r"责任单位|責任單位|负责|負責|配合|responsib", re.I)
_NUMBER = re.compile(r"多少|几|幾|目标|目標|指标|指標|产值|產值|规模|規模|比重|占比|达到|達到|增长|增長|产能|產能|"
                     r"how (?:much|many)|target|goal|output|capacity|number of|percent|share", re.I)
_LIST = re.compile(r"哪些|哪几|包括|包含|列举|which|what are|list", re.I)
_META = re.compile(r"文号|文號|发文|發文|印发|印發|发布|發布|哪天|日期|时间|時間|哪年|谁发|issuer|issued|document number|"  # noqa: E501
                   r"(?:哪个|哪些|什么)(?:部门|单位|机关)(?:联合)?(?:发|印发|发布|制定|出台)|date|when", re.I)
_LOOKUP = re.compile(r"讲了什么|講了什麼|内容|內容|主要讲|说了什么|what does .* say|content", re.I)


@dataclass(frozen=True)
class Intent:
    lead_unit: bool
    responsible_unit: bool
    number: bool
    listing: bool
    metadata: bool
    lookup: bool


def classify(question: str) -> Intent:
    q = normalize_for_search(question)
    return Intent(
        lead_unit=bool(_LEAD.search(q)) or bool(_LEAD.search(question)),
        responsible_unit=bool(_RESP.search(q)) or bool(_RESP.search(question)),
        number=bool(_NUMBER.search(q)) or bool(_NUMBER.search(question)),
        listing=bool(_LIST.search(q)),
        metadata=bool(_META.search(q)),
        lookup=bool(_LOOKUP.search(q)),
    )
