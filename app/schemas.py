"""The HTTP contract: request and response models. Field names are relied on by clients and the
evaluation suite; change them only with a version bump."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from app.answer.model import Answer, Thread
from app.present import citation_label, cited_span, doubt
from corpus.validity import in_force
from index.store import IndexStore
from retriever.hybrid import Filters, Hit

QUESTION_MAX_CHARS = 1000
NO_DOCUMENT = ""  # a document id no document has: a filter that lets none through
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=QUESTION_MAX_CHARS)]
_QUESTION = TypeAdapter(Question)


def check_question(text: str) -> str:
    """A question typed into a UI, held to the API's rule; pydantic's ValidationError (a ValueError) if not."""
    return _QUESTION.validate_python(text)


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_ids: list[Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=list, max_length=50)
    issuer: Annotated[str, StringConstraints(max_length=200)] | None = None
    region: Annotated[str, StringConstraints(max_length=200)] | None = None
    year_from: int | None = Field(None, ge=1900, le=2100)
    year_to: int | None = Field(None, ge=1900, le=2100)
    lead_unit: Annotated[str, StringConstraints(max_length=200)] | None = None
    in_force_on: dt.date | None = Field(None, description="only documents not known to be expired or not yet in "
                                                          "force on this day (YYYY-MM-DD), as read from their text")

    def to_filters(self, store: IndexStore) -> Filters:
        doc_ids = tuple(self.doc_ids)
        if self.in_force_on:
            day = self.in_force_on
            # An id no document has matches nothing either way.
            doc_ids = tuple(d for d in (doc_ids or store.documents)
                            if d in store.documents and in_force(store.period(d), day))
            doc_ids = doc_ids or (NO_DOCUMENT,)  # none in force: search nothing, not everything
        return Filters(doc_ids, self.issuer, self.region, self.year_from, self.year_to, self.lead_unit)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Question
    top_k: int = Field(5, ge=1, le=20)
    filters: FiltersIn | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: Annotated[str, StringConstraints(max_length=4000)]


_Id = Annotated[str, StringConstraints(max_length=300)]
CONTEXT_QUESTION_MAX_CHARS = 2 * QUESTION_MAX_CHARS


class ContextIO(BaseModel):
    """What the conversation is about after an answer. Each answer returns it; send it back unchanged with the
    next question so a follow-up ("牵头单位呢?") is resolved against the measures that answer cited."""

    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, StringConstraints(max_length=CONTEXT_QUESTION_MAX_CHARS)] = Field(
        "", description="the standalone question last answered")
    doc_ids: list[_Id] = Field(default_factory=list, max_length=20, description="the documents it was about")
    chunk_ids: list[_Id] = Field(default_factory=list, max_length=20, description="the measures its answer cited")

    def to_thread(self) -> Thread:
        return Thread(self.question, tuple(self.doc_ids), tuple(self.chunk_ids))

    @classmethod
    def of(cls, thread: Thread) -> ContextIO:
        # A resolved question names its document and measure too: it may outgrow what a client sent.
        return cls(question=thread.question[:CONTEXT_QUESTION_MAX_CHARS], doc_ids=list(thread.doc_ids),
                   chunk_ids=list(thread.chunk_ids))


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question
    top_k: int | None = Field(None, ge=1, le=20)
    filters: FiltersIn | None = None
    history: list[Turn] = Field(default_factory=list, max_length=20, description=(
        "the conversation so far, oldest first; its user turns resolve a follow-up when no `context` is sent"))
    context: ContextIO | None = Field(None, description=(
        "the `context` the previous answer returned; with it a follow-up is resolved against the cited measures. "
        "The server stores no conversation: leave both out to ask a question on its own"))

    def conversation(self) -> dict[str, object]:
        """The keyword arguments QAService.ask takes for the conversation."""
        return {"history": [(t.role, t.content) for t in self.history],
                "context": self.context.to_thread() if self.context else None}


class HitOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    measure: str
    heading_path: list[str]
    text: str
    lead_units: list[str]
    responsible_units: list[str]
    score: float
    kind: str

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        c = hit.chunk
        return cls(chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, measure=c.measure,
                   heading_path=list(c.heading_path), text=c.text, lead_units=list(c.lead_units),
                   responsible_units=list(c.responsible_units), score=round(hit.score, 6), kind=c.kind)


class SearchResponse(BaseModel):
    hits: list[HitOut]


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    title: str
    measure: str
    text: str
    score: float
    heading_path: list[str]
    lead_units: list[str]
    responsible_units: list[str]
    start: int
    end: int
    label: str = ""  # 《short title》measure + heading, the one label a UI shows for this passage
    highlight: tuple[int, int] = (0, 0)  # the sentence of `text` the answer quotes, as offsets; (0, 0): none


class ItemOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    measure: str
    item: str  # the item as its list shows it ("24.强化政策支持")


class AskResponse(BaseModel):
    answer: str
    citations: list[CitationOut]
    abstained: bool
    confidence: float
    mode: str
    # Why the service declined ("the passages do not mention 广州"), or "ok"; and the judge's rule that refused
    # or the composer that answered ("places_and_years", "quote", "units", …).
    reason: str = "ok"
    rule: str = ""
    # A list answer's every item in document order (the answer text shows the first ones and the count).
    items: list[ItemOut] = Field(default_factory=list)
    # For readers: whether the answer's support is thin (confidence below POLICY_QA_LOW_CONFIDENCE_BELOW), and
    # the service's doubt in plain Chinese (why it declined, or that the support is thin; "" otherwise).
    low_confidence: bool = False
    doubt: str = ""
    resolved_question: str = Field("", description=(
        "the standalone question answered, when the question was a follow-up resolved from the conversation "
        "(shown as 理解为：…); empty when it stood alone or a question back was asked"))
    followup: str = Field("standalone", description=(
        "how the question leaned on the conversation: standalone, clarify (the answer is a question back), "
        "aspect, measure, next_measure, document, unit, place, year, subject, or llm"))
    context: ContextIO = Field(default_factory=ContextIO, description="send back with the next question")

    @classmethod
    def of(cls, answer: Answer, store: IndexStore | None = None, low_below: float = 0.0,
           filtered: bool = False) -> AskResponse:
        def aliases(doc_id: str) -> tuple[str, ...]:
            doc = store.documents.get(doc_id) if store is not None else None
            return doc.meta.aliases if doc else ()

        return cls(
            answer=answer.answer, abstained=answer.abstained, confidence=answer.confidence, mode=answer.mode,
            reason=answer.reason, rule=answer.rule,
            items=[ItemOut(chunk_id=h.chunk.chunk_id, doc_id=h.chunk.doc_id, title=h.chunk.title,
                           measure=h.chunk.measure, item=line) for h, line in answer.items],
            low_confidence=not answer.abstained and answer.confidence < low_below,
            doubt=doubt(answer, low_below, filtered),
            followup=answer.followup, context=ContextIO.of(answer.context),
            resolved_question=answer.resolved,
            citations=[CitationOut(n=c.n, chunk_id=c.hit.chunk.chunk_id, doc_id=c.hit.chunk.doc_id,
                                   title=c.hit.chunk.title, measure=c.hit.chunk.measure, text=c.hit.chunk.text,
                                   score=round(c.hit.score, 6), heading_path=list(c.hit.chunk.heading_path),
                                   lead_units=list(c.hit.chunk.lead_units),
                                   responsible_units=list(c.hit.chunk.responsible_units),
                                   start=c.hit.chunk.start, end=c.hit.chunk.end,
                                   label=citation_label(c.hit.chunk, aliases(c.hit.chunk.doc_id)),
                                   highlight=(0, 0) if answer.abstained else
                                   cited_span(answer.answer, c.n, c.hit.chunk.text))
                       for c in answer.citations])


class PeriodOut(BaseModel):
    start: str | None
    end: str | None
    stated: str = Field(description="the document's own words for it, e.g. 2021-2023年, 自2025年9月1日起施行")
    basis: str = Field(description="span, until, term, effective, or horizon (a target year: no end of validity)")
    status: str = Field(description="in_force, expired, not_yet_in_force or unknown, on the day asked")


class DocumentOut(BaseModel):
    doc_id: str
    title: str
    title_en: str
    issuer: str
    doc_number: str | None
    issue_date: str | None
    published: str | None
    region: str
    script: str
    source_file: str
    chunks: int
    period: PeriodOut | None = None  # the period the document states for itself (corpus.validity)


class TableOut(BaseModel):
    """A document's responsibility matrix or targets table: header, rows, and the passage each row cites."""

    doc_id: str
    title: str
    header: list[str]
    rows: list[list[str]]
    chunk_ids: list[str]


class MeasureOut(BaseModel):
    chunk_id: str
    measure: str
    heading_path: list[str]
    kind: str
    start: int
    end: int
    lead_units: list[str]
    responsible_units: list[str]


class DocumentDetail(DocumentOut):
    text: str
    measures: list[MeasureOut]


class ChunkOut(HitOut):
    start: int
    end: int
    document_title: str
    context: str  # the chunk's whole measure (all pieces), for showing a passage in place


class HealthOut(BaseModel):
    status: str
    documents: int
    chunks: int
    embedder: str
    index_build: str = Field(description="the build directory this worker serves; all workers agree after a reload")
    index_built_at: str

    @classmethod
    def of(cls, store: IndexStore) -> HealthOut:
        return cls(status="ok", documents=len(store.documents), chunks=len(store.chunks),
                   embedder=store.manifest.embedder, index_build=store.path.name,
                   index_built_at=store.manifest.built_at)


class ErrorOut(BaseModel):
    error: str
    message: str
    request_id: str
