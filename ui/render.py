"""HTML for the officials' chat: an answer with its own sources and evidence, a failure, a filter note, and a
whole document with its measure tree. Every piece of corpus or user text is escaped here, and the HTML has
no blank line, so Gradio's Markdown renderer passes it through as one block instead of reading corpus text as
Markdown. The chat's sanitiser keeps id, class, href and title but drops data-* and aria-* attributes, so the
page script (ui/chat.js) reads what a link does from its href, and the retry's question from its title."""

from __future__ import annotations

import html

from app.answer.compose.cite import measure_name
from app.schemas import AskResponse, CitationOut
from corpus.ingest import Document
from corpus.lang.sentences import CITATION
from corpus.model import Chunk
from retriever.hybrid import Filters

ABSTAINED = "未找到答案"
LOW_CONFIDENCE = "依据不足"
CONTEXT_CHARS = 160  # document text shown before and after a cited passage
_TRAILING_MARK = "。，、；：！？）」』”,.;:!?)"


def esc(text: str) -> str:
    """Text made inert and kept on its lines: escaped (quotes left alone, as text needs no attribute escaping),
    line breaks as <br> so no blank line ends the HTML block."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def attr(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", " ")


def source_id(turn: int, n: int) -> str:
    return f"pq-s-{turn}-{n}"


def _answer_text(resp: AskResponse, turn: int) -> str:
    """The answer with each known [n] a link to its source below; a marker keeps the punctuation after it on
    its line. The link's title previews the passage's label and quoted sentence on hover."""
    cites = {c.n: c for c in resp.citations}
    parts = CITATION.split(resp.answer)
    out: list[str] = []
    carry = ""
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(esc(part[len(carry):]))
            carry = ""
            continue
        c = cites.get(int(part))
        if c is None:
            out.append(esc(f"[{part}]"))
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else ""
        carry = nxt[:len(nxt) - len(nxt.lstrip(_TRAILING_MARK))]
        preview = c.label + ("：" + _quoted(c) if _quoted(c) else "")
        out.append(f'<span class="pq-nowrap"><a class="pq-cite" href="#{source_id(turn, c.n)}" '
                   f'title="{attr(preview)}">[{c.n}]</a>{esc(carry)}</span>')
    return "".join(out)


def _quoted(c: CitationOut) -> str:
    a, b = c.highlight
    return c.text[a:b] if 0 <= a < b <= len(c.text) else ""


def _source(turn: int, c: CitationOut, meta: dict[str, str]) -> str:
    """One source: its short label; opened, the quoted sentence first (highlighted, in its passage), the
    document's record second."""
    a, b = c.highlight
    if 0 <= a < b <= len(c.text):
        passage = f"{esc(c.text[:a])}<mark>{esc(c.text[a:b])}</mark>{esc(c.text[b:])}"
        first = f'<p class="pq-ev-quote"><mark>{esc(c.text[a:b])}</mark></p>'
    else:
        passage, first = esc(c.text), ""
    rows = [("文件", f"《{c.title}》"), ("条目", c.measure), *meta.items(),
            ("牵头单位", "、".join(c.lead_units)), ("责任单位", "、".join(c.responsible_units))]
    record = "".join(f"<dt>{k}</dt><dd>{esc(v)}</dd>" for k, v in rows if v)
    return (f'<li id="{source_id(turn, c.n)}"><details class="pq-src"><summary>[{c.n}] {esc(c.label)}</summary>'
            f'{first}<div class="pq-ev-text">{passage}</div><dl class="pq-ev-meta">{record}</dl></details></li>')


def answer_html(resp: AskResponse, turn: int, metas: dict[str, dict[str, str]], filter_note: str) -> str:
    """A whole answer: its doubt (declined, or thin support), the filters it ran under, the answer with
    clickable markers, and its own sources. A declined answer lists its related passages once."""
    head = ""
    if resp.abstained:
        head = f'<p class="pq-declined"><strong>{ABSTAINED}</strong>　{esc(resp.doubt)}</p>'
    elif resp.low_confidence:
        head = f'<p class="pq-low">⚠ <strong>{LOW_CONFIDENCE}</strong>：{esc(resp.doubt)}</p>'
    note = f'<p class="pq-filter-note">{esc(filter_note)}</p>' if filter_note else ""
    if resp.resolved_question:  # how a follow-up was understood, so a wrong reading is visible
        note = f'<p class="pq-resolved">理解为：{esc(resp.resolved_question)}</p>' + note
    body = "" if resp.abstained else f'<div class="pq-answer">{_answer_text(resp, turn)}</div>'
    sources = ""
    if resp.citations:
        label = "相关条文（非答案，点击展开）" if resp.abstained else "来源（点击展开原文）"
        items = "".join(_source(turn, c, metas.get(c.doc_id, {})) for c in resp.citations)
        sources = f'<div class="pq-sources"><p class="pq-sources-label">{label}</p><ol>{items}</ol></div>'
    return f'<div class="pq-turn">{head}{note}{body}{sources}</div>'


