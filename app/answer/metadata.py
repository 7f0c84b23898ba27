"""Questions about a document itself (who issued it, its 文号, its date), answered from the document
record and cited to the passage of that document that states each value. A value that no passage
states is left out, so the answer stays checkable against its citations."""

from __future__ import annotations

import re
from datetime import date

from corpus.model import Chunk, DocumentMeta
from corpus.text import normalize_for_search
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis

_ASKS_DATE = re.compile(r"哪天|哪一天|日期|时间|什么时候|何时|几月|几号|哪年|哪一年|落款|\bwhen\b|\bdate\b", re.I)
_ASKS_PUBLISHED = re.compile(r"发布|公开|公布|上网|网上|published|posted|online|released", re.I)
_ASKS_NUMBER = re.compile(r"文号|字号|document number|reference number|\bno\.", re.I)
_ASKS_ISSUER = re.compile(r"谁|哪个(?:部门|单位|机关)|哪些(?:部门|单位|机关)|机关|部门|\bwho\b|issuer|issued by|"
                          r"which (?:department|agency|body|office|authorit)", re.I)
_ISSUER_PARTS = re.compile(r"[、,，;；\s]+")


def _date_forms(iso: str) -> list[str]:
    """How a passage may write the date, most complete first; the month and day alone come last (a news
    lead's "5月15日"), and the answer shows only the form the passage has."""
    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return []
    return [f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日", d.isoformat(),
            f"{d.month}月{d.day}日"]


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


def document_facts(question: str, meta: DocumentMeta, chunks: list[Chunk]) -> list[tuple[str, str, Chunk]]:
    """(label, value, passage stating it) for each document fact the question asks for."""
    asked = normalize_for_search(question)
    wants = [k for k, pattern in (("issuer", _ASKS_ISSUER), ("number", _ASKS_NUMBER), ("date", _ASKS_DATE))
             if pattern.search(asked)] or ["issuer", "date"]
    facts = []
    if "issuer" in wants and meta.issuer:
        chunk = _stating(_ISSUER_PARTS.split(meta.issuer), chunks)
        if chunk:
            facts.append(("发文机关", meta.issuer, chunk))
    if "number" in wants and meta.doc_number:
        chunk = _stating([meta.doc_number], chunks)
        if chunk:
            facts.append(("文号", meta.doc_number, chunk))
    if "date" in wants:
        # "发布" often just means issued: the issue date, labelled as such, when no passage states another.
        dates = [("发布日期", meta.published)] if _ASKS_PUBLISHED.search(asked) else []
        for label, iso in [*dates, ("印发日期", meta.issue_date)]:
            found = next(((form, chunk) for form in _date_forms(iso or "") if (chunk := _stating([form], chunks))),
                         None)
            if found:
                facts.append((label, *found))
                break
    return facts


def compose(question: str, analysis: QueryAnalysis, hits: list[Hit], store: IndexStore) -> tuple[str, list[Hit]] | None:
    """The answer from the top document's record with [n] markers, or None when it states none of the
    facts asked for (the passages are then quoted as usual)."""
    doc_id = hits[0].chunk.doc_id
    retrieved = {h.chunk.chunk_id: h for h in hits}
    # Passages already retrieved are cited first; the rest of the document after them.
    chunks = [h.chunk for h in hits if h.chunk.doc_id == doc_id]
    chunks += [c for c in store.chunks_of(doc_id) if c.chunk_id not in retrieved]
    facts = document_facts(question, store.document(doc_id).meta, chunks)
    if not facts:
        return None
    cited: list[Hit] = []
    parts = []
    for label, value, chunk in facts:
        hit = retrieved.get(chunk.chunk_id) or Hit(chunk, 0.0, 0.0, 0.0, 0)
        if hit not in cited:
            cited.append(hit)
        parts.append(f"{label}：{value}[{cited.index(hit) + 1}]")
    title = f"《{hits[0].chunk.title}》"
    lead = f"According to {title}: " if analysis.english else title
    return f"{lead}{'；'.join(parts)}。", cited
