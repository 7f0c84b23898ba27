"""The officials' chat (Gradio, mounted at "/"): streamed answers with clickable citations, an evidence
panel, filters, and a document browser. Every handler calls the same QAService as the HTTP API, found at
call time on app.state.service (loaded in the FastAPI lifespan)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import gradio as gr
from fastapi import FastAPI
from starlette.routing import Mount

from app.accounts import Accounts
from app.answer.model import Answer
from app.deps import SESSION_COOKIE
from app.gate import Gate, Overloaded, RateLimited
from app.schemas import QUESTION_MAX_CHARS, check_question
from app.service import QAService, build_from_corpus
from app.signin import SignInRequired
from corpus.errors import PolicyQAError
from corpus.lang.sentences import CITATION
from corpus.model import Chunk
from retriever.hybrid import Filters

log = logging.getLogger("policy_qa.ui")

EXAMPLES = [
    "2024年包头市稀土产业产值目标是多少?",
    "强化政策支持的牵头单位有哪些?",
    "呼和浩特市战略性新兴产业产值目标是多少?",
    "What is Baotou's 2024 target for rare earth industry output value?",
]
ABSTAINED = "未在已收录文件中找到答案"
EVIDENCE_HINT = '<div class="pq-hint">点击答案中的引用编号（如 [1]）或下方来源，在此查看原文。</div>'
# Gradio's file upload and download routes: no part of the chat takes or gives files, so they stay shut.
CLOSED_ROUTES = ("/gradio_api/upload", "/gradio_api/file=", "/gradio_api/stream/")
CATALOGUE_HEADERS = ["文件标题", "发文机关", "日期", "文号", "地区", "字体", "条目数"]
CONTEXT_CHARS = 160  # document text shown before and after a cited passage
MARKER = CITATION
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#|~!${}])")

# Citation links are "#pq-cite:<n>|<chunk id>" (percent-encoded). One capturing listener on the page turns a
# click on such a link into a click of the hidden button below, whose js hook hands the reference to Python.
PAGE_JS = """() => {
  document.addEventListener("click", (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest("a[href^='#pq-cite:']") : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    window.pqCiteRef = decodeURIComponent(a.getAttribute("href").slice("#pq-cite:".length));
    const go = document.querySelector("#pq-cite-go button, button#pq-cite-go");
    if (go) go.click();
  }, true);
}"""
CSS = """
#pq-evidence .pq-ev-text { white-space: pre-wrap; line-height: 1.7; max-height: 420px; overflow-y: auto;
  padding: 8px; border: 1px solid var(--border-color-primary); border-radius: 6px; }
#pq-evidence mark { background: #ffe58a; color: inherit; padding: 0 1px; }
#pq-evidence table { font-size: 0.92em; margin-bottom: 8px; }
#pq-evidence th { text-align: left; white-space: nowrap; padding-right: 12px; font-weight: 600; }
.pq-hint { color: var(--body-text-color-subdued); }
a[href^='#pq-cite:'] { font-weight: 600; text-decoration: none; }
"""


def _md(text: str) -> str:
    """Document or user text made inert for a Markdown component: HTML escaped, Markdown syntax escaped."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text))


def _ref(n: int, chunk_id: str) -> str:
    return f"{n}|{chunk_id}"


def _answer_md(answer: Answer) -> str:
    """The answer as Markdown: text escaped, each known [n] a link that opens the passage."""
    refs = {c.n: _ref(c.n, c.hit.chunk.chunk_id) for c in answer.citations}
    parts = MARKER.split(answer.answer)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(_md(part))
        elif int(part) in refs:
            out.append(f"[\\[{part}\\]](#pq-cite:{quote(refs[int(part)], safe='')})")
        else:
            out.append(_md(f"[{part}]"))
    head = f"**{ABSTAINED}**\n\n" if answer.abstained else ""
    if answer.resolved:  # how a follow-up was understood, so a wrong reading is visible
        head = f"*理解为：{_md(answer.resolved)}*\n\n" + head
    return head + "".join(out)


def _cite_label(n: int, chunk: Chunk) -> str:
    return f"[{n}] 《{chunk.title}》{chunk.measure}"