def failure_html(message: str, request_id: str, question: str) -> str:
    """A failure, local to its message: what happened in Chinese, the request id to quote, and a retry."""
    retry = f'<a class="pq-retry" href="#pq-retry" title="{attr(question)}">重试</a>' if question else ""
    rid = f'<span class="pq-reqid">请求编号：{esc(request_id)}</span>' if request_id else ""
    return f'<div class="pq-failed" role="alert"><p>{esc(message)}</p><p>{rid}　{retry}</p></div>'


def filter_summary(filters: Filters, titles: dict[str, str]) -> str:
    """The active filters in words ("文件《…》；年份 2025 年起"), or "" when none."""
    parts = []
    if filters.doc_ids:
        parts.append("文件" + "、".join(f"《{titles.get(d, d)}》" for d in filters.doc_ids))
    if filters.region:
        parts.append(f"地区 {filters.region}")
    if filters.issuer:
        parts.append(f"发文机关 {filters.issuer}")
    if filters.year_from or filters.year_to:
        if filters.year_from and filters.year_to:
            parts.append(f"年份 {filters.year_from}–{filters.year_to}")
        else:
            parts.append(f"年份 {filters.year_from} 年起" if filters.year_from else f"年份至 {filters.year_to} 年")
    return "；".join(parts)


def _anchor(i: int) -> str:
    return f"pq-m-{i}"


def document_html(doc: Document, chunks: list[Chunk], chunk_count: int) -> str:
    """A document whole: its record, its measure tree as navigation (links to anchors in the text), and the
    text with each measure's start marked. Pieces of one long measure appear once in the tree."""
    text = doc.text
    marks = sorted(((c.start, i, c) for i, c in enumerate(chunks)
                    if text[c.start:c.end] == c.text and c.piece <= 1), key=lambda m: m[0])
    nav, body, pos = [], [], 0
    for start, i, c in marks:
        depth = max(len(c.heading_path) - 1, 0)
        name = measure_name(c) or c.measure or "正文"
        nav.append(f'<li class="pq-depth-{min(depth, 3)}"><a href="#{_anchor(i)}">{esc(name)}</a></li>')
        body.append(esc(text[pos:start]))
        body.append(f'<span class="pq-m" id="{_anchor(i)}" tabindex="-1"></span>')
        pos = start
    body.append(esc(text[pos:]))
    m = doc.meta
    record = [("发文机关", m.issuer), ("日期", m.issue_date or ""), ("文号", m.doc_number or ""),
              ("地区", m.region), ("条目数", str(chunk_count))]
    dl = "".join(f"<dt>{k}</dt><dd>{esc(v)}</dd>" for k, v in record if v)
    return (f'<div class="pq-doc"><details class="pq-doc-nav" open><summary>条目导航</summary>'
            f'<nav aria-label="条目导航"><ol>{"".join(nav)}</ol></nav></details>'
            f'<article class="pq-doc-body" tabindex="0" aria-label="{attr(m.title)}"><h2>{esc(m.title)}</h2>'
            f'<dl class="pq-ev-meta">{dl}</dl><div class="pq-doc-text">{"".join(body)}</div></article></div>')


def copy_text(resp: AskResponse, metas: dict[str, dict[str, str]]) -> str:
    """The answer as plain text with its sources (full titles and records), for pasting into a document."""
    if resp.abstained:
        lines = [f"{ABSTAINED}：{resp.doubt}", "", "相关条文（非答案）："]
    else:
        lines = [f"{LOW_CONFIDENCE}：{resp.doubt}", ""] if resp.low_confidence else []
        lines += [resp.answer, "", "来源："]
    for c in resp.citations:
        extra = "，".join(v for v in metas.get(c.doc_id, {}).values() if v)
        lines.append(f"[{c.n}] 《{c.title}》{c.measure}" + (f"（{extra}）" if extra else ""))
    return "\n".join(lines)
