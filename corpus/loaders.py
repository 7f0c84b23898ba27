"""Read a policy document file of any supported type into plain text.

Only extraction happens here: the text keeps its original script, width and punctuation, because
cleaning and normalising belong to another module. What this module guarantees is a common shape:
lines separated by "\\n", one paragraph per line, no trailing whitespace, no runs of blank lines,
and a `BadDocument` with a reason a user can act on for anything it cannot read.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from charset_normalizer import from_bytes
from docx.table import Table
from pypdf import PdfReader

from corpus.errors import BadDocument, DocumentTooLarge
from corpus.lang.numbering import starts_with_marker

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf"})

_EMPTY = "empty document"
_BINARY = "not a text file (binary content)"


class _Unreadable(Exception):
    """Raised by a reader with a user-facing reason; `load_text` attaches the path."""

    error: type[BadDocument] = BadDocument


class _Expands(_Unreadable):
    error = DocumentTooLarge


def load_text(path: Path) -> str:
    """Return the plain text of the document at `path`.

    Raises `BadDocument(str(path), reason)` for an unsupported extension, a missing or unreadable
    file, binary content in a text-type file, a corrupt or encrypted .docx/.pdf, or a document
    with no text; no exception from a parsing library escapes.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "(no extension)"
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise BadDocument(str(path), f"unsupported file type {kind}; supported: {supported}")
    if not path.exists():
        raise BadDocument(str(path), "file not found")
    if not path.is_file():
        raise BadDocument(str(path), "not a regular file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadDocument(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise BadDocument(str(path), _EMPTY)
    try:
        text = _tidy(_READERS[suffix](data))
    except _Unreadable as exc:
        raise exc.error(str(path), str(exc)) from None
    if not text:
        reason = _EMPTY
        if suffix == ".pdf":
            reason += " (no extractable text; a scanned PDF needs OCR first)"
        raise BadDocument(str(path), reason)
    return text


# ---------------------------------------------------------------------------------------------
# Shared helpers

_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """LF line ends, no trailing whitespace, at most one blank line in a row, no blank edges."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _decode(data: bytes, declared: str | None = None) -> str:
    """Decode text bytes: a BOM wins, then a declared charset, then utf-8, gb18030 and a guess.

    Raises `_Unreadable` when the bytes are binary rather than text.
    """
    text: str | None = None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows Notepad's "Unicode" saves UTF-16 with a BOM; its NUL bytes are not binary content.
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _Unreadable(_BINARY) from None
    elif b"\x00" in data:
        raise _Unreadable(_BINARY)
    else:
        candidates = ["utf-8-sig", "gb18030"]
        declared = (declared or "").lower()
        if declared in {"gb2312", "gbk", "x-gbk"}:
            # GB2312/GBK pages routinely contain characters only their superset GB18030 defines.
            declared = "gb18030"
        if declared and not declared.startswith(("utf-16", "utf-32")):  # NUL-free bytes are not UTF-16
            candidates.insert(0, declared)
        for encoding in candidates:
            try:
                text = data.decode(encoding)
                break
            except (UnicodeDecodeError, LookupError):
                continue
        if text is None:
            best = from_bytes(data).best()
            if best is None:
                raise _Unreadable(_BINARY)
            text = str(best)
    if _looks_binary(text):
        raise _Unreadable(_BINARY)
    return text


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # C0/C1 controls except \t-\r; U+FFFD


def _looks_binary(text: str) -> bool:
    """True when the decoded text has NULs or over 5% control/replacement characters."""
    return "\x00" in text or len(_CONTROL.findall(text)) > 0.05 * len(text)


# ---------------------------------------------------------------------------------------------
# Plain text and Markdown


def _read_txt(data: bytes) -> str:
    return _decode(data)


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_RULE = re.compile(r"^\s{0,3}([-*_=])(\s*\1){2,}\s*$")  # thematic breaks and setext underlines
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s+|$)")
_MD_CLOSING_HASHES = re.compile(r"\s+#+\s*$")
_MD_QUOTE = re.compile(r"^\s{0,3}(>\s?)+")
# A bullet is markup, except where its item starts with a number: "* 7.1 …" is how Markdown law corpora
# write 第七條之一, and the chunker reads that number (corpus.lang.numbering, family md_article).
_MD_BULLET = re.compile(r"^(\s*)[-*+]\s+(?!\d{1,4}(?:\.\d{1,2})?\s)")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM_STAR = re.compile(r"\*(?=\S)(.+?)(?<=\S)\*")
_MD_EM_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")  # snake_case is not emphasis
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_CODE = re.compile(r"`+([^`]*)`+")
# Escaped characters ride through the regexes as plane-16 private-use code points, which GB18030
# decoding never produces (its user-defined areas map to the BMP private-use block).
_ESCAPE_BASE = 0x10FF00


def _read_md(data: bytes) -> str:
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    # Hide escaped characters so "1\." or "\*" survive the markup regexes as literal text.
    text = _MD_ESCAPE.sub(lambda m: chr(_ESCAPE_BASE + ord(m.group(1))), text)
    lines = []
    for line in text.split("\n"):
        if _MD_FENCE.match(line) or _MD_RULE.match(line) or _MD_REF_DEF.match(line):
            continue
        if _MD_HEADING.match(line):
            line = _MD_CLOSING_HASHES.sub("", _MD_HEADING.sub("", line))
        line = _MD_BULLET.sub(r"\1", _MD_QUOTE.sub("", line))
        line = _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", line))
        line = _MD_REF_LINK.sub(r"\1", line)
        for pattern in (_MD_CODE, _MD_STRONG, _MD_STRIKE, _MD_EM_STAR, _MD_EM_UNDERSCORE):
            line = pattern.sub(lambda m: m.group(m.lastindex or 0), line)
        lines.append(line)
    text = "\n".join(lines)
    return re.sub("[\U0010ff00-\U0010ff7f]", lambda m: chr(ord(m.group()) - _ESCAPE_BASE), text)


# ---------------------------------------------------------------------------------------------
# HTML

_HTML_DROP = frozenset(
    {"head", "script", "style", "noscript", "template", "nav", "header", "footer", "iframe", "svg"}
)
_HTML_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html",
        "li", "main", "ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_HTML_CELL = frozenset({"td", "th"})
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")  # HTML's own whitespace; NBSP and U+3000 are content
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
# A source line break inside Chinese text is no word gap; keeping it as a space would split words.
_HTML_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r\f]*\n[ \t\r\n\f]*(?=[{_CJK}])")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _read_html(data: bytes) -> str:
    declared = _META_CHARSET.search(data[:4096])
    markup = _decode(data, declared.group(1).decode("ascii") if declared else None)
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml/bs4 failures come in many types; all mean the same to a user
        raise _Unreadable(f"cannot read HTML: {_describe(exc)}") from exc

    out: list[str] = []
    at_line_start = True

    def text(piece: str) -> None:
        nonlocal at_line_start
        if at_line_start or (out and out[-1].endswith(" ")):
            piece = piece.lstrip(" ")
        if piece:
            out.append(piece)
            at_line_start = False

    def newline(*, hard: bool) -> None:
        # Block edges only ensure a line break; <br> always makes one, so <br><br> keeps its gap.
        nonlocal at_line_start
        if hard or not at_line_start:
            out.append("\n")
            at_line_start = True

    # An explicit stack rather than recursion: deeply nested government page layouts are common.
    stack: list[object] = [soup]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):  # (tag name,) marks where that tag ends
            if node[0] in _HTML_CELL:
                text(" ")
            elif node[0] in _HTML_BLOCK:
                newline(hard=False)
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                text(_HTML_SPACE.sub(" ", _HTML_CJK_BREAK.sub("", str(node))))
        elif isinstance(node, Tag) and node.name not in _HTML_DROP:
            if node.name == "br":
                newline(hard=True)
                continue
            if node.name in _HTML_BLOCK:
                newline(hard=False)
            stack.append((node.name,))
            stack.extend(reversed(node.contents))
    return "\n".join(line.strip(" ") for line in "".join(out).split("\n"))


# ---------------------------------------------------------------------------------------------
# DOCX


def _read_docx(data: bytes) -> str:
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE container: a renamed .doc, or an encrypted .docx
        raise _Unreadable("cannot read .docx: this is a legacy Word .doc or password-protected file")
    _check_expansion(data)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        # iter_inner_content walks the body's w:p and w:tbl children in document order.
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_docx_rows(block))
            elif block.text.strip():
                lines.append(block.text)
    except Exception as exc:  # corrupt packages raise BadZipFile, KeyError, lxml and value errors alike
        raise _Unreadable(f"cannot read .docx: {_describe(exc)}") from exc
    return "\n".join(lines)


# python-docx holds every part of the package in memory and lxml's tree is several times its XML: a 488 KB
# .docx expanding to 303 MB took a worker to 1.6 GB. A 500-page text's document.xml is about 10 MB, and images
# are stored already compressed, so 50 MB expanded leaves room for real documents and keeps a worker small.
MAX_DOCX_EXPANDED_BYTES = 50_000_000


def _check_expansion(data: bytes) -> None:
    """Refuse a package whose parts expand past the bound, from the zip directory alone (zipfile never
    yields more than a part's declared size, so a lying directory cannot get past this either)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            expanded = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: python-docx says why below
    if expanded > MAX_DOCX_EXPANDED_BYTES:
        raise _Expands(f"the .docx expands to {expanded / 1e6:.0f} MB, over the {MAX_DOCX_EXPANDED_BYTES / 1e6:.0f} MB "
                       "this service reads (a compressed bomb, or a document to split)")


def _docx_rows(table: Table) -> list[str]:
    """One line per table row: non-empty cells joined by a space, each merged cell once."""
    rows = []
    for row in table.rows:
        seen: set[int] = set()
        cells = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # a horizontally merged cell is repeated once per grid column
                continue
            seen.add(id(cell._tc))
            content = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if content:
                cells.append(content)
        if cells:
            rows.append(" ".join(cells))
    return rows


# ---------------------------------------------------------------------------------------------
# PDF

_SENTENCE_END = frozenset("。！？；：!?;:")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－_]*\s*\d{1,4}\s*[-—–－_]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|[Pp]age\s+\d{1,4}(?:\s+of\s+\d{1,4})?)\s*$"
)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FULL_LINE = 0.8  # a line this close to the page's widest line was wrapped by the layout


