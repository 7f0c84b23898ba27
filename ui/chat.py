"""The officials' chat (Gradio, mounted at "/"): answers with their own sources and evidence, doubt shown in
plain Chinese, filters, and a document browser. Every handler calls the same QAService as the HTTP API, found
at call time on app.state.service (loaded in the FastAPI lifespan); answers are presented as the API presents
them (AskResponse: short labels, quoted sentence, doubt). The HTML is made in ui/render.py.

Layout: build_chat() makes one tab per function (_ask_tab, _browse_tab, _admin_tab); the question's handler
is _Ask.respond. Tabs from other modules go in _extra_tabs."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from starlette.routing import Mount

from app.accounts import Accounts
from app.answer.model import Answer
from app.deps import SESSION_COOKIE
from app.gate import Gate, Overloaded, RateLimited
from app.observability import request_id_var
from app.schemas import QUESTION_MAX_CHARS, AskResponse, check_question
from app.service import QAService, build_from_corpus
from app.signin import SignInRequired
from corpus.errors import PolicyQAError
from retriever.hybrid import Filters
from ui import render
from ui.tables import tables_tabs

log = logging.getLogger("policy_qa.ui")

EXAMPLES = [
    "2024年包头市稀土产业产值目标是多少?",
    "强化政策支持的牵头单位有哪些?",
    "呼和浩特市战略性新兴产业产值目标是多少?",
    "What is Baotou's 2024 target for rare earth industry output value?",
]
# Gradio's file upload and download routes: no part of the chat takes or gives files, so they stay shut.
CLOSED_ROUTES = ("/gradio_api/upload", "/gradio_api/file=", "/gradio_api/stream/")
YEARS = (1900, 2100)
PENDING = '<p class="pq-pending">正在查找相关政策条文…</p>'
UI_DIR = Path(__file__).resolve().parent
THEME_CSS = UI_DIR / "widget" / "theme.css"

PAGE_JS = (UI_DIR / "chat.js").read_text(encoding="utf-8").replace("__MAX__", str(QUESTION_MAX_CHARS))
CSS = THEME_CSS.read_text(encoding="utf-8") + (UI_DIR / "chat.css").read_text(encoding="utf-8")


@dataclass
class _Ctx:
    """What every tab's handlers share: the app (its service is looked up per call), the gate and accounts."""

    app: FastAPI
    gate: Gate
    accounts: Accounts
    # what the page fills in when it opens: (function of the service returning values, the components)
    loads: list[tuple[Callable[[QAService], tuple[Any, ...]], list[Any]]] = field(default_factory=list)

    def service(self) -> QAService | None:
        return getattr(self.app.state, "service", None)

    def read(self, request: gr.Request | None) -> QAService:
        """The service for a cheap read, counted like GET /api/documents."""
        try:
            self.gate.charge(_client(request))
        except RateLimited as exc:
            raise gr.Error(_refusal(exc)) from None
        svc = self.service()
        if svc is None:
            raise gr.Error("服务尚未就绪，请稍后重试。")
        return svc


def _refusal(exc: Exception) -> str:
    """What the chat says when the gate refuses a question."""
    if isinstance(exc, RateLimited):
        return f"提问过于频繁，请 {exc.retry_after} 秒后再试。"
    return "服务繁忙，请稍后再试。"


def _client(request: gr.Request | None) -> str:
    """The same client address the API's limits count (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request is not None and request.client else "unknown"


def _year(value: Any) -> int | str | None:
    """A year box's value: None when empty, the year, or the message refusing it."""
    if value is None or str(value).strip() == "":
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        return "年份应为四位数字，如 2024。"
    return year if YEARS[0] <= year <= YEARS[1] else f"年份应在 {YEARS[0]}–{YEARS[1]} 之间。"


def filters_of(doc_ids: list[str] | None, region: str | None, issuer: str | None,
               year_from: Any, year_to: Any) -> Filters | str:
    """The filter panel as Filters, or the message refusing it (a bad year, a reversed range)."""
    years = [_year(year_from), _year(year_to)]
    bad = next((y for y in years if isinstance(y, str)), None)
    if bad:
        return bad
    start, end = years
    if start is not None and end is not None and start > end:
        return f"年份范围无效：起始年份 {start} 晚于截止年份 {end}。"
    return Filters(tuple(doc_ids or ()), (issuer or "").strip() or None, (region or "").strip() or None,
                   start, end)  # type: ignore[arg-type]


def _status(text: str) -> str:
    return f"<p>{render.esc(text)}</p>" if text else ""


