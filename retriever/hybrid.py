"""Hybrid retrieval: dense (FAISS) + BM25 fused by reciprocal rank, with direct hits on the documents,
measures and years a question names, and metadata filters."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from corpus.lang.numbering import measure_match
from corpus.lang.orgs import unit_key
from corpus.lang.text import normalize_for_search
from corpus.model import ANNEX, CLOSING, INTRO, LEAD, MEASURE, PREAMBLE, Chunk
from index.embedders import Embedder
from index.store import IndexStore
from index.tokenize import tokenize
from retriever.query import (
    QueryAnalysis,
    analyse,
    corpus_places,
    document_keys,
    matches_doc_number,
    title_overlap,
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


class Retriever:
    def __init__(self, store: IndexStore, embedder: Embedder, config: RetrievalConfig | None = None,
                 reranker: Reranker | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config or RetrievalConfig()
        self.reranker = reranker
        self._doc_keys = {doc_id: document_keys(d.meta) for doc_id, d in store.documents.items()}
        self.places = corpus_places(d.meta for d in store.documents.values())

    def analyse(self, question: str) -> QueryAnalysis:
        """The question's analysis, with this corpus's places read into romanised names."""
        return analyse(question, self.places, self.store.bm25.vocab_dict.__contains__)

    def _allowed(self, filters: Filters) -> np.ndarray | None:
        if filters.empty():
            return None
        return np.array([self._passes(chunk, filters) for chunk in self.store.chunks], dtype=bool)

    def _passes(self, chunk: Chunk, f: Filters) -> bool:
        meta = self.store.documents[chunk.doc_id].meta
        year = meta.year
        checks = [
            not f.doc_ids or chunk.doc_id in f.doc_ids,
            not f.issuer or normalize_for_search(f.issuer) in normalize_for_search(meta.issuer),
            not f.region or normalize_for_search(f.region) in normalize_for_search(f"{meta.region} {meta.region_en}"),
            not f.year_from or (year is not None and year >= f.year_from),
            not f.year_to or (year is not None and year <= f.year_to),
            not f.lead_unit or unit_key(normalize_for_search(f.lead_unit))
            in {unit_key(normalize_for_search(u)) for u in chunk.lead_units},
        ]
        return all(checks)

    def _doc_weights(self, analysis: QueryAnalysis) -> dict[str, float]:
        """Documents the question points at: a 文号 selects one outright; city, alias and year boost."""
        text = analysis.text + " " + normalize_for_search(analysis.expansion)
        weights: dict[str, float] = {}
        for doc_id, doc in self.store.documents.items():
            if matches_doc_number(analysis, doc.meta):
                return {doc_id: self.config.doc_boost ** 3}
            hits = sum(key in text for key in self._doc_keys[doc_id])
            hits += 2 * (title_overlap(analysis, doc.meta) >= 8)  # quotes the title: names the document
            hits += any(year_matches(y, doc.meta) for y in analysis.years)
            if hits:
                weights[doc_id] = self.config.doc_boost ** min(hits, 2)
        return weights

    def search(self, query: str | QueryAnalysis, top_k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """The top_k chunks for `query` (a question, or its analysis when the caller made one), best first."""
        filters = filters or Filters()
        analysis = query if isinstance(query, QueryAnalysis) else self.analyse(query)
        n = len(self.store.chunks)
        if n == 0:
            return []
        allowed = self._allowed(filters)
        cfg = self.config
        search_text = f"{analysis.text} {analysis.expansion}".strip()

        qvec = self.embedder.embed_queries([search_text])[0]
        positions, cosines = self.store.dense_scores(qvec, n if allowed is not None else min(n, cfg.candidates))
        dense = np.full(n, -1.0, dtype=np.float32)
        dense[positions] = cosines
        bm25 = np.asarray(self.store.bm25.get_scores(tokenize(search_text) or ["∅"]), dtype=np.float32)

        candidates = set(positions.tolist()) | set(np.argsort(-bm25)[: cfg.candidates].tolist())
        if allowed is not None:
            candidates = {i for i in candidates if allowed[i]}
        if not candidates:
            return []
        cand = np.array(sorted(candidates))
        dense_rank = {i: r for r, i in enumerate(cand[np.argsort(-dense[cand], kind="stable")])}
        bm25_order = cand[np.argsort(-bm25[cand], kind="stable")]
        bm25_rank = {i: r for r, i in enumerate(bm25_order) if bm25[i] > 0}

        doc_weights = self._doc_weights(analysis)
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
            score *= doc_weights.get(chunk.doc_id, 1.0) if doc_weights else 1.0
            matched = measure_match(analysis.measures, chunk.measure)
            if matched:
                score += cfg.measure_boost * (1 + 0.5 * (matched - 1)) * (
                    doc_weights.get(chunk.doc_id, 0.5) if doc_weights else 1.0)
            fused[int(i)] = score
        order = sorted(fused, key=lambda i: -fused[i])
        if self.reranker is not None:
            head = order[: cfg.rerank_top]
            scores = self.reranker.rerank(search_text, [self.store.chunks[i].text for i in head])
            order = [i for _, i in sorted(zip(scores, head, strict=True), key=lambda p: -p[0])] + order[cfg.rerank_top:]
        return [Hit(self.store.chunks[i], float(fused[i]), float(dense[i]), float(bm25[i]), r + 1)
                for r, i in enumerate(order[:top_k])]
