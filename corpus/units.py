"""Parse the lead and responsible units that Chinese policy measures end with, e.g.
"(牵头单位:市工信局;责任单位:市发改委、科技局,昆区、九原区)", "(责任单位:市科技局、财政局)", or a line of
their own: "牵头单位：市经信局；配合单位：市发改委。"."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Simplified and Traditional spellings of the labels; which label means "lead" vs "responsible".
_LEAD = r"(?:牵头|牽頭|主责|主責)(?:单位|單位|部门|部門)"
_RESP = r"(?:责任|責任|配合|参与|參與|协同|協同)(?:单位|單位|部门|部門)"
_LABEL = re.compile(rf"({_LEAD}|{_RESP})\s*[:：]")
LEAD_LABEL, RESPONSIBLE_LABEL = re.compile(_LEAD), re.compile(_RESP)
_LINE_START = re.compile(rf"(?:^|(?<=[\n。]))[ \t]*(?=(?:{_LEAD}|{_RESP})\s*[:：])")
_OPEN, _CLOSE = "(（", ")）"
# An organisation as unit notes name them: ends in an office word, or "各…" (各设区市人民政府, 各旗县区).
_ORG = (r"(?:各[\u4e00-\u9fff]{1,12}?|[\u4e00-\u9fff()（）]{1,30}?"
        r"(?:局|厅|廳|委|办|辦|院|府|会|會|部|中心|公司|集团|集團|组|組|处|處|室|署|行|所|馆|館|站|队|隊|社|联|聯))")
_VERB_CLAUSE = re.compile(
    rf"^(?P<units>{_ORG}(?:[、]{_ORG})*)(?:按职责分工|按職責分工|按照职责分工|按照職責分工|分别|分別|共同)?"
    r"(?P<verb>牵头|牽頭|负责|負責|配合|参与|參與|协同|協同|落实|落實)(?:落实|落實|实施|實施)?$")
_SEPARATORS = "、,，;；"


@dataclass(frozen=True)
class Units:
    lead: tuple[str, ...]
    responsible: tuple[str, ...]
    start: int  # offset of the opening parenthesis in the parsed text
    end: int


def _split_units(value: str) -> tuple[str, ...]:
    """Split on 、,; outside parentheses, so "北方稀土(集团)公司" stays one unit."""
    parts: list[str] = []
    depth, current = 0, []
    for ch in value:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and ch in _SEPARATORS:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return tuple(p.strip(" 等") for p in parts if p.strip(" 等"))


def _balanced_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level parenthesised group, end exclusive."""
    groups, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN:
            if depth == 0:
                start = i
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1))
    return groups


def _verb_assignments(inner: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(lead, responsible) from the verb form "省科技厅牵头，省财政厅配合" / "省发展改革委、省科技厅按职责分工
    负责", or None unless every clause names organisations and a role."""
    lead: tuple[str, ...] = ()
    resp: tuple[str, ...] = ()
    for clause in filter(None, (c.strip() for c in re.split(r"[，,；;]", inner))):
        m = _VERB_CLAUSE.match(clause)
        if not m:
            return None
        units = _split_units(m.group("units"))
        if m.group("verb") in ("牵头", "牽頭"):
            lead += units
        else:
            resp += units
    return (lead, resp) if lead or resp else None


def _assignments(inner: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(lead, responsible) from "牵头单位:…;责任单位:…" or the verb form, or None when `inner` is
    something else (a note, an abbreviation)."""
    labels = list(_LABEL.finditer(inner))
    if not labels or labels[0].start() > 2:
        return _verb_assignments(inner)
    lead: tuple[str, ...] = ()
    resp: tuple[str, ...] = ()
    for i, label in enumerate(labels):
        stop = labels[i + 1].start() if i + 1 < len(labels) else len(inner)
        units = _split_units(inner[label.end() : stop].rstrip(";；,，。 "))
        if re.match(_LEAD, label.group(1)):
            lead += units
        else:
            resp += units
    return lead, resp


def parse_units(text: str) -> Units | None:
    """The last unit assignment in `text`: a parenthesised group at the end of a measure, or else a line
    of its own ("牵头单位：市经信局；配合单位：市发改委。"); None when the measure names no units."""
    for start, end in reversed(_balanced_groups(text)):
        found = _assignments(text[start + 1 : end - 1])
        if found:
            return Units(lead=found[0], responsible=found[1], start=start, end=end)
    lines = list(_LINE_START.finditer(text))
    if lines:
        start = lines[-1].end()
        end = len(text.rstrip())
        found = _assignments(text[start:end])
        if found:
            return Units(lead=found[0], responsible=found[1], start=start, end=end)
    return None


def unit_key(unit: str) -> str:
    """Form used to compare units: "市科技局" and "科技局" name the same office in one city's document."""
    return re.sub(r"^(?:市|区|旗|县|盟|自治区|省)", "", unit.strip())
