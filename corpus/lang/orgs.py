"""Organisation names, and the labels and verbs by which a measure names its lead, responsible and
cooperating units: "(牵头单位:市工信局;责任单位:市发改委)", "牵头单位：…" on its own line, "(省科技厅牵头，省财政厅
配合)", "(省发展改革委、省科技厅按职责分工负责)"."""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.lang.places import division_codes
from corpus.lang.words import DATA

# Simplified and Traditional spellings. Which label means "lead" and which "responsible".
_UNIT_NOUN = r"(?:单位|單位|部门|部門)"
LEAD_LABEL = re.compile(rf"(?:牵头|牽頭|主责|主責){_UNIT_NOUN}")
RESPONSIBLE_LABEL = re.compile(rf"(?:责任|責任|配合|参与|參與|协同|協同|协办|協辦){_UNIT_NOUN}")
UNIT_LABEL = re.compile(rf"({LEAD_LABEL.pattern}|{RESPONSIBLE_LABEL.pattern})\s*[:：]")
LEAD_VERBS = ("牵头", "牽頭")
ROLE_VERB = r"牵头|牽頭|负责|負責|配合|参与|參與|协同|協同|落实|落實"
ROLE_QUALIFIER = r"按职责分工|按職責分工|按照职责分工|按照職責分工|按照各自职责|按照各自職責|分别|分別|共同"

# The office words an organisation name ends in, Simplified and Traditional.
ORG_SUFFIX = (r"局|厅|廳|委员会|委員會|委|办公室|辦公室|办公厅|辦公廳|办|辦|研究院|院|政府|管委会|管委會|部|中心|公司|"
              r"集团|集團|组|組|处|處|室|署|行|所|馆|館|站|队|隊|社|联|聯")
# An organisation as unit notes name them: a run ending in an office word, or "各…" (各设区市人民政府).
ORG = rf"(?:各[\u4e00-\u9fff]{{1,12}}?|[\u4e00-\u9fff()（）]{{1,30}}?(?:{ORG_SUFFIX}))"
# An organisation named in running text, not followed by more CJK (the guard's reading: it cannot tell where
# a name starts, so it is compared by its endings).
ORG_IN_TEXT = re.compile(
    r"[\u4e00-\u9fff()（）]{1,16}?(?:局|委员会|委|办公室|办公厅|办|部|厅|研究院|院|中心|公司|集团|政府|管委会)"
    r"(?![\u4e00-\u9fff])")
# Departments as regulations name them by function: "县级以上人民政府住房城乡建设主管部门", "公安机关".
AUTHORITY = re.compile(r"[\u4e00-\u9fff]{2,20}?(?:主管部门|行政部门|管理部门|机关|機關|部門|部门|机构|機構)")
_LEVEL_PREFIX = re.compile(r"^(?:市|区|旗|县|盟|自治区|省)")


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[tuple[str, str], ...]:
    """(full, short) office words (data/org_abbreviations.txt), the longest full form first."""
    lines = (DATA / "org_abbreviations.txt").read_text(encoding="utf-8").splitlines()
    pairs = [tuple(line.strip().split("=", 1)) for line in lines if "=" in line and not line.startswith("#")]
    return tuple(sorted(((a, b) for a, b in pairs if a != b), key=lambda p: -len(p[0])))


def abbreviate(text: str) -> str:
    """Office names in their short forms: "包头市科学技术局" → "包头市科技局"."""
    for full, short in _abbreviations():
        text = text.replace(full, short)
    return text


def _without_division(unit: str) -> str:
    """"包头市科技局" → "科技局": a division's name in front names the city, not the office. A unit that is
    a division itself (九原区) or whose front is no division (稀土高新区管委会) stays whole."""
    for size in range(min(len(unit) - 2, 8), 1, -1):
        if _LEVEL_PREFIX.sub("", unit[size - 1]) == "" and division_codes(unit[:size]):
            return unit[size:]
    return unit


def unit_key(unit: str) -> str:
    """Form used to compare units: "包头市科学技术局", "市科技局" and "科技局" name the same office in one
    city's document."""
    return _LEVEL_PREFIX.sub("", _without_division(abbreviate(unit.strip())))


def names_organisation(text: str) -> bool:
    """Whether `text` names an organisation or an authority (what answers 谁 / 哪个部门)."""
    return bool(ORG_IN_TEXT.search(text) or AUTHORITY.search(text) or re.search(ORG, text))
