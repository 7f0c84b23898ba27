"""The officials' table tabs — 责任分工 (a document's responsibility matrix, and one unit's tasks across all
documents) and 目标指标 (its quantified targets) — each with CSV/XLSX downloads from the API. Mounted inside
the chat's Blocks by ui/chat.py."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

import gradio as gr
from fastapi import FastAPI

from app.gate import RateLimited
from app.service import QAService
from app.tables import Table, targets_table, unit_tasks_table, units_table
from corpus.errors import UnitNotFound
from index.store import IndexStore

HINT = '<div class="pq-hint">选择文件后显示表格；可下载 CSV 或 Excel。</div>'
UNIT_HINT = '<div class="pq-hint">输入单位名称，查看它在各文件中牵头、负责或配合的任务。</div>'
MAX_UNIT = 100  # as the API's path parameter


def _downloads(table: Table) -> str:
    base = f"/api/documents/{html.escape(table.doc_id)}/{table.name}"
    return (f'<div class="pq-downloads">《{html.escape(table.title)}》共 {len(table.rows)} 行 · '
            f'<a href="{base}?format=csv" download>下载 CSV</a> · '
            f'<a href="{base}?format=xlsx" download>下载 Excel</a></div>')


def tables_tabs(app: FastAPI, blocks: gr.Blocks) -> None:
    """Add the two tabs to `blocks` (call inside its `with`); they read the service the chat reads."""

    def store(request: gr.Request | None) -> IndexStore:
        try:  # a cheap read, counted like GET /api/documents
            app.state.gate.charge(request.client.host if request is not None and request.client else "unknown")
        except RateLimited as exc:
            raise gr.Error(f"请求过于频繁，请 {exc.retry_after} 秒后再试。") from None
        service: QAService | None = getattr(app.state, "service", None)
        if service is None:
            raise gr.Error("服务尚未就绪，请稍后重试。")
        return service.store

    def shows(build: Any) -> Any:
        def show(doc_id: str | None, request: gr.Request) -> tuple[Any, str]:
            if not doc_id:
                return gr.Dataframe(value=[], headers=["—"]), HINT
            table = build(store(request), doc_id)
            rows = [list(r) for r in table.rows] or [["（该文件未载明）", *[""] * (len(table.header) - 1)]]
            return gr.Dataframe(value=rows, headers=list(table.header)), _downloads(table)
        return show

    def unit_tasks(unit: str, request: gr.Request) -> tuple[Any, str]:
        unit = unit.strip()[:MAX_UNIT]
        if not unit:
            return gr.Dataframe(value=[], headers=["—"]), UNIT_HINT
        try:
            table = unit_tasks_table(store(request), unit)
        except UnitNotFound:
            return (gr.Dataframe(value=[], headers=["—"]),
                    f'<div class="pq-hint" role="status">没有文件的责任分工写到“{html.escape(unit)}”。</div>')
        base = f"/api/units/{quote(unit, safe='')}/tasks"
        links = (f'<div class="pq-downloads">“{html.escape(unit)}”在 {len({r[0] for r in table.rows})} 份文件中共 '
                 f'{len(table.rows)} 项任务 · <a href="{base}?format=csv" download>下载 CSV</a> · '
                 f'<a href="{base}?format=xlsx" download>下载 Excel</a></div>')
        return gr.Dataframe(value=[list(r) for r in table.rows], headers=list(table.header)), links

    pickers = []
    for label, build, key in (("责任分工", units_table, "units"), ("目标指标", targets_table, "targets")):
        with gr.Tab(label):
            picker = gr.Dropdown(label="选择文件", choices=[], elem_id=f"pq-{key}-doc")
            links = gr.HTML(HINT, elem_id=f"pq-{key}-links")
            grid = gr.Dataframe(interactive=False, wrap=True, elem_id=f"pq-{key}-table")
            picker.change(shows(build), [picker], [grid, links])
            pickers.append(picker)
            if key == "units":  # the other way round: one unit's tasks in every document
                with gr.Row():
                    name = gr.Textbox(label="按单位查询（如 市科技局）", max_length=MAX_UNIT, elem_id="pq-unit-name")
                    go = gr.Button("查询", elem_id="pq-unit-go")
                unit_links = gr.HTML(UNIT_HINT, elem_id="pq-unit-links")
                unit_grid = gr.Dataframe(interactive=False, wrap=True, elem_id="pq-unit-table")
                for event in (go.click, name.submit):
                    event(unit_tasks, [name], [unit_grid, unit_links])

    def documents(request: gr.Request) -> tuple[Any, ...]:
        choices = [(d.meta.title, d.meta.doc_id) for d in store(request).documents.values()]
        return tuple(gr.Dropdown(choices=choices, value=None) for _ in pickers)

    blocks.load(documents, None, pickers)
