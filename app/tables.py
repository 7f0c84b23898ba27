"""The officials' tables — a document's responsibility matrix and its targets — as header + rows, and as the
CSV and XLSX files they download. One shape for the API, the CLI and the chat's tabs."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.answer.compose.cite import heading_title
from app.answer.compose.tasks import named_unit, unit_index
from corpus.errors import UnitNotFound
from index.store import IndexStore

FORMATS = ("json", "csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Table:
    name: str  # "units" or "targets": the file's name and the sheet's
    doc_id: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chunk_ids: tuple[str, ...]  # the passage each row cites

    def records(self) -> list[dict[str, str]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


MATRIX_HEAD = ("条目", "措施")
TARGET_HEAD = ("指标", "目标值", "单位", "年份或期限", "条目", "文件", "原文")
UNIT_HEAD = ("文件", "条目", "措施", "角色", "单位（原文）")


def units_table(store: IndexStore, doc_id: str) -> Table:
    """Measures × units of one document, the role in each cell (牵头, 责任, 配合 …), empty where none."""
    m = store.matrix(doc_id)
    rows = tuple((c.measure, heading_title(c), *(cells.get(u, "") for u in m.units)) for c, cells in m.rows)
    return Table("units", doc_id, m.title, (*MATRIX_HEAD, *m.units), rows, tuple(c.chunk_id for c, _ in m.rows))


def targets_table(store: IndexStore, doc_id: str) -> Table:
    title = store.document(doc_id).meta.title
    found = store.targets(doc_id)
    rows = tuple((t.subject, t.figure, t.unit, t.deadline, t.chunk.measure, title, t.sentence) for t in found)
    return Table("targets", doc_id, title, TARGET_HEAD, rows, tuple(t.chunk.chunk_id for t in found))


def unit_tasks_table(store: IndexStore, unit: str) -> Table:
    """Every measure of every document whose unit note names `unit` (as readers write it: 市科技局 = 科技局 =
    包头市科学技术局), by document, lead roles first, with the role and the unit as the note writes them."""
    key = named_unit(unit, store)
    if key is None:
        raise UnitNotFound(f"no document's unit notes name {unit!r}")
    found = sorted(unit_index(store)[key], key=lambda a: (a.chunk.doc_id, not a.lead, a.chunk.start))
    rows = tuple((a.chunk.title, a.chunk.measure, heading_title(a.chunk), a.role, a.unit) for a in found)
    return Table("tasks", "", unit, UNIT_HEAD, rows, tuple(a.chunk.chunk_id for a in found))

def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark: spreadsheet programs then read the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.name
    sheet.append([f"《{table.title}》" if table.doc_id else f"{table.title}的任务"])
    sheet.append(list(table.header))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(list(row))
    sheet.freeze_panes = "C3" if table.name == "units" else "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
