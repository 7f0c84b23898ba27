"""Who leads and who is responsible: every unit the measure names, under the measure's own labels
(配合单位 stays 配合单位), for a question that expects an organisation."""

from __future__ import annotations

from app.answer.compose import Draft
from app.answer.compose.cite import where
from corpus.lang.orgs import LEAD_LABEL, RESPONSIBLE_LABEL
from corpus.model import Chunk
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import ORGANISATION, QueryAnalysis


def units_line(chunk: Chunk) -> str:
    parts = []
    for units, pattern, default in ((chunk.lead_units, LEAD_LABEL, "牵头单位"),
                                    (chunk.responsible_units, RESPONSIBLE_LABEL, "责任单位")):
        if units:
            label = pattern.search(chunk.text)
            parts.append(f"{label.group(0) if label else default}：" + "、".join(units))
    return "；".join(parts)


class UnitsComposer:
    name = "units"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != ORGANISATION:
            return None
        hit = next((h for h in passages[:3] if h.chunk.lead_units or h.chunk.responsible_units), None)
        if hit is None:
            return None
        line = units_line(hit.chunk)
        lead = "The passage names these units: " if analysis.english else ""
        return Draft(f"{lead}根据{where(hit.chunk)}，{line}[1]。", (hit,), self.name, (line,))
