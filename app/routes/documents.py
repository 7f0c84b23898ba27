"""Read-only corpus browsing for UIs: documents, their measure trees, single chunks in context."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import ChargedDep, ServiceDep
from app.schemas import ChunkOut, DocumentDetail, DocumentOut, ErrorOut, HealthOut, MeasureOut, PeriodOut
from corpus.ingest import Document
from corpus.validity import in_force
from index.store import IndexStore

InForceOn = Annotated[dt.date | None, Query(
    description="only documents not known to be expired or not yet in force on this day (YYYY-MM-DD)")]
router = APIRouter(tags=["documents"], responses={404: {"model": ErrorOut}, 429: {"model": ErrorOut}})


def document_out(doc: Document, store: IndexStore, on: dt.date | None = None) -> DocumentOut:
    m = doc.meta
    p = store.period(m.doc_id)
    period = PeriodOut(start=p.start, end=p.end, stated=p.stated, basis=p.basis,
                       status=p.status(on or dt.date.today())) if p else None
    return DocumentOut(doc_id=m.doc_id, title=m.title, title_en=m.title_en, issuer=m.issuer,
                       doc_number=m.doc_number, issue_date=m.issue_date, published=m.published, region=m.region,
                       script=m.script, source_file=m.source_file,
                       chunks=len(store.chunks_of(m.doc_id)), period=period)


@router.get("/healthz", response_model=HealthOut)
def healthz(service: ServiceDep) -> HealthOut:
    return HealthOut.of(service.store)


@router.get("/api/documents", dependencies=[ChargedDep], response_model=list[DocumentOut])
def documents(service: ServiceDep, in_force_on: InForceOn = None) -> list[DocumentOut]:
    store = service.store
    return [document_out(d, store, in_force_on) for doc_id, d in store.documents.items()
            if not in_force_on or in_force(store.period(doc_id), in_force_on)]


@router.get("/api/documents/{doc_id}", dependencies=[ChargedDep], response_model=DocumentDetail)
def document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    store = service.store
    doc = store.document(doc_id)
    measures = [MeasureOut(chunk_id=c.chunk_id, measure=c.measure, heading_path=list(c.heading_path), kind=c.kind,
                           start=c.start, end=c.end, lead_units=list(c.lead_units),
                           responsible_units=list(c.responsible_units))
                for c in store.chunks_of(doc_id)]
    return DocumentDetail(**document_out(doc, store).model_dump(), text=doc.text, measures=measures)


@router.get("/api/chunks/{chunk_id}", dependencies=[ChargedDep], response_model=ChunkOut)
def chunk(chunk_id: str, service: ServiceDep) -> ChunkOut:
    store = service.store
    c = store.chunk(chunk_id)
    doc = store.document(c.doc_id)
    base = chunk_id.split("~")[0]
    pieces = [p for p in store.chunks if p.chunk_id.split("~")[0] == base]
    context = doc.text[min(p.start for p in pieces): max(p.end for p in pieces)]
    return ChunkOut(chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, measure=c.measure,
                    heading_path=list(c.heading_path), text=c.text, lead_units=list(c.lead_units),
                    responsible_units=list(c.responsible_units), score=0.0, kind=c.kind, start=c.start, end=c.end,
                    document_title=doc.meta.title, context=context)
