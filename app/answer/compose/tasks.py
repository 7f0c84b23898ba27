"""What a unit leads or is responsible for: "市科技局牵头哪些任务?" lists every measure that names the unit
in its unit note, grouped by document and role, each cited. Unit names are compared as readers write them
(市科技局 = 科技局)."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.items import item_line
from corpus.lang.orgs import unit_key
from corpus.lang.text import normalize_for_search
from corpus.model import Chunk
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import TASKS, QueryAnalysis

MAX_TASKS = 15
_LEAD_ONLY = re.compile(r"牵头|lead", re.I)
_UNITS: dict[object, dict[str, list[tuple[Chunk, str, str]]]] = {}  # by build directory: a build never changes


def _unit_index(store: IndexStore) -> dict[str, list[tuple[Chunk, str, str]]]:
    """unit key → [(measure, "lead" | "responsible", the unit as that measure writes it)], once per index."""
    if store.path not in _UNITS:
        index: dict[str, list[tuple[Chunk, str, str]]] = {}
        for chunk in store.chunks:
            if chunk.piece != 1:
                continue
            for role, units in (("lead", chunk.lead_units), ("responsible", chunk.responsible_units)):
                for unit in units:
                    key = unit_key(normalize_for_search(unit))
                    if len(key) >= 2:
                        index.setdefault(key, []).append((chunk, role, unit))
        if len(_UNITS) >= 4:  # builds replaced by reloads
            _UNITS.pop(next(iter(_UNITS)))
        _UNITS[store.path] = index
    return _UNITS[store.path]


def named_unit(question: str, store: IndexStore) -> str | None:
    """The longest unit of the corpus's unit notes that the question names."""
    text = normalize_for_search(question)
    found = [key for key in _unit_index(store) if key in text]
    return max(found, key=len) if found else None


class TasksComposer:
    name = "tasks"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != TASKS:
            return None
        unit = named_unit(analysis.original, store)
        if unit is None:
            return None
        lead_only = bool(_LEAD_ONLY.search(analysis.original))
        entries = [(c, role) for c, role, _ in _unit_index(store)[unit] if role == "lead" or not lead_only]
        docs = {h.chunk.doc_id for h in passages[:3]}
        # A question that points at a document (its passages all come from it) is answered from that document.
        if len(docs) == 1 and any(c.doc_id in docs for c, _ in entries):
            entries = [(c, role) for c, role in entries if c.doc_id in docs]
        if not entries:
            return None
        # Named as the question names it when a measure writes it so ("市科技局"), else as most measures do.
        spellings = [u for _, _, u in _unit_index(store)[unit]]
        shown = next((u for u in sorted(set(spellings), key=len, reverse=True)
                      if normalize_for_search(u) in normalize_for_search(analysis.original)),
                     max(set(spellings), key=spellings.count))
        entries = sorted(entries, key=lambda e: (e[0].doc_id, e[1] != "lead", e[0].start))[:MAX_TASKS]
        lines, cited, quotes = [], [], []
        current = None
        for chunk, role in entries:
            if (chunk.doc_id, role) != current:
                current = (chunk.doc_id, role)
                label = "牵头" if role == "lead" else "负责（责任单位）"
                lines.append(f"《{chunk.title}》中，{shown}{label}：")
            cited.append(Hit(chunk, 0.0, 0.0, 0.0, 0))
            line = item_line(chunk)
            quotes.append(line)
            lines.append(f"{line}[{len(cited)}]")
        return Draft("\n".join(lines), tuple(cited), self.name, tuple(quotes))
