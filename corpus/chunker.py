"""Split a cleaned policy document into one chunk per measure, following its numbering hierarchy.

The hierarchy is not assumed: levels are assigned in the order numbering families first appear
(一、 above (一) above 1. in most documents, 第X章 above 第X条 in regulations), and a family seen
again closes every deeper level. That handles numbering that restarts under each parent and
documents whose conventions we have not seen, as long as they use the usual Chinese families.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from corpus.lang.dates import DATE
from corpus.lang.numbering import (
    FAMILY_ALIAS,
    FAMILY_PATTERNS,
    INLINE_NUM,
    MARKERS,
    UNNUMBERED_CHAPTER,
    cn_to_int,
    label,
    marker_numbers,
)
from corpus.lang.orgs import UNIT_LABEL
from corpus.lang.sentences import announces_items, first_sentence, looks_like_heading
from corpus.lang.text import normalize_for_search
from corpus.lang.titles import is_document_title
from corpus.model import ANNEX, CLOSING, INTRO, LEAD, MEASURE, PREAMBLE, Chunk, DocumentMeta
from corpus.units import parse_units

CHUNKER_VERSION = "4"

# A news portal's "原文如下" line: what precedes it is the portal's summary.
_LEAD_END = re.compile(r"^(?:具体|以下为|附)?原文(?:如下|全文)?[:：]?$")
_TOKEN = {"chapter": "ch", "part": "j", "article": "art", "md_article": "art", "cn": "s", "cn_paren": "p",
          "num": "", "num_paren": "n", "circled": "c", "shi": "x", "annex": "annex", "implicit": "u", "runin": "r",
          "document": "doc"}


@dataclass
class _Node:
    family: str
    number: int
    label: str  # "" for nodes that are not numbered in the text
    title: str
    start: int
    end: int = 0
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)
    heading_only: bool = False  # its line held only a heading; the next paragraph is its body
    has_body: bool = False
    closed: bool = False  # ended with a (责任单位:…) group: text after it cannot be its continuation
    kind: str = MEASURE
    token: str = ""
    sub: int = 0  # 之一 of 第七条之一

    def path(self) -> list[_Node]:
        nodes, node = [], self
        while node is not None and node.family != "root":
            nodes.append(node)
            node = node.parent
        return nodes[::-1]


@dataclass(frozen=True)
class ChunkerConfig:
    max_chars: int = 700  # multilingual-e5 sees 512 tokens; ~700 Chinese characters stay within it
    min_split_chars: int = 120  # a piece shorter than this is merged back rather than left alone


@dataclass
class ChunkResult:
    chunks: list[Chunk]
    warnings: list[str]


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, inline) spans: every line, further cut before inline-numbered measures."""
    spans: list[tuple[int, int, bool]] = []
    last = {"num": 0, "cn": 0}  # the running sequence of each family
    offset = 0
    for line in text.split("\n"):
        line_start, cut = offset, offset
        for family in last:  # a line that starts with "N." or "一、" sets its family's sequence
            head = FAMILY_PATTERNS[family].match(line)
            if head:
                last[family] = cn_to_int(head.group(1))
        inline = False
        for m in INLINE_NUM.finditer(line):
            family, group = ("num", 1) if m.group(1) else ("cn", 2)
            n = cn_to_int(m.group(group))
            # Accept only what continues the running sequence (gaps of a few numbers are real: the
            # 2024 Baotou text lost 4, 8, 13), or a restart at 1.
            if n == 1 or last[family] < n <= last[family] + 4:
                pos = line_start + m.start(group)
                spans.append((cut, pos, inline))
                cut, inline, last[family] = pos, True, n
        spans.append((cut, line_start + len(line), inline))
        offset += len(line) + 1
    return [(s, e, i) for s, e, i in spans if text[s:e].strip()]


def _match_marker(segment: str) -> tuple[str, re.Match[str]] | None:
    for family, pattern in MARKERS:
        m = pattern.match(segment)
        # A chapter or article number may stand alone on its line ("第 1 條" with the text below it); any
        # other number needs text after it ("一、" alone is more likely a stray fragment).
        if m and (len(segment.rstrip()) > m.end() or family in ("chapter", "part", "article")):
            return family, m
    return None