def _read_pdf(data: bytes) -> str:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _Unreadable("cannot read .pdf: encrypted (password required)")
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            try:
                pages.append(_page_lines(page.extract_text() or ""))
            except Exception as exc:
                raise _Unreadable(f"cannot read .pdf: page {number}: {_describe(exc)}") from exc
    except _Unreadable:
        raise
    except Exception as exc:  # pypdf signals corruption with many exception types
        raise _Unreadable(f"cannot read .pdf: {_describe(exc)}") from exc
    return _join_wrapped(pages)


def _page_lines(text: str) -> list[str]:
    """The page's lines without trailing whitespace or page-number header/footer lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    # Only the first and last lines can be a page number; a bare number mid-page is table data.
    while lines and _PAGE_NUMBER.match(lines[-1]):
        lines.pop()
    while lines and _PAGE_NUMBER.match(lines[0]):
        lines.pop(0)
    return lines


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _join_wrapped(pages: list[list[str]]) -> str:
    """Rejoin Chinese sentences the PDF layout wrapped onto the next line (or page).

    A line is joined to the next without a space when it fills the line (so it was wrapped, not a
    short heading or signature), does not end a sentence, both lines are Chinese, and the next
    line does not start a new numbered item.
    """
    out: list[str] = []
    joinable = False  # whether the last line in `out` may be continued by the next one
    for lines in pages:
        full = _FULL_LINE * max((_width(line) for line in lines), default=0)
        for line in lines:
            if joinable and _HAN.search(line) and not line[0].isspace() and not starts_with_marker(line):
                out[-1] += line
            else:
                out.append(line)
            joinable = (
                _width(line) >= full and line[-1] not in _SENTENCE_END and _HAN.search(line) is not None
            )
    return "\n".join(out)


_READERS: dict[str, Callable[[bytes], str]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".docx": _read_docx,
    ".pdf": _read_pdf,
}
