"""The officials' tables of one document — responsibility matrix, targets — as JSON or as CSV/XLSX downloads."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from app.deps import ChargedDep, ServiceDep
from app.schemas import ErrorOut, TableOut
from app.tables import CSV_TYPE, XLSX_TYPE, Table, targets_table, to_csv, to_xlsx, unit_tasks_table, units_table

router = APIRouter(tags=["tables"], responses={404: {"model": ErrorOut}, 429: {"model": ErrorOut}})
Format = Query("json", description="json, or a csv / xlsx download")


def _reply(table: Table, fmt: str) -> TableOut | Response:
    if fmt == "json":
        return TableOut(doc_id=table.doc_id, title=table.title, header=list(table.header),
                        rows=[list(r) for r in table.rows], chunk_ids=list(table.chunk_ids))
    body, kind = (to_csv(table), CSV_TYPE) if fmt == "csv" else (to_xlsx(table), XLSX_TYPE)
    name = f"{table.doc_id or table.title}-{table.name}.{fmt}"
    return Response(body, media_type=kind,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/api/documents/{doc_id}/units", dependencies=[ChargedDep], response_model=TableOut)
def units(doc_id: str, service: ServiceDep, format: Literal["json", "csv", "xlsx"] = Format) -> TableOut | Response:
    """Measures × units: the role each unit has in each measure (牵头, 责任, 配合 …)."""
    return _reply(units_table(service.store, doc_id), format)


@router.get("/api/documents/{doc_id}/targets", dependencies=[ChargedDep], response_model=TableOut)
def targets(doc_id: str, service: ServiceDep, format: Literal["json", "csv", "xlsx"] = Format) -> TableOut | Response:
    """Every quantified target: subject, figure, unit, year or deadline, measure, document, verbatim sentence."""
    return _reply(targets_table(service.store, doc_id), format)


@router.get("/api/units/{unit}/tasks", dependencies=[ChargedDep], response_model=TableOut)
def unit_tasks(unit: Annotated[str, Path(max_length=100)], service: ServiceDep,
               format: Literal["json", "csv", "xlsx"] = Format) -> TableOut | Response:
    """A unit's tasks across all documents: each measure whose unit note names it, with its role there."""
    return _reply(unit_tasks_table(service.store, unit), format)
