"""Parse the lead and responsible units that Chinese policy measures end with, e.g.
"(牵头单位:市工信局;责任单位:市发改委、科技局,昆区、九原区)", "(责任单位:市科技局、财政局)", or a line of
their own: "牵头单位：市经信局；配合单位：市发改委。"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.lang.orgs import LEAD_LABEL, LEAD_VERBS, ORG, ROLE_QUALIFIER, ROLE_VERB, UNIT_LABEL

_LINE_START = re.compile(rf"(?:^|(?<=[\n。]))[ \t]*(?={UNIT_LABEL.pattern})")
_OPEN, _CLOSE = "(（", ")）"
_VERB_CLAUSE = re.compile(
    rf"^(?P<units>{ORG}(?:[、]{ORG})*)(?:{ROLE_QUALIFIER})?(?P<verb>{ROLE_VERB})(?:落实|落實|实施|實施)?$")
_SEPARATORS = "、,，;；"
# "排在第一位的部门为牵头部门": the note's own rule that the first unit named leads.
_FIRST_LEADS = re.compile(r"^(?:排在|排)?第一位的?(?:部门|部門|单位|單位)(?:为|為|是)牵头(?:部门|部門|单位|單位)")


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
    return tuple(p.strip(" 等\n") for p in parts if p.strip(" 等\n"))


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
    first_leads = False
    for clause in filter(None, (c.strip() for c in re.split(r"[，,；;]", inner))):
        if _FIRST_LEADS.match(clause) or clause in ("下同", "下同。"):
            first_leads = first_leads or bool(_FIRST_LEADS.match(clause))
            continue
        m = _VERB_CLAUSE.match(clause)
        if not m:
            return None
        units = _split_units(m.group("units"))
        if m.group("verb") in LEAD_VERBS:
            lead += units
        else:
            resp += units
    if first_leads and not lead and resp:
        lead, resp = resp[:1], resp[1:]
    return (lead, resp) if lead or resp else None


def _assignments(inner: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(lead, responsible) from "牵头单位:…;责任单位:…" or the verb form, or None when `inner` is
    something else (a note, an abbreviation)."""
    labels = list(UNIT_LABEL.finditer(inner))
    if not labels or labels[0].start() > 2:
        return _verb_assignments(inner)
    lead: tuple[str, ...] = ()
    resp: tuple[str, ...] = ()
    for i, label in enumerate(labels):
        stop = labels[i + 1].start() if i + 1 < len(labels) else len(inner)
        units = _split_units(inner[label.end() : stop].rstrip(";；,，。 \n"))
        if LEAD_LABEL.match(label.group(1)):
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
    # Label lines at the end: "牵头单位：…" and "责任单位：…" may each have a line of their own.
    end = len(text.rstrip())
    for line in _LINE_START.finditer(text):
        start = line.end()
        if all(_LINE_START.match(rest) for rest in text[start:end].split("\n")[1:] if rest.strip()):
            found = _assignments(text[start:end].replace("\n", "；"))
            if found:
                return Units(lead=found[0], responsible=found[1], start=start, end=end)
    return None
