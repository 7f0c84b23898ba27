"""What a unit leads, is responsible for or cooperates on: "市科技局牵头哪些任务?" lists every measure that names
the unit in its unit note, over all documents (or those of the place the question names), grouped by document
and role, each cited. Unit names are compared as readers write them (corpus.matrix: 包头市科学技术局 = 市科技局
= 科技局 within a document), and shown as the document writes them."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.items import item_line
from corpus.lang.orgs import abbreviate
from corpus.lang.places import division_codes, nested
from corpus.lang.text import normalize_for_search
from corpus.matrix import Assignment, assignments
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import TASKS, QueryAnalysis, matches_doc_number, names_document

MAX_TASKS = 15
_LEAD_ONLY = re.compile(r"牵头|牽頭|lead", re.I)
_OTHERS_ONLY = re.compile(r"参与|參與|配合|协同|協同|cooperat|assist", re.I)
def unit_index(store: IndexStore) -> dict[str, list[Assignment]]:
    """unit key → every assignment of it, in document order, once per index."""
    return store.derived("unit_index", _read_units)


def _read_units(store: IndexStore) -> dict[str, list[Assignment]]:
    index: dict[str, list[Assignment]] = {}
    for doc_id in store.documents:
        for a in assignments(store.chunks_of(doc_id)):
            index.setdefault(a.key, []).append(a)
    return index


def named_unit(question: str, store: IndexStore) -> str | None:
    """The longest unit of the corpus's unit notes that the question names, in any of its written forms."""
    text = abbreviate(normalize_for_search(question))
    found = [key for key in unit_index(store) if key in text]
    return max(found, key=len) if found else None


class TasksComposer:
    name = "tasks"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != TASKS:
            return None
        unit = named_unit(analysis.original, store)
        if unit is None:
            return None
        entries = unit_index(store)[unit]
        if _LEAD_ONLY.search(analysis.original):
            entries = [a for a in entries if a.lead]
        elif _OTHERS_ONLY.search(analysis.original):
            entries = [a for a in entries if not a.lead]
        # "包头市科技局": the documents of that place only.
        for place in analysis.places:
            codes = division_codes(place)
            entries = [a for a in entries if not store.places(a.chunk.doc_id)
                       or nested(codes, store.places(a.chunk.doc_id))]
        # A document named by its title or 文号 is the one asked about; if its unit notes never name the unit,
        # its text does ("市科委负责…"), and the quote composer answers from it.
        named = {d for d in store.documents if names_document(analysis, store.document(d).meta)
                 or matches_doc_number(analysis, store.document(d).meta)}
        if named:
            entries = [a for a in entries if a.chunk.doc_id in named]
        docs = {h.chunk.doc_id for h in passages[:3]}
        # A question that points at a document (its passages all come from it) is answered from that document.
        if len(docs) == 1 and any(a.chunk.doc_id in docs for a in entries) and store.documents.keys() - docs \
                and bool(analysis.years or analysis.doc_number):
            entries = [a for a in entries if a.chunk.doc_id in docs]
        if not entries:
            return None
        entries = sorted(entries, key=lambda a: (a.chunk.doc_id, not a.lead, a.chunk.start))
        every = tuple((Hit(a.chunk, 0.0, 0.0, 0.0, 0), item_line(a.chunk)) for a in entries)
        lines, cited, quotes = [], [], []
        current = None
        for a in entries[:MAX_TASKS]:
            if (a.chunk.doc_id, a.lead) != current:
                current = (a.chunk.doc_id, a.lead)
                lines.append(f"《{a.chunk.title}》中，{a.unit}{'牵头' if a.lead else f'为{a.role}单位'}：")
            cited.append(Hit(a.chunk, 0.0, 0.0, 0.0, 0))
            line = item_line(a.chunk)
            quotes.append(line)
            lines.append(f"{line}[{len(cited)}]")
        counted = ()
        if len(entries) > MAX_TASKS:
            counted = (f"共{len(entries)}项",)  # the number of items the answer returns in `items`
            lines.append(f"……共{len(entries)}项，以上为前几项，其余见回答的 items 字段。")
        return Draft("\n".join(lines), tuple(cited), self.name, tuple(quotes), every, counted)