def _is_heading_only(rest: str) -> bool:
    """The marker's line holds a heading and nothing else; its body is the next paragraph."""
    body, after = first_sentence(rest.strip())
    return not after.strip() and looks_like_heading(body, 50)


def _runin_title(text: str) -> str | None:
    """A run-in heading such as "提升旗帜型产业硬核实力。" opening a paragraph, or None."""
    title, rest = first_sentence(text)
    if rest.strip() and 4 <= len(title) <= 18 and not re.search(r"[,，、;；:：\d]", title):
        return title
    return None


def _part_heading(segment: str) -> tuple[str, str] | None:
    """("chapter", "总则") for an unnumbered chapter heading; ("document", title) for the title line of a
    document attached to a cover notice ("深圳市…若干措施" on a line of its own); else None."""
    line = segment.strip().lstrip("#").strip()
    if UNNUMBERED_CHAPTER.match(line):
        return "chapter", re.sub(r"\s+", "", line)
    if is_document_title(line):
        return "document", line
    return None


def _short(text: str, limit: int = 30) -> str:
    text = text.strip().rstrip("。")
    return text if len(text) <= limit else text[:limit] + "…"


class _TreeBuilder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.root = _Node("root", 0, "", "", 0, len(text))
        self.stack: list[_Node] = [self.root]
        self.warnings: list[str] = []
        self.lead_end = 0
        self.implicit_count = 0

    def _open(self, node: _Node, parent: _Node) -> None:
        node.parent = parent
        node.token = f"{_TOKEN.get(node.family, node.family)}{node.number}" + (f"_{node.sub}" if node.sub else "")
        if any(c.token == node.token for c in parent.children):
            node.token += f"-dup{sum(c.family == node.family for c in parent.children) + 1}"
            self.warnings.append(f"numbering repeats: {node.label or node.title} under {self._where(parent)}")
        parent.children.append(node)
        self.stack.append(node)

    def _where(self, node: _Node) -> str:
        return " ".join(n.label for n in node.path() if n.label) or "document start"

    def _pop_to_family(self, family: str) -> bool:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].family == family:
                del self.stack[depth:]
                return True
        return False

    def add_marked(self, start: int, end: int, family: str, m: re.Match[str]) -> None:
        segment = self.text[start:end]
        rest = segment[m.end() :]
        raw, sub = marker_numbers(family, m)
        family = FAMILY_ALIAS.get(family, family)
        # An annex, and a chapter even when the text opened without one (第一章 lost), closes every open level:
        # a chapter is never inside an article or an item.
        if family == "annex" or (not self._pop_to_family(family) and family == "chapter"):
            del self.stack[1:]
        parent = self.stack[-1]
        raw = raw or "1"
        number = cn_to_int(raw)
        heading_only = _is_heading_only(rest) or (family == "annex" and not first_sentence(rest.strip())[1].strip())
        if heading_only:
            title = rest.strip().rstrip("。:：")
        else:
            first, _ = first_sentence(rest)
            title = first if looks_like_heading(first) else ""
        node = _Node(family, number, label(family, raw, sub), title, start, heading_only=heading_only,
                     has_body=not heading_only, kind=ANNEX if family == "annex" else MEASURE)
        node.sub = cn_to_int(sub) if sub else 0
        self._open(node, parent)
        self._note_units(node, rest)

    def add_part_heading(self, start: int, family: str, title: str) -> None:
        """A heading without a number: a chapter written "总 则", or the title of a document attached to a
        cover notice. Either closes every open level; the numbering under it starts afresh."""
        if family == "chapter" and self._pop_to_family("chapter"):
            parent = self.stack[-1]
        else:
            del self.stack[1:]
            parent = self.root
        number = sum(1 for c in parent.children if c.family == family) + 1
        self._open(_Node(family, number, "", title, start, heading_only=True), parent)

    def add_unmarked(self, start: int, end: int, heads_inline_measures: bool, next_family: str | None) -> None:
        segment = self.text[start:end]
        top = self.stack[-1]
        if top is self.root and not heads_inline_measures:
            return  # preamble: the root's own text
        if top.heading_only and not top.has_body:
            top.has_body = True
            self._note_units(top, segment)
            return
        if UNIT_LABEL.match(segment.strip()):
            self._note_units(top, segment)  # "责任单位：…" on the line after "牵头单位：…" belongs to the same measure
            return
        if heads_inline_measures or (top.closed and next_family == top.family):
            # Text between two closed sibling measures that opens a new run of them: the intro of a
            # section whose heading the source lost (the 2024 Baotou document keeps only these intros).
            family = top.family
            self._pop_to_family(family)
            self.implicit_count += 1
            parent = self.stack[-1]
            while parent.family == "implicit":
                self.stack.pop()
                parent = self.stack[-1]
            node = _Node("implicit", self.implicit_count, "", _short(first_sentence(segment)[0]), start,
                         has_body=True, kind=INTRO)
            self._open(node, parent)
            return
        title = _runin_title(segment)
        if title and top.has_body and top.family != "annex":
            if top.family == "runin":
                self.stack.pop()
            parent = self.stack[-1]
            number = sum(1 for c in parent.children if c.family == "runin") + 1
            node = _Node("runin", number, "", title, start, has_body=True)
            self._open(node, parent)
            return
        self._note_units(top, segment)

    def _note_units(self, node: _Node, segment: str) -> None:
        units = parse_units(segment)
        if units and units.end >= len(segment.rstrip()):  # the assignment ends the measure
            node.closed = True

    def finish(self) -> _Node:
        self._close(self.root, len(self.text))
        return self.root

    def _close(self, node: _Node, end: int) -> None:
        node.end = end
        for i, child in enumerate(node.children):
            child_end = node.children[i + 1].start if i + 1 < len(node.children) else end
            self._close(child, child_end)


