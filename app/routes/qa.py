"""Public question-answering endpoints: search, ask, ask as a stream."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from sse_starlette.sse import EventSourceResponse

from app.answer.model import Answer
from app.deps import ClientDep, GateDep, ServiceDep
from app.observability import request_id_var
from app.schemas import AskRequest, AskResponse, ErrorOut, HitOut, SearchRequest, SearchResponse
from app.service import QAService
from corpus.errors import PolicyQAError
from retriever.hybrid import Filters

router = APIRouter(prefix="/api", tags=["questions"],
                   responses={413: {"model": ErrorOut}, 422: {"model": ErrorOut}, 429: {"model": ErrorOut},
                              503: {"model": ErrorOut}})
log = logging.getLogger("policy_qa.api")
# the stream's first event
CITATIONS_EVENT = ("citations", "abstained", "confidence", "low_confidence", "doubt", "resolved_question")


def _response(answer: Answer, service: QAService, filters: Filters | None) -> AskResponse:
    return AskResponse.of(answer, service.store, service.settings.low_confidence_below,
                          filtered=filters is not None and not filters.empty())


@router.post("/search", response_model=SearchResponse)
def search(body: SearchRequest, service: ServiceDep, gate: GateDep, client: ClientDep) -> SearchResponse:
    with gate.admit(client, body.query):
        filters = body.filters.to_filters(service.store) if body.filters else None
        hits = service.search(body.query, body.top_k, filters)
    return SearchResponse(hits=[HitOut.of(h) for h in hits])


@router.post("/ask", response_model=AskResponse)
def ask(body: AskRequest, service: ServiceDep, gate: GateDep, client: ClientDep) -> AskResponse:
    filters = body.filters.to_filters(service.store) if body.filters else None
    with gate.admit(client, body.question):
        answer = service.ask(body.question, body.top_k, filters, **body.conversation())
    log.info("answered", extra={"fields": {"abstained": answer.abstained, "citations": len(answer.citations),
                                           "mode": answer.mode, "confidence": answer.confidence}})
    return _response(answer, service, filters)


@router.post("/ask/stream", response_class=EventSourceResponse,
             responses={200: {"content": {"text/event-stream": {}}, "description": "citations, delta…, done"}})
async def ask_stream(body: AskRequest, service: ServiceDep, gate: GateDep,
                     client: ClientDep) -> EventSourceResponse:
    """Server-sent events: `citations` (the sources, first), `delta` (answer text pieces), `done` (the
    whole answer, same shape as /api/ask), or `error`. A refusal by the gate (429, 503) is an HTTP error."""
    rid = request_id_var.get()
    filters = body.filters.to_filters(service.store) if body.filters else None

    def answer() -> list[tuple[str, object]] | dict[str, str]:
        with gate.admit(client, body.question):  # answered before the stream opens, so a slot never leaks
            try:
                return list(service.ask_stream(body.question, body.top_k, filters, **body.conversation()))
            except PolicyQAError as exc:
                return {"error": type(exc).__name__, "message": exc.message, "request_id": rid}
            except Exception:
                log.exception("stream failed")
                return {"error": "internal_error", "message": "the service failed to answer", "request_id": rid}

    steps = await run_in_threadpool(answer)

    async def events() -> AsyncIterator[dict[str, str]]:
        if isinstance(steps, dict):
            yield {"event": "error", "data": json.dumps(steps, ensure_ascii=False)}
            return
        for event, payload in steps:
            if isinstance(payload, Answer):
                full = _response(payload, service, filters).model_dump()
                data = full if event == "done" else {k: full[k] for k in CITATIONS_EVENT}
            else:
                data = {"text": payload}
            yield {"event": event, "data": json.dumps(data, ensure_ascii=False)}

    return EventSourceResponse(events(), headers={"X-Request-ID": rid}, ping=15)