def _copy_text(service: QAService, answer: Answer) -> str:
    lines = [ABSTAINED, ""] if answer.abstained else []
    lines.append(answer.answer)
    if answer.citations and not answer.abstained:  # an abstention's text already lists the related passages
        lines += ["", "来源："]
        for c in answer.citations:
            meta = service.store.documents[c.hit.chunk.doc_id].meta
            extra = "，".join(x for x in (meta.issuer, meta.doc_number, meta.issue_date) if x)
            lines.append(f"{_cite_label(c.n, c.hit.chunk)}" + (f"（{extra}）" if extra else ""))
    return "\n".join(lines)


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    """The line before and the line after [start, end), each cut to CONTEXT_CHARS."""
    lo = max(text.rfind("\n", 0, max(start - 1, 0)) + 1, start - CONTEXT_CHARS)
    nl = text.find("\n", end + 1)
    hi = min(len(text) if nl == -1 else nl, end + CONTEXT_CHARS)
    return ("…" if lo > 0 else "") + text[lo:start], text[end:hi] + ("…" if hi < len(text) else "")


def _evidence_html(service: QAService, chunk: Chunk, heading: str) -> str:
    """A passage with its document's metadata, highlighted in place. All corpus text is escaped."""
    doc = service.store.documents.get(chunk.doc_id)
    meta = doc.meta if doc else None
    rows = [("文件标题", f"《{chunk.title}》"), ("发文机关", meta.issuer if meta else ""),
            ("日期", meta.issue_date if meta else ""), ("文号", meta.doc_number if meta else ""),
            ("条目", chunk.measure), ("标题", " › ".join(chunk.heading_path)),
            ("牵头单位", "、".join(chunk.lead_units)), ("责任单位", "、".join(chunk.responsible_units))]
    table = "".join(f"<tr><th>{k}</th><td>{html.escape(v or '—')}</td></tr>" for k, v in rows)
    text = doc.text if doc else ""
    if doc and text[chunk.start:chunk.end] == chunk.text:
        before, after = _context(text, chunk.start, chunk.end)
    else:  # offsets do not match the stored text: show the passage alone rather than the wrong place
        before, after = "", ""
    body = f"{html.escape(before)}<mark>{html.escape(chunk.text)}</mark>{html.escape(after)}"
    return (f'<div class="pq-ev"><h4>{html.escape(heading)}</h4><table>{table}</table>'
            f'<div class="pq-ev-text">{body}</div></div>')


def _year(value: float | None) -> int | None:
    """A year box's value; empty (the browser sends 0) or implausible means "no limit"."""
    return int(value) if value and 1900 <= value <= 2100 else None


def _filters(doc_ids: list[str] | None, region: str | None, issuer: str | None,
             year_from: float | None, year_to: float | None) -> Filters:
    return Filters(tuple(doc_ids or ()), (issuer or "").strip() or None, (region or "").strip() or None,
                   _year(year_from), _year(year_to))


def _refusal(exc: Exception) -> str:
    """What the chat says when the gate or the question's validation refuses it."""
    if isinstance(exc, RateLimited):
        return f"提问过于频繁，请 {exc.retry_after} 秒后再试。"
    if isinstance(exc, Overloaded):
        return "服务繁忙，请稍后再试。"
    return f"问题过长：最多 {QUESTION_MAX_CHARS} 个字。"