_FAMILY_NAMES = {"num": "measure", "cn": "section", "cn_paren": "item", "shi": "item", "article": "article"}


def _check_gaps(root: _Node, warnings: list[str]) -> None:
    """Warn on numbers that skip (…3, 5…) within a family, including numbering that runs on across
    sections (1.–25. through a whole document); a restart at 1 under a new parent is not a gap."""
    last: dict[str, int] = {}

    def visit(node: _Node) -> None:
        for child in node.children:
            if child.label and child.family not in ("annex", "implicit", "runin"):
                prev = last.get(child.family)
                missing = list(range(prev + 1, child.number)) if prev is not None and child.number != 1 else []
                if 0 < len(missing) <= 10:
                    name = _FAMILY_NAMES.get(child.family, child.family)
                    warnings.append(f"numbering gap: {name} {', '.join(map(str, missing))} missing before {child.label}")  # noqa: E501
                last[child.family] = child.number
            visit(child)

    visit(root)


def _join_labels(labels: list[str]) -> str:
    """"二、" "(三)" "2." → "二、(三) 2.": readers run a label on after 、 and space the others."""
    out = ""
    for one in labels:
        out += one if not out or out.endswith("、") else " " + one
    return out


def _own_end(node: _Node) -> int:
    return node.children[0].start if node.children else node.end


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def chunk_document(meta: DocumentMeta, text: str, config: ChunkerConfig | None = None) -> ChunkResult:
    """Chunks of one cleaned document, in document order; `text` must be the cleaned text."""
    config = config or ChunkerConfig()
    builder = _TreeBuilder(text)
    segments = _segments(text)
    for idx, (start, end, _inline) in enumerate(segments):
        segment = text[start:end]
        if not builder.lead_end and _LEAD_END.match(segment.strip()):
            builder.lead_end = end
            continue
        marker = _match_marker(segment)
        heading = _part_heading(segment) if not marker else None
        if marker:
            builder.add_marked(start, end, *marker)
        elif heading and (heading[0] == "chapter" or len(builder.stack) > 1):
            builder.add_part_heading(start, *heading)
        else:
            following = segments[idx + 1] if idx + 1 < len(segments) else None
            next_marker = _match_marker(text[following[0]:following[1]]) if following else None
            builder.add_unmarked(start, end, bool(following and following[2]),
                                 next_marker[0] if next_marker else None)
    root = builder.finish()
    warnings = builder.warnings
    _check_gaps(root, warnings)

    raw: list[tuple[str, str, tuple[str, ...], str, int, int]] = []  # id suffix, measure, headings, kind, span

    def heading_of(node: _Node) -> str:
        return f"{node.label}{node.title}" if node.label or node.title else ""

    def visit(node: _Node) -> None:
        for child in node.children:
            path = child.path()
            suffix = ".".join(n.token for n in path)
            measure = _join_labels([n.label or n.title for n in path if n.label or n.family == "runin"])
            headings = tuple(h for h in (heading_of(n) for n in path) if h)
            own_start, own_end = _strip_span(text, child.start, _own_end(child))
            own = text[own_start:own_end]
            body = own
            m = _match_marker(own)
            if m:
                body = own[m[1].end() :]
            # A line announcing the items ("第三十二条 生态补偿范围包括下列生态功能区域：") is content, not a title.
            has_content = len(body.strip().rstrip("。")) > len(child.title) + 1 or announces_items(body)
            if child.children:
                if has_content:
                    kind = INTRO if child.kind != ANNEX else ANNEX
                    raw.append((suffix + ".intro", measure or "引言", headings, kind, own_start, own_end))
            elif own:
                raw.append((suffix, measure, headings, child.kind, own_start, own_end))
            visit(child)

    # Text before the first numbered section, split into the news lead and the document's preamble.
    first = root.children[0].start if root.children else len(text)
    if builder.lead_end:
        s, e = _strip_span(text, 0, builder.lead_end)
        raw.append(("lead", "导语", (), LEAD, s, e))
    s, e = _strip_span(text, builder.lead_end, first)
    if e > s:
        raw.append(("preamble", "前言", (), PREAMBLE, s, e))
    visit(root)
    _split_closing(text, raw)

    chunks: list[Chunk] = []
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=config.max_chars, chunk_overlap=0, separators=["\n", "。", "；", ";", "，", ","],
        keep_separator="end", add_start_index=True, strip_whitespace=False,
    )
    for suffix, measure, headings, kind, start, end in raw:
        span_text = text[start:end]
        units = parse_units(span_text) if kind == MEASURE else None
        pieces = [(start, end)]
        if len(span_text) > config.max_chars:
            docs = splitter.create_documents([span_text])
            pieces = [(start + d.metadata["start_index"], start + d.metadata["start_index"] + len(d.page_content))
                      for d in docs]
            pieces = _merge_small(pieces, config.min_split_chars)
        for i, (ps, pe) in enumerate(pieces, 1):
            ps, pe = _strip_span(text, ps, pe)
            piece_text = text[ps:pe]
            header = " > ".join((meta.title, *headings))
            chunks.append(Chunk(
                chunk_id=f"{meta.doc_id}:{suffix}" + (f"~{i}" if len(pieces) > 1 else ""),
                doc_id=meta.doc_id, title=meta.title, measure=measure, heading_path=headings, kind=kind,
                text=piece_text, search_text=normalize_for_search(f"{header}\n{piece_text}"),
                start=ps, end=pe,
                lead_units=units.lead if units else (), responsible_units=units.responsible if units else (),
                piece=i, pieces=len(pieces),
            ))
    if not any(c.kind in (MEASURE, INTRO) and c.measure for c in chunks):
        warnings.append("no numbered measures found: the document is chunked as plain text")
    return ChunkResult(chunks=chunks, warnings=warnings)


_CLOSING_LINE = re.compile(rf"^(?:{DATE.pattern}|[(（]此件.{{0,12}}[)）]|[(（]?(?:联系人|聯系人|联系电话).*)$")


def _split_closing(text: str, raw: list) -> None:
    """Move the signature date and "(此件公开发布)" lines at the end of the last chunk into a closing chunk."""
    if not raw:
        return
    suffix, measure, headings, kind, start, end = raw[-1]
    lines = text[start:end].split("\n")
    cut = len(lines)
    while cut > 1 and _CLOSING_LINE.match(lines[cut - 1].strip()):
        cut -= 1
    if cut == len(lines):
        return
    new_end = start + len("\n".join(lines[:cut]))
    raw[-1] = (suffix, measure, headings, kind, start, new_end)
    s, e = _strip_span(text, new_end, end)
    raw.append(("closing", "落款", (), CLOSING, s, e))


def _merge_small(pieces: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        if merged and (e - s < min_chars):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged
