"""Which documents a question is about, read off what it names — places, years, a quoted title, a 文号 —
for the composers that answer from a document's structure (counts, validity, comparisons) rather than from
the passages the judge let through."""

from __future__ import annotations

from collections.abc import Iterable

from corpus.lang.places import division_codes, nested
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis, document_keys, matches_doc_number, names_document, year_matches


def places(analysis: QueryAnalysis, store: IndexStore) -> list[str]:
    """The places the question names, in its order: the analysis's, and the documents' own places (a city the
    general dictionary does not tag as one, 包头) when the question writes them."""
    found = set(analysis.places) | {k for k in store.derived("place_keys", _place_keys) if k in analysis.text}
    found = {p for p in found if not any(p != o and p in o for o in found)}  # 包头 within 包头市
    return sorted(found, key=lambda p: (analysis.text.find(p) if p in analysis.text else len(analysis.text)))


def _place_keys(store: IndexStore) -> frozenset[str]:
    """The documents' own keys that are divisions (包头), once per index: not every document per question."""
    return frozenset(k for d in store.documents for k in document_keys(store.document(d).meta) if division_codes(k))


def of_place(store: IndexStore, place: str, doc_ids: Iterable[str]) -> list[str]:
    codes = division_codes(place)
    return [d for d in doc_ids if store.places(d) and nested(codes, store.places(d))]


def of_year(store: IndexStore, year: int, doc_ids: Iterable[str]) -> list[str]:
    return [d for d in doc_ids if year_matches(year, store.document(d).meta)]


def named_documents(analysis: QueryAnalysis, hits: list[Hit], store: IndexStore) -> list[str]:
    """The documents the question names (by title or 文号, else by every place and year it names), best
    retrieved first; the best retrieved document when it names none."""
    ranked = list(dict.fromkeys([*(h.chunk.doc_id for h in hits), *store.documents]))
    metas = {d: store.document(d).meta for d in ranked}
    named = places(analysis, store)
    # A title quoted with another place ("苏州市…管理规定" of 滨州's) names no document here.
    exact = [d for d in ranked if (names_document(analysis, metas[d]) or matches_doc_number(analysis, metas[d]))
             and all(not store.places(d) or of_place(store, p, [d]) for p in named)]
    if exact:
        return exact[:1]
    docs = ranked
    for place in named:
        docs = of_place(store, place, docs)
    for year in analysis.years:
        docs = of_year(store, year, docs)
    if named or analysis.years:
        return docs
    return [hits[0].chunk.doc_id] if hits else []


def sides(analysis: QueryAnalysis, store: IndexStore) -> list[tuple[str, list[str]]]:
    """(label, its documents) for each place or year a comparison names, when it names two or more that
    resolve to different documents ("包头和赤峰", "2024年和2026年"); otherwise []."""
    docs = list(store.documents)
    named = places(analysis, store)
    for place in named if len(analysis.years) >= 2 else ():  # "包头2024年和2026年": within the place
        docs = of_place(store, place, docs)
    found = []
    if len(named) >= 2:
        found = [(p, of_place(store, p, docs)) for p in named]
        # "包头2024年意见和呼和浩特三年行动计划": a year narrows the side it belongs to, not the others.
        for year in analysis.years:
            found = [(p, of_year(store, year, d) or d) for p, d in found]
    elif len(set(analysis.years)) >= 2:
        found = [(f"{y}年", of_year(store, y, docs)) for y in dict.fromkeys(analysis.years)]
    # Every side its own documents: 山东 and 滨州 (one inside the other) are no two sides.
    apart = all(not set(a) & set(b) for i, (_, a) in enumerate(found) for _, b in found[i + 1:])
    return found if found and all(d for _, d in found) and apart else []