def _client(request: gr.Request | None) -> str:
    """The same client address the API's limits count (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request is not None and request.client else "unknown"


def build_chat(app: FastAPI) -> gr.Blocks:
    gate: Gate = app.state.gate
    accounts: Accounts = app.state.accounts

    def service() -> QAService:
        svc = getattr(app.state, "service", None)
        if svc is None:
            raise gr.Error("服务尚未就绪，请稍后重试。")
        return svc

    def read(request: gr.Request | None) -> QAService:
        """The service for a cheap read, counted like GET /api/documents."""
        try:
            gate.charge(_client(request))
        except RateLimited as exc:
            raise gr.Error(_refusal(exc)) from None
        return service()

    def show_ref(ref: str | None, request: gr.Request) -> str:
        """Evidence for "<n>|<chunk id>"; any chunk of the current index may be asked for."""
        n, _, chunk_id = (ref or "").partition("|")
        svc = read(request)
        try:
            chunk = svc.store.chunk(chunk_id)
        except KeyError:
            return '<div class="pq-hint">该条文已不在当前索引中。</div>'
        return _evidence_html(svc, chunk, f"[{n}] 引用原文")

    def respond_in_thread(question: str, history: list[dict[str, Any]], thread: dict[str, Any],
                          doc_ids: list[str] | None, region: str | None, issuer: str | None, year_from: float | None,
                          year_to: float | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """`respond`, keeping the conversation (its turns and the last answer's context) for follow-ups."""
        for out in respond(question, history, thread, doc_ids, region, issuer, year_from, year_to, request):
            yield (*out, thread)

    def respond(question: str, history: list[dict[str, Any]], thread: dict[str, Any], doc_ids: list[str] | None,
                region: str | None, issuer: str | None, year_from: float | None,
                year_to: float | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        history = [*history, {"role": "user", "content": _md(question[:QUESTION_MAX_CHARS])},
                   {"role": "assistant", "content": "正在查找相关政策条文…"}]
        sources = gr.Radio(choices=[], value=None, label="引用来源")
        yield history, history, "", sources, "", EVIDENCE_HINT
        svc = service()
        text = ""
        filters = _filters(doc_ids, region, issuer, year_from, year_to)
        try:  # the same validation, rate limit and slots as POST /api/ask; the answer is made in one go
            question = check_question(question)
            with gate.admit(_client(request), question):
                steps = list(svc.ask_stream(question, None, filters, thread.get("turns", ()), thread.get("context")))
        except (RateLimited, Overloaded, ValueError) as exc:
            history[-1] = {"role": "assistant", "content": _md(_refusal(exc))}
            yield history, history, gr.skip(), gr.skip(), "", gr.skip()
            return
        except Exception:
            log.exception("chat answer failed")
            history[-1] = {"role": "assistant", "content": "回答失败：服务内部错误，请稍后重试。"}
            yield history, history, gr.skip(), gr.skip(), "", gr.skip()
            return
        try:
            for kind, payload in steps:
                if kind == "delta" and isinstance(payload, str):
                    text += payload
                    history[-1] = {"role": "assistant", "content": _md(text)}
                    yield history, history, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                elif kind == "done" and isinstance(payload, Answer):
                    turns = [*thread.get("turns", ()), ("user", question), ("assistant", payload.answer)]
                    thread["turns"] = turns[-20:]
                    thread["context"] = payload.context
                    history[-1] = {"role": "assistant", "content": _answer_md(payload)}
                    choices = [(_cite_label(c.n, c.hit.chunk), _ref(c.n, c.hit.chunk.chunk_id))
                               for c in payload.citations]
                    label = "相关条文（非答案）" if payload.abstained else "引用来源（点击查看原文）"
                    yield (history, history, gr.skip(), gr.Radio(choices=choices, value=None, label=label),
                           _copy_text(svc, payload), gr.skip())
        except Exception:
            log.exception("chat answer failed")
            history[-1] = {"role": "assistant", "content": "回答失败：服务内部错误，请稍后重试。"}
            yield history, history, gr.skip(), gr.skip(), "", gr.skip()

    def load(request: gr.Request) -> tuple[Any, ...]:
        svc = read(request)
        metas = [d.meta for d in svc.store.documents.values()]
        counts: dict[str, int] = {}
        for c in svc.store.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        docs = [(m.title, m.doc_id) for m in metas]
        rows = [[m.title, m.issuer, m.issue_date or "", m.doc_number or "", m.region,
                 "繁体" if m.script == "traditional" else "简体", counts.get(m.doc_id, 0)] for m in metas]
        return (gr.Dropdown(choices=docs), gr.Dropdown(choices=sorted({m.region for m in metas if m.region})),
                gr.Dropdown(choices=sorted({m.issuer for m in metas if m.issuer})), rows,
                gr.Dropdown(choices=docs, value=None))

    def measures(doc_id: str | None, request: gr.Request) -> tuple[Any, str]:
        chunks = read(request).store.chunks_of(doc_id) if doc_id else []
        choices = []
        for c in chunks:
            heading = c.heading_path[-1] if c.heading_path else ""
            piece = f"（{c.piece}/{c.pieces}）" if c.pieces > 1 else ""
            indent = "　" * max(len(c.heading_path) - 1, 0)
            choices.append((f"{indent}{c.measure} {heading}{piece}", c.chunk_id))
        return gr.Dropdown(choices=choices, value=None), ""

    def show_measure(chunk_id: str | None, request: gr.Request) -> str:
        if not chunk_id:
            return ""
        svc = read(request)
        try:
            return _evidence_html(svc, svc.store.chunk(chunk_id), "条文原文")
        except KeyError:
            return '<div class="pq-hint">该条文已不在当前索引中。</div>'

    def reindex(request: gr.Request) -> str:
        """Rebuild the index from the corpus folder and serve it: for admins, checked here on the server from
        the live session, whatever the page shows."""
        account = accounts.session(request.cookies.get(SESSION_COOKIE))
        if account is None or not account.is_admin:
            return "需要管理员权限。"
        svc = service()
        try:
            build_from_corpus(svc.settings, svc.embedder, show_progress=False)
            store = svc.reload()
        except PolicyQAError as exc:
            return f"重建失败，原索引继续服务：{_md(exc.message)}"
        log.info("reindexed from the chat by %s", account.username)
        return f"已重建并启用索引：{store.manifest.documents} 个文件，{store.manifest.chunks} 个条目。"

    with gr.Blocks(title="政策问答") as blocks:
        gr.Markdown("## 政策问答（内部版）\n回答仅依据已收录的政策文件原文并标注出处，请以原文为准。"
                    "　[退出登录](/auth/logout)")
        with gr.Tab("问答"):
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(label="对话", height=460, elem_id="pq-chat", latex_delimiters=[],
                                         feedback_options=None, buttons=[])
                    history = gr.State([])
                    thread = gr.State({})  # the conversation the next question is resolved against
                    with gr.Row():
                        question = gr.Textbox(placeholder="请输入问题，按 Enter 发送", show_label=False,
                                              scale=5, max_length=QUESTION_MAX_CHARS, elem_id="pq-question")
                        send = gr.Button("发送", variant="primary", scale=1, elem_id="pq-send")
                        clear = gr.Button("清空对话", scale=1, elem_id="pq-clear")
                    gr.Examples(EXAMPLES, inputs=[question], label="示例问题（点击填入）")
                    with gr.Accordion("筛选条件", open=False):
                        doc_filter = gr.Dropdown(label="文件", multiselect=True, choices=[])
                        with gr.Row():
                            region = gr.Dropdown(label="地区", choices=[], value=None,
                                                 allow_custom_value=True)
                            issuer = gr.Dropdown(label="发文机关", choices=[], value=None,
                                                 allow_custom_value=True)
                        with gr.Row():
                            year_from = gr.Number(None, label="起始年份", precision=0)
                            year_to = gr.Number(None, label="截止年份", precision=0)
                with gr.Column(scale=2):
                    sources = gr.Radio(choices=[], label="引用来源", elem_id="pq-sources")
                    evidence = gr.HTML(EVIDENCE_HINT, elem_id="pq-evidence", js_on_load=None)
                    copy_box = gr.Textbox(label="复制答案（含来源）", lines=5, interactive=False,
                                          buttons=["copy"], elem_id="pq-copy")
            cite_ref = gr.Textbox(visible="hidden", elem_id="pq-cite-ref")
            cite_go = gr.Button("查看引用", visible="hidden", elem_id="pq-cite-go")
        with gr.Tab("文件浏览"):
            catalogue = gr.Dataframe(headers=CATALOGUE_HEADERS, interactive=False, wrap=True,
                                     column_widths=["32%", "18%", "10%", "13%", "15%", "6%", "6%"],
                                     elem_id="pq-catalogue")
            browse_doc = gr.Dropdown(label="选择文件", choices=[], elem_id="pq-browse-doc")
            browse_measure = gr.Dropdown(label="条目（编号 标题）", choices=[], elem_id="pq-browse-measure")
            measure_view = gr.HTML("", elem_id="pq-measure-view", js_on_load=None)

        with gr.Tab("管理"):
            gr.Markdown("从文件夹重建索引（仅管理员）。上传、删除文件请用 `/admin` 接口。")
            reindex_go = gr.Button("重建索引", elem_id="pq-reindex")
            reindex_status = gr.Markdown(elem_id="pq-reindex-status")

        ask_inputs = [question, history, thread, doc_filter, region, issuer, year_from, year_to]
        ask_outputs = [chatbot, history, question, sources, copy_box, evidence, thread]
        send.click(respond_in_thread, ask_inputs, ask_outputs, api_name="respond")
        question.submit(respond_in_thread, ask_inputs, ask_outputs)
        clear.click(lambda: ([], [], {}), None, [chatbot, history, thread])
        sources.input(show_ref, [sources], [evidence])
        cite_go.click(show_ref, [cite_ref], [evidence], js="(r) => window.pqCiteRef || r")
        browse_doc.change(measures, [browse_doc], [browse_measure, measure_view])
        browse_measure.change(show_measure, [browse_measure], [measure_view])
        chatbot.clear(lambda: ([], {}), None, [history, thread])
        reindex_go.click(reindex, None, [reindex_status], concurrency_limit=1)
        blocks.load(load, None, [doc_filter, region, issuer, catalogue, browse_doc])
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

