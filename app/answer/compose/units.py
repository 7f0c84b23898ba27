"""Who leads and who is responsible: every unit a measure names, under the measure's own labels (配合单位
stays 配合单位), for a question about a measure's units ("…由哪些单位负责", "牵头单位是谁"). A measure of several
paragraphs, each with its own unit note, answers with the note of the paragraph the question is about."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.cite import where
from corpus.lang.orgs import LEAD_LABEL, RESPONSIBLE_LABEL, ROLE_VERB, UNIT_LABEL
from corpus.lang.text import normalize_for_search
from corpus.units import Units, parse_units
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import ORGANISATION, QueryAnalysis

# The question asks for a measure's assigned units, not for who does something the text describes.
_ASKS_UNITS = re.compile(rf"{LEAD_LABEL.pattern}|{RESPONSIBLE_LABEL.pattern}|{ROLE_VERB}|lead|responsib|in charge",
                         re.IGNORECASE)


def units_line(units: Units, text: str) -> str:
    parts = []
    roles = ((units.lead, LEAD_LABEL, "牵头单位"), (units.responsible, RESPONSIBLE_LABEL, "责任单位"))
    for names, pattern, default in roles:
        if names:
            label = pattern.search(text)
            parts.append(f"{label.group(0) if label else default}：" + "、".join(names))
    return "；".join(parts)


def paragraph_units(analysis: QueryAnalysis, text: str) -> Units | None:
    """The unit note of the paragraph that states most of the question's specific words."""
    blocks: list[str] = []
    for line in text.split("\n"):
        if blocks and UNIT_LABEL.match(line.strip()):  # "责任单位：…" on a line of its own ends the paragraph above
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    best, best_score = None, -1.0
    for paragraph in blocks:
        units = parse_units(paragraph)
        if units is None:
            continue
        folded = normalize_for_search(paragraph)
        score = sum(t.weight for t in analysis.terms if t.stated_in(folded))
        if score > best_score:
            best, best_score = units, score
    return best


class UnitsComposer:
    name = "units"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != ORGANISATION or not _ASKS_UNITS.search(analysis.original):
            return None
        for hit in passages[:3]:
            units = paragraph_units(analysis, hit.chunk.text)
            if units:
                line = units_line(units, hit.chunk.text)
                lead = "The passage names these units: " if analysis.english else ""
                return Draft(f"{lead}根据{where(hit.chunk)}，{line}[1]。", (hit,), self.name, (line,))
        return None