class _Ask:
    """The 问答 tab's handlers. respond() takes the question and the filter panel and yields the chat."""

    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx

    def titles(self) -> dict[str, str]:
        svc = self.ctx.service()
        return {d: doc.meta.title for d, doc in svc.store.documents.items()} if svc else {}

    def badge(self, doc_ids: list[str] | None, region: str | None, issuer: str | None,
              year_from: Any, year_to: Any) -> str:
        """The "filters on" badge beside the question box, visible with the filter panel closed."""
        filters = filters_of(doc_ids, region, issuer, year_from, year_to)
        if isinstance(filters, str):
            return f'<span class="pq-badge">筛选条件有误：{render.esc(filters)}</span>'
        summary = render.filter_summary(filters, self.titles())
        return f'<span class="pq-badge">已启用筛选：{render.esc(summary)}</span>' if summary else ""

    def answer(self, svc: QAService, question: str, filters: Filters, turn: int, client: str,
               thread: dict[str, Any]) -> tuple[str, str]:
        """One answer as HTML and as text to copy, made as POST /api/ask makes it, within the same gate, resolved
        against the conversation so far (`thread`: its turns and the last answer's context, updated here)."""
        with self.ctx.gate.admit(client, question):
            steps = list(svc.ask_stream(question, None, filters, thread.get("turns", ()), thread.get("context")))
        final = next(p for kind, p in steps if kind == "done" and isinstance(p, Answer))
        thread["turns"] = [*thread.get("turns", ()), ("user", question), ("assistant", final.answer)][-20:]
        thread["context"] = final.context
        resp = AskResponse.of(final, svc.store, svc.settings.low_confidence_below, filtered=not filters.empty())
        metas = {d: {"发文机关": doc.meta.issuer, "日期": doc.meta.issue_date or "", "文号": doc.meta.doc_number or ""}
                 for d, doc in svc.store.documents.items()}
        summary = render.filter_summary(filters, self.titles())
        note = f"已按筛选条件检索：{summary}" if summary else ""
        return render.answer_html(resp, turn, metas, note), render.copy_text(resp, metas)

    def respond(self, question: str, history: list[dict[str, Any]], thread: dict[str, Any],
                doc_ids: list[str] | None, region: str | None, issuer: str | None, year_from: Any, year_to: Any,
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Outputs: chat, history, question box, status line, copy box. A question that cannot be asked (empty,
        too long, bad filters) stays in the box with a message; a failure stays in its own message. `thread`
        (the conversation follow-ups are resolved against) is a State the handler updates in place."""
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), _status("请先输入问题。"), gr.skip()
            return
        if len(question) > QUESTION_MAX_CHARS:
            yield (gr.skip(), gr.skip(), gr.skip(),
                   _status(f"问题过长：最多 {QUESTION_MAX_CHARS} 字，当前 {len(question)} 字，请删减后再发送。"),
                   gr.skip())
            return
        filters = filters_of(doc_ids, region, issuer, year_from, year_to)
        if isinstance(filters, str):
            yield gr.skip(), gr.skip(), gr.skip(), _status(filters + "请在“筛选条件”中修改。"), gr.skip()
            return
        turn = len(history) + 1
        history = [*history, {"role": "user", "content": render.esc(question)},
                   {"role": "assistant", "content": PENDING}]
        yield history, history, "", "", gr.skip()
        rid = uuid.uuid4().hex[:12]
        token = request_id_var.set(rid)  # the chat's log lines carry the id the official sees
        copy: Any = gr.skip()
        try:
            svc = self.ctx.service()
            if svc is None:
                raise Overloaded
            content, copy = self.answer(svc, check_question(question), filters, turn, _client(request), thread)
        except (RateLimited, Overloaded) as exc:
            content = render.failure_html(_refusal(exc), rid, question)
        except Exception:
            log.exception("chat answer failed")
            content = render.failure_html("回答失败：服务内部错误，请稍后重试。", rid, question)
        finally:
            request_id_var.reset(token)
        history[-1] = {"role": "assistant", "content": content}
        yield history, history, gr.skip(), gr.skip(), copy


def _ask_tab(ctx: _Ctx) -> None:
    ask = _Ask(ctx)
    with gr.Tab("问答", id="ask"):
        chatbot = gr.Chatbot(label="对话", height=560, elem_id="pq-chat", latex_delimiters=[],
                             feedback_options=None, buttons=[], sanitize_html=True)
        history = gr.State([])
        thread = gr.State({})  # the conversation the next question is resolved against (plain text, not HTML)
        badge = gr.HTML("", elem_id="pq-filter-badge")
        with gr.Row(equal_height=True):
            question = gr.Textbox(label="输入问题", placeholder="请输入问题", show_label=False, lines=2,
                                  max_lines=8, scale=5, elem_id="pq-question")
            send = gr.Button("发送", variant="primary", scale=1, min_width=72, elem_id="pq-send")
            clear = gr.Button("清空对话", scale=1, min_width=72, elem_id="pq-clear")
        gr.HTML(f'<p id="pq-count" aria-live="off"><span class="pq-kbd-hint">Enter 发送，Shift+Enter 换行　</span>'
                f'0/{QUESTION_MAX_CHARS} 字</p><p id="pq-announce" class="pq-sr-only" aria-live="polite"></p>')
        status = gr.HTML("", elem_id="pq-ask-status")
        gr.Examples(EXAMPLES, inputs=[question], label="示例问题（点击填入）")
        with gr.Accordion("筛选条件", open=False, elem_id="pq-filters"):
            doc_filter = gr.Dropdown(label="文件", multiselect=True, choices=[], elem_id="pq-filter-docs")
            with gr.Row():
                region = gr.Dropdown(label="地区", choices=[], value=None, allow_custom_value=True)
                issuer = gr.Dropdown(label="发文机关", choices=[], value=None, allow_custom_value=True)
            with gr.Row():  # text boxes: empty means "no limit", where a number box would show 0
                year_from = gr.Textbox(label="起始年份", placeholder="如 2024", max_lines=1, elem_id="pq-year-from")
                year_to = gr.Textbox(label="截止年份", placeholder="如 2026", max_lines=1, elem_id="pq-year-to")
        with gr.Accordion("复制最新答案（含来源）", open=False):
            copy_box = gr.Textbox(label="最新答案", lines=5, interactive=False, buttons=["copy"], elem_id="pq-copy")

    filter_inputs = [doc_filter, region, issuer, year_from, year_to]
    ask_inputs = [question, history, thread, *filter_inputs]
    ask_outputs = [chatbot, history, question, status, copy_box]
    send.click(ask.respond, ask_inputs, ask_outputs, show_progress="hidden", api_name="respond")
    question.submit(ask.respond, ask_inputs, ask_outputs, show_progress="hidden")
    clear.click(lambda: ([], [], {}, ""), None, [chatbot, history, thread, copy_box])
    # one event for all the boxes, its latest run winning, so a quick edit never leaves a stale badge
    gr.on([box.change for box in filter_inputs], ask.badge, filter_inputs, [badge], show_progress="hidden",
          trigger_mode="always_last", concurrency_limit=1, concurrency_id="pq-badge")
    chatbot.clear(lambda: ([], {}, ""), None, [history, thread, copy_box])
    ctx.loads.append((_filter_choices, [doc_filter, region, issuer]))


def _filter_choices(svc: QAService) -> tuple[Any, ...]:
    metas = [d.meta for d in svc.store.documents.values()]
    docs = [(m.title, m.doc_id) for m in metas]
    return (gr.Dropdown(choices=docs), gr.Dropdown(choices=sorted({m.region for m in metas if m.region})),
            gr.Dropdown(choices=sorted({m.issuer for m in metas if m.issuer})))


def _browse_tab(ctx: _Ctx) -> gr.State:
    """The document browser: the catalogue as a list to pick from, the picked document whole with its measure
    tree. Returns the open document's id, for tabs that show more about it (issue 13's tables)."""

    def catalogue(svc: QAService) -> tuple[Any, ...]:
        counts = _chunk_counts(svc)
        choices = [(f"《{m.title}》　{m.issuer}　{m.issue_date or ''}　{counts.get(m.doc_id, 0)} 条", m.doc_id)
                   for m in (d.meta for d in svc.store.documents.values())]
        return (gr.Radio(choices=choices, value=None),)

    def open_document(doc_id: str | None, request: gr.Request) -> tuple[str, str | None]:
        if not doc_id:
            return "", None
        svc = ctx.read(request)
        doc = svc.store.documents.get(doc_id)
        if doc is None:
            return '<p class="pq-hint">该文件已不在当前索引中。</p>', None
        chunks = svc.store.chunks_of(doc_id)
        return render.document_html(doc, chunks, len(chunks)), doc_id

    with gr.Tab("文件浏览", id="browse"):
        docs = gr.Radio(label="文件目录（点击打开全文）", choices=[], elem_id="pq-catalogue")
        open_doc = gr.State(None)
        # issue 13: the unit and target tables of the open document (ui/tables.py) go in this tab set as
        # further tabs, reading `open_doc`.
        with gr.Tabs(elem_id="pq-doc-tabs"), gr.Tab("全文", id="doc-text"):
            view = gr.HTML("", elem_id="pq-doc-view")
    docs.change(open_document, [docs], [view, open_doc], show_progress="hidden")
    ctx.loads.append((catalogue, [docs]))
    return open_doc


def _chunk_counts(svc: QAService) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in svc.store.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    return counts


def _extra_tabs(ctx: _Ctx, open_doc: gr.State, blocks: gr.Blocks) -> None:
    """Tabs other modules add."""
    tables_tabs(ctx.app, blocks)  # 责任分工 and 目标指标 (ui/tables.py)


def _admin_tab(ctx: _Ctx) -> None:
    def reindex(request: gr.Request) -> str:
        """Rebuild the index from the corpus folder and serve it: for admins, checked here on the server from
        the live session, whatever the page shows."""
        account = ctx.accounts.session(request.cookies.get(SESSION_COOKIE))
        if account is None or not account.is_admin:
            return "需要管理员权限。"
        svc = ctx.service()
        if svc is None:
            return "服务尚未就绪，请稍后重试。"
        try:
            build_from_corpus(svc.settings, svc.embedder, show_progress=False)
            store = svc.reload()
        except PolicyQAError as exc:
            return f"重建失败，原索引继续服务：{render.esc(exc.message)}"
        log.info("reindexed from the chat by %s", account.username)
        return f"已重建并启用索引：{store.manifest.documents} 个文件，{store.manifest.chunks} 个条目。"

    with gr.Tab("管理", id="admin"):
        gr.Markdown("从文件夹重建索引（仅管理员）。上传、删除文件请用 `/admin` 接口。")
        go = gr.Button("重建索引", elem_id="pq-reindex")
        status = gr.Markdown(elem_id="pq-reindex-status")
    go.click(reindex, None, [status], concurrency_limit=1)


def build_chat(app: FastAPI) -> gr.Blocks:
    ctx = _Ctx(app, app.state.gate, app.state.accounts)
    with gr.Blocks(title="政策问答") as blocks:
        gr.HTML('<header class="pq-top"><h1>政策问答（内部版）</h1><p>回答仅依据已收录的政策文件原文并标注出处，'
                '请以原文为准。　<a href="/auth/logout">退出登录</a></p></header>')
        with gr.Tabs():
            _ask_tab(ctx)
            open_doc = _browse_tab(ctx)
            _extra_tabs(ctx, open_doc, blocks)
            _admin_tab(ctx)
        outputs = [c for _, cs in ctx.loads for c in cs]

        def load(request: gr.Request) -> tuple[Any, ...]:
            svc = ctx.read(request)
            return tuple(v for fill, _ in ctx.loads for v in fill(svc))

        blocks.load(load, None, outputs, show_progress="hidden")
    return blocks


def mount_chat(app: FastAPI) -> None:
    """Mount the chat at "/". Routes registered before this (/api, /healthz, /docs, /widget) keep precedence:
    Starlette matches in order and the mount only receives what nothing else matched. The chat's answers run
    concurrently (one long question does not hold up the others), as many as the gate lets run and wait."""
    settings = app.state.settings
    blocks = build_chat(app).queue(default_concurrency_limit=settings.max_running, max_size=settings.max_waiting)
    gr.mount_gradio_app(app, blocks, path="/", js=PAGE_JS, css=CSS, footer_links=[])
    # Everything the mount serves (page, assets, queue, Gradio's own API) needs a signed-in official.
    mount = next(r for r in app.router.routes if isinstance(r, Mount) and r.path == "")
    mount.app = SignInRequired(mount.app, app.state.accounts, CLOSED_ROUTES)
    _quiet_queue(blocks)


# Gradio's queue polls for work every 1 ms and for progress every 10 ms when idle: ~1,100 event-loop wakeups a
# second, 0.06 core-seconds per second per idle worker (python -m evals.bench.idle). Polling every 50 ms /
# 250 ms costs a chat turn at most 50 ms before it starts, against an answer that takes longer than that.
QUEUE_IDLE_POLL_S = 0.05
QUEUE_PROGRESS_POLL_S = 0.25


def _quiet_queue(blocks: gr.Blocks) -> None:
    queue = getattr(blocks, "_queue", None)
    # Only if this Gradio has the attributes: another version keeps its own polling rather than break.
    if hasattr(queue, "sleep_when_free") and hasattr(queue, "progress_update_sleep_when_free"):
        queue.sleep_when_free = QUEUE_IDLE_POLL_S
        queue.progress_update_sleep_when_free = QUEUE_PROGRESS_POLL_S
