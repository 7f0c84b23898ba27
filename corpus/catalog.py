"""The corpus catalogue: metadata of every document, from catalog.yaml or inferred from the text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jieba.posseg as posseg
import yaml

from corpus.errors import BadDocument
from corpus.lang.dates import dates, own_line_dates
from corpus.lang.docnumber import find_doc_number
from corpus.lang.orgs import ORG_SUFFIX
from corpus.lang.text import to_simplified
from corpus.lang.titles import is_document_title, labelled_title, markdown_title
from corpus.model import DocumentMeta

CORPUS_DIR = Path(__file__).resolve().parent
DEFAULT_CATALOG = CORPUS_DIR / "catalog.yaml"
DEFAULT_DOCUMENTS = CORPUS_DIR / "documents"

HEAD_LINES = 20  # where a document states its own title, number and issuer
# An issuer on a line of its own: a body ending in an office word (several bodies may be listed).
_BODY = rf"[\u4e00-\u9fff]{{2,30}}?(?:{ORG_SUFFIX})"
_ISSUER = re.compile(rf"^(?:中共)?{_BODY}(?:[\s、,，]+{_BODY})*$")
# A line that records the document's passage or issue ("2020年11月28日河南省…通过", "发布日期：2024-01-15").
_RECORD_LINE = re.compile(r"通过|通過|批准|公布|印发|印發|发布|發布|施行|成文|签发|簽發|订定|訂定|令")
_LABEL = re.compile(r"^[\u4e00-\u9fff]{1,6}\s*[:：]\s*")

def _iso(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def load_catalog(path: Path = DEFAULT_CATALOG) -> dict[str, DocumentMeta]:
    """Catalogue entries keyed by source file name."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise BadDocument(str(path), f"catalogue is not valid YAML: {exc}") from exc
    entries: dict[str, DocumentMeta] = {}
    for item in data.get("documents", []):
        meta = DocumentMeta.from_dict({
            **item,
            "doc_id": item["id"],
            "source_file": item["file"],
            "issue_date": _iso(item.get("issue_date")),
            "published": _iso(item.get("published")),
        })
        entries[meta.source_file] = meta
    return entries


def slugify(name: str) -> str:
    slug = re.sub(r"[^0-9a-zA-Z\u4e00-\u9fff]+", "-", Path(name).stem).strip("-").lower()
    return slug or "document"


def _own_doc_number(lines: list[str]) -> str | None:
    """The document's own 文号: on a line of its own (bracketed, or after a short label such as "文号："), or
    in a short line recording its issue ("…五月二十日府授經能字第1130123456號令訂定"); never one cited inside a
    sentence ("根据《…》（国发〔2019〕3号）…")."""
    for line in lines:
        bare = _LABEL.sub("", line).strip(" ()（）")
        m = find_doc_number(bare)
        if m and (len(bare) - len(m.group(0)) <= 2
                  or (len(bare) <= 60 and _RECORD_LINE.search(bare) and not re.search(r"[。，,；;《]", bare))):
            return m.group(0)
    return None


def _issue_date(text: str, head: list[str]) -> str | None:
    """The signature date (a date on a line of its own, the last one), else the latest date of a line in the
    head that records the document's passage or issue. None rather than a date from the body."""
    own = own_line_dates(text)
    if own:
        return own[-1]
    recorded = [d for line in head if _RECORD_LINE.search(line) or _LABEL.match(line) for d in dates(line)]
    return max(recorded) if recorded else None


def _issuer(lines: list[str], text: str) -> str:
    """The bodies signing the document (the lines of bodies before the signature date: a joint document signs
    one a line), else one named on a line of its own in the head."""
    all_lines = [line.strip() for line in text.split("\n")]
    for i, line in enumerate(all_lines):
        if i and own_line_dates(line) and _ISSUER.match(to_simplified(all_lines[i - 1])):
            first = i - 1
            while first and _ISSUER.match(to_simplified(all_lines[first - 1])):
                first -= 1
            return "、".join(all_lines[first:i])
    return next((line for line in lines if _ISSUER.match(to_simplified(line))), "")


def _title(lines: list[str]) -> str | None:
    """The document's name: a line a title label introduces ("法規名稱：…"); else the first title line (a title
    broken over two or three lines by a scrape is joined when no piece is a title or a sentence on its own);
    else the page's Markdown heading."""
    labelled = next((t for line in lines if (t := labelled_title(line))), None)
    if labelled:
        return labelled
    for i in range(len(lines)):
        for start in (i - 2, i - 1, i):
            pieces = [p.lstrip("#").strip() for p in lines[max(start, 0):i + 1]]
            # A piece of a broken title is words only: no figures, dates, brackets or clutter labels.
            if start < 0 or any(re.search(r"[。；;：:，,|0-9A-Za-z【】\[\]《》]", p) or not 8 <= len(p) <= 40
                                or is_document_title(p) or _ISSUER.match(to_simplified(p)) for p in pieces[:-1]):
                continue
            if is_document_title("".join(pieces)):
                return "".join(pieces)
    return next((t for line in lines if (t := markdown_title(line))), None)


def infer_meta(source_file: str, cleaned: str, removed: list[str] | None = None) -> DocumentMeta:
    """Metadata for a document the catalogue does not list, read from its own text as a reader would: its own
    title line, its own 文号, its signature. A field the text does not clearly state stays empty. `removed` are
    the page-chrome lines cleaning dropped: a portal's "发布日期：2022-09-05" is the publication date."""
    lines = [line.strip() for line in cleaned.split("\n")[:HEAD_LINES] if line.strip()]
    title = _title(lines) or Path(source_file).stem
    head = "\n".join(lines)
    script = "traditional" if sum(a != b for a, b in zip(head, to_simplified(head), strict=True)) > 10 else "simplified"
    issuer = _issuer(lines, cleaned)
    return DocumentMeta(
        doc_id=slugify(source_file), title=title, source_file=source_file, issuer=issuer,
        doc_number=_own_doc_number(lines), issue_date=_issue_date(cleaned, lines), script=script,
        region=_region(f"{issuer} {title}"),
        published=next((d for line in removed or () if _LABEL.match(line) for d in dates(line)), None),
    )


def _region(text: str) -> str:
    """The first place the issuer or the title names ("河南省优化营商环境条例" → 河南省), or ""."""
    return next((w.word for w in posseg.cut(to_simplified(text)) if w.flag == "ns" and len(w.word) >= 2), "")
