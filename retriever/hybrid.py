"""Hybrid retrieval: dense (FAISS) + BM25 fused by reciprocal rank, with direct hits on the documents,
measures and years a question names, and metadata filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from corpus.lang.docnumber import doc_number_key
from corpus.lang.numbering import measure_match, measure_path
from corpus.lang.orgs import unit_key
from corpus.lang.text import normalize_for_search, normalize_width
from corpus.model import ANNEX, CLOSING, INTRO, LEAD, MEASURE, PREAMBLE, Chunk
from index.embedders import Embedder
from index.store import IndexStore
from index.tokenize import tokenize
from retriever.query import (
    TITLE_QUOTED,
    QueryAnalysis,
    analyse,
    corpus_places,
    document_keys,
    matches_doc_number,
    names_document,
    year_matches,
)
from retriever.rerank import Reranker


@dataclass(frozen=True)
class RetrievalConfig:
    dense_weight: float = 1.0
    bm25_weight: float = 2.0
    rrf_k: int = 10
    candidates: int = 100  # dense neighbours and BM25 hits considered before fusion
    doc_boost: float = 1.5  # a question that names a document's city, alias or year
    measure_boost: float = 0.1  # added when a chunk's number path has every number the question names (~⅓ of a top RRF score)  # noqa: E501
    kind_prior: dict[str, float] = field(default_factory=lambda: {
        MEASURE: 1.0, INTRO: 1.0, PREAMBLE: 0.9, CLOSING: 0.7, LEAD: 0.6})
    # Who issued a document and when is stated in its preamble, signature or a news lead, not in a measure.
    metadata_prior: dict[str, float] = field(default_factory=lambda: {
        PREAMBLE: 1.6, CLOSING: 1.6, LEAD: 1.3, ANNEX: 0.8})
    rerank_top: int = 20
    structure: bool = True  # document, measure and kind boosts; off only to measure the bare channels


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    issuer: str | None = None
    region: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    lead_unit: str | None = None

    def empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score after boosts; comparable within one query
    dense: float  # cosine similarity of query and passage
    bm25: float
    rank: int


def top_k_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """The positions of the k highest scores, ties broken by position: the set a stable descending argsort's
    first k would give, found by partition in O(n) instead of sorting all n."""
    if k >= len(scores):
        return np.arange(len(scores))
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    above = np.flatnonzero(scores > kth)
    return np.concatenate([above, np.flatnonzero(scores == kth)[: k - len(above)]])


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder, config: RetrievalConfig | None = None,
                 reranker: Reranker | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.reranker = reranker
        self._doc_index = _DocumentIndex(store)
        self.places = corpus_places(d.meta for d in store.documents.values())
        # Measure number → the chunks bearing it (their own number or their article's), once per index: a
        # measure the question names by number is a candidate even when neither channel ranks it.
        self._by_number: dict[float, list[int]] = {}
        for i, chunk in enumerate(store.chunks):
            path = measure_path(chunk.measure)
            for number in {path[-1][1], *(n for f, n in path if f == "article")} if path else ():
                self._by_number.setdefault(number, []).append(i)
        # Filter tables, built once per index: per document its normalised issuer/region (as an index into the
        # distinct values) and year, per chunk its document's row, per lead unit the chunks it leads. A filter
        # then costs numpy work and a pass over the distinct issuers or regions, no Python per chunk or document.
        metas = [d.meta for d in store.documents.values()]
        self._doc_ids = list(store.documents)
        self._doc_row = {doc_id: row for row, doc_id in enumerate(self._doc_ids)}
        self._issuers = _Distinct([normalize_for_search(m.issuer) for m in metas])
        self._regions = _Distinct([normalize_for_search(f"{m.region} {m.region_en}") for m in metas])
        self._years = np.array([-1 if m.year is None else m.year for m in metas], dtype=np.int64)
        self._chunk_doc = np.array([self._doc_row[c.doc_id] for c in store.chunks], dtype=np.int64)
        leads: dict[str, list[int]] = {}
        for position, chunk in enumerate(store.chunks):
            for key in {unit_key(normalize_for_search(u)) for u in chunk.lead_units}:
                leads.setdefault(key, []).append(position)
        self._led_by = {key: np.array(positions, dtype=np.int64) for key, positions in leads.items()}

    def analyse(self, question: str) -> QueryAnalysis:
        """The question's analysis, with this corpus's places read into romanised names."""
        return analyse(question, self.places, self.store.bm25.__contains__)

    def _allowed(self, filters: Filters) -> np.ndarray | None:
        """The sorted positions of the chunks `filters` admits; None when nothing is filtered."""
        if filters.empty():
            return None
        docs = self._docs_passing(filters)
        mask = docs[self._chunk_doc] if len(self._chunk_doc) else np.zeros(0, dtype=bool)
        if filters.lead_unit:
            led = np.zeros(len(mask), dtype=bool)
            led[self._led_by.get(unit_key(normalize_for_search(filters.lead_unit)), np.zeros(0, np.int64))] = True
            mask &= led
        return np.flatnonzero(mask)

    def _docs_passing(self, f: Filters) -> np.ndarray:
        """Per document row, whether it passes the document filters (all of them: doc ids, issuer, region,
        years; a document of unknown year fails a year bound)."""
        passes = np.ones(len(self._doc_ids), dtype=bool)
        if f.doc_ids:
            named = np.zeros(len(self._doc_ids), dtype=bool)
            named[[self._doc_row[d] for d in f.doc_ids if d in self._doc_row]] = True
            passes &= named
        if f.issuer:
            passes &= self._issuers.containing(normalize_for_search(f.issuer))
        if f.region:
            passes &= self._regions.containing(normalize_for_search(f.region))
        if f.year_from:
            passes &= (self._years >= 0) & (self._years >= f.year_from)
        if f.year_to:
            passes &= (self._years >= 0) & (self._years <= f.year_to)
        return passes

    def _doc_weights(self, analysis: QueryAnalysis, among: set[str]) -> tuple[dict[str, float], bool]:
        """Documents the question points at: a 文号 selects one outright; city, alias and year boost. Returns the
        weights of the documents in `among` (the candidates' documents: no other weight is read) and whether the
        question points at any document at all (the measure boost depends on that). Only the documents the
        question's own words can point at are examined (_DocumentIndex), and of those outside `among` only until
        one is pointed at: a year or a common title word can point at thousands of documents in a large corpus."""
        by_number = self._doc_index.by_number.get(analysis.doc_number) if analysis.doc_number else None
        if by_number is not None and matches_doc_number(analysis, self.store.documents[by_number].meta):
            return ({by_number: self.config.doc_boost ** 3} if by_number in among else {}), True
        text = analysis.text + " " + normalize_for_search(analysis.expansion)
        found = self._doc_index.candidates(text, analysis)
        weights = {doc_id: weight for doc_id in found & among
                   if (weight := self._doc_weight(doc_id, text, analysis)) is not None}
        return weights, bool(weights) or any(self._doc_weight(doc_id, text, analysis) is not None
                                             for doc_id in found - among)

    def _doc_weight(self, doc_id: str, text: str, analysis: QueryAnalysis) -> float | None:
        """How much the question points at the document; None when it does not."""
        meta = self.store.documents[doc_id].meta
        hits = sum(key in text for key in self._doc_index.keys[doc_id])
        hits += 2 * names_document(analysis, meta)
        hits += any(year_matches(y, meta) for y in analysis.years)
        return self.config.doc_boost ** min(hits, 2) if hits else None

    def search(self, query: str | QueryAnalysis, top_k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The top_k chunks for `query` (a question, or its analysis when the caller made one), best first."""
        filters = filters or Filters()
        analysis = query if isinstance(query, QueryAnalysis) else self.analyse(query)
        n = len(self.store.chunks)
        if n == 0:
            return []
        allowed = self._allowed(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        cfg = self.config
        search_text = f"{analysis.text} {analysis.expansion}".strip()

        qvec = self.embedder.embed_queries([search_text])[0]
        positions, cosines = self.store.dense_scores(qvec, min(n, cfg.candidates), allowed)
        dense = np.full(n, -1.0, dtype=np.float32)
        dense[positions] = cosines
        bm25 = self.store.bm25.scores(tokenize(search_text))
        sparse_top = (top_k_positions(bm25, cfg.candidates) if allowed is None
                      else allowed[top_k_positions(bm25[allowed], cfg.candidates)])

        candidates = set(positions.tolist()) | set(sparse_top.tolist())
        named = {i for ref in analysis.measures for i in self._by_number.get(ref.number, ())}
        if allowed is not None:  # the named chunks the filter admits (allowed is sorted)
            named = {i for i in named if allowed[min(np.searchsorted(allowed, i), len(allowed) - 1)] == i}
        candidates |= named
        if not candidates:
            return []
        cand = np.array(sorted(candidates))
        dense_rank = {i: r for r, i in enumerate(cand[np.argsort(-dense[cand], kind="stable")])}
        bm25_order = cand[np.argsort(-bm25[cand], kind="stable")]
        bm25_rank = {i: r for r, i in enumerate(bm25_order) if bm25[i] > 0}

        doc_weights, pointed = self._doc_weights(analysis, {self.store.chunks[i].doc_id for i in cand})
        fused: dict[int, float] = {}
        for i in cand:
            chunk = self.store.chunks[i]
            score = cfg.dense_weight / (cfg.rrf_k + dense_rank[i] + 1)
            if i in bm25_rank:
                score += cfg.bm25_weight / (cfg.rrf_k + bm25_rank[i] + 1)
            if not cfg.structure:
                fused[int(i)] = score
                continue
            prior = cfg.metadata_prior if analysis.metadata else cfg.kind_prior
            score *= prior.get(chunk.kind, 1.0)
            score *= doc_weights.get(chunk.doc_id, 1.0)
            matched = measure_match(analysis.measures, chunk.measure)
            if matched:
                score += cfg.measure_boost * (1 + 0.5 * (matched - 1)) * (
                    doc_weights.get(chunk.doc_id, 0.5) if pointed else 1.0)
            fused[int(i)] = score
        order = sorted(fused, key=lambda i: -fused[i])
        if self.reranker is not None:
            head = order[: cfg.rerank_top]
            scores = self.reranker.rerank(search_text, [self.store.chunks[i].text for i in head])
            order = [i for _, i in sorted(zip(scores, head, strict=True), key=lambda p: -p[0])] + order[cfg.rerank_top:]
        return [Hit(self.store.chunks[i], float(fused[i]), float(dense[i]), float(bm25[i]), r + 1)
                for r, i in enumerate(order[:top_k])]


class _Distinct:
    """A per-document text column stored as its distinct values: a substring test runs once per distinct value
    (a corpus has far fewer issuers and regions than documents) and is spread back to the documents by numpy."""

    def __init__(self, values: list[str]) -> None:
        self.values = sorted(set(values))
        row = {value: i for i, value in enumerate(self.values)}
        self.of_doc = np.array([row[v] for v in values], dtype=np.int64)

    def containing(self, needle: str) -> np.ndarray:
        """Per document, whether its value contains `needle`."""
        hits = np.array([needle in value for value in self.values], dtype=bool)
        return hits[self.of_doc] if len(self.of_doc) else np.zeros(0, dtype=bool)


class _DocumentIndex:
    """Which documents a question's words can point at, built once per index so a query's cost does not grow
    with the number of documents: the rules themselves (retriever.query) are then applied to those only.
    Each lookup finds every document its rule could accept: a key found in the question is one of the
    question's substrings; a title quoted for TITLE_QUOTED characters shares that many-character piece with
    the question; a year is the document's or between the years its title names. Romanised titles, compared in
    pinyin, are few and always examined."""

    def __init__(self, store: IndexStore) -> None:
        self.keys = {doc_id: document_keys(d.meta) for doc_id, d in store.documents.items()}
        self.by_number: dict[tuple[str, ...], str] = {}
        self._by_key: dict[str, list[str]] = {}
        self._by_title_piece: dict[str, list[str]] = {}
        self._by_year: dict[int, list[str]] = {}
        self._romanised: list[str] = []
        for doc_id, doc in store.documents.items():
            meta = doc.meta
            if meta.doc_number:
                self.by_number.setdefault(doc_number_key(meta.doc_number), doc_id)  # the first, as a scan finds
            for key in set(self.keys[doc_id]):
                self._by_key.setdefault(key, []).append(doc_id)
            title = normalize_for_search(meta.title)
            if re.search(r"[\u4e00-\u9fff]", title):
                for piece in {title[i:i + TITLE_QUOTED] for i in range(len(title) - TITLE_QUOTED + 1)}:
                    self._by_title_piece.setdefault(piece, []).append(doc_id)
            else:
                self._romanised.append(doc_id)
            # every year between the title's first and last four-digit number: a superset of any period it names
            named = sorted(int(n) for n in re.findall(r"\d{4}", normalize_width(meta.title)))
            years = {meta.year, *(range(named[0], named[-1] + 1) if named else ())} - {None}
            for year in years:
                self._by_year.setdefault(year, []).append(doc_id)
        self._key_lengths = sorted({len(k) for k in self._by_key})

    def candidates(self, text: str, analysis: QueryAnalysis) -> set[str]:
        """The documents the question might point at."""
        found = set(self._romanised)
        for length in self._key_lengths:
            for i in range(len(text) - length + 1):
                found.update(self._by_key.get(text[i:i + length], ()))
        question = analysis.text
        for i in range(len(question) - TITLE_QUOTED + 1):
            found.update(self._by_title_piece.get(question[i:i + TITLE_QUOTED], ()))
        for year in analysis.years:
            found.update(self._by_year.get(year, ()))
        return found
