"""Questions about a document itself (who issued it, its 文号, its date), answered from the document
record and cited to the passage of that document that states each value. A value that no passage states
is left out, so the answer stays checkable against its citations."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from corpus.lang.dates import date_forms
from corpus.lang.text import normalize_for_search
from corpus.model import Chunk, DocumentMeta
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis

_ISSUER_PARTS = re.compile(r"[、,，;；\s]+")


def _stating(values: list[str], chunks: list[Chunk]) -> Chunk | None:
    """The first passage that states every value (compared after script and width folding)."""
    wanted = [normalize_for_search(v).replace(" ", "") for v in values if v]
    if not wanted:
        return None
    for chunk in chunks:
        text = normalize_for_search(chunk.text).replace(" ", "")
        if all(v in text for v in wanted):
            return chunk
    return None


def document_facts(asked: tuple[str, ...], meta: DocumentMeta, chunks: list[Chunk]) -> list[tuple[str, str, Chunk]]:
    """(label, value, passage stating it) for each document fact asked for."""
    facts = []
    if "issuer" in asked and meta.issuer:
        chunk = _stating(_ISSUER_PARTS.split(meta.issuer), chunks)
        if chunk:
            facts.append(("发文机关", meta.issuer, chunk))
    if "number" in asked and meta.doc_number:
        chunk = _stating([meta.doc_number], chunks)
        if chunk:
            facts.append(("文号", meta.doc_number, chunk))
    if "date" in asked:
        for label, iso in (("印发日期", meta.issue_date), ("发布日期", meta.published)):
            found = next(((form, chunk) for form in date_forms(iso or "") if (chunk := _stating([form], chunks))),
                         None)
            if found:
                facts.append((label, *found))
                break
    return facts


class RecordComposer:
    name = "record"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if not analysis.doc_facts:
            return None
        doc_id = passages[0].chunk.doc_id
        retrieved = {h.chunk.chunk_id: h for h in passages}
        # Passages already retrieved are cited first; the rest of the document after them.
        chunks = [h.chunk for h in passages if h.chunk.doc_id == doc_id]
        chunks += [c for c in store.chunks_of(doc_id) if c.chunk_id not in retrieved]
        facts = document_facts(analysis.doc_facts, store.document(doc_id).meta, chunks)
        if not facts:
            return None
        cited: list[Hit] = []
        parts = []
        for label, value, chunk in facts:
            hit = retrieved.get(chunk.chunk_id) or Hit(chunk, 0.0, 0.0, 0.0, 0)
            if hit not in cited:
                cited.append(hit)
            parts.append(f"{label}：{value}[{cited.index(hit) + 1}]")
        title = f"《{passages[0].chunk.title}》"
        lead = f"According to {title}: " if analysis.english else title
        return Draft(f"{lead}{'；'.join(parts)}。", tuple(cited), self.name, tuple(v for _, v, _ in facts))
