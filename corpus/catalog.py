"""The corpus catalogue: metadata of every document, from catalog.yaml or inferred from the text."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml

from corpus.errors import BadDocument
from corpus.model import DocumentMeta
from corpus.text import to_simplified

CORPUS_DIR = Path(__file__).resolve().parent
DEFAULT_CATALOG = CORPUS_DIR / "catalog.yaml"
DEFAULT_DOCUMENTS = CORPUS_DIR / "documents"

# 包府发〔2022〕50号, and the Taiwan form 府授經能字第1130123456號.
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[［【(（]\d{4}[〕\]］】)）﹞]\s*\d{1,4}\s*[号號]"
                         r"|(?:(?![年月日〇○零一二三四五六七八九十])[\u4e00-\u9fff]){1,6}字第\s*\d{1,12}\s*[号號]")
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISSUER = re.compile(r"^(?:中共)?[\u4e00-\u9fff]{2,12}(?:政府|委员会|办公室|办公厅|局|委|厅)(?:\s+[\u4e00-\u9fff]{2,16})*$")  # noqa: E501
# A date on a line of its own, as a signature or under the title: the issue date, unlike dates in the text
# ("有效期至2027年12月31日").
_DATE_LINE = re.compile(r"^\s*[(（]?\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*[)）]?\s*$", re.M)


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


def infer_meta(source_file: str, cleaned: str) -> DocumentMeta:
    """Metadata for a document the catalogue does not list, read from its own text."""
    lines = [line.strip() for line in cleaned.split("\n")[:15] if line.strip()]
    simplified = [to_simplified(line) for line in lines]
    title = next((line for line, s in zip(lines, simplified, strict=True)
                  if re.search(r"(意见|方案|计划|办法|规定|通知|决定|措施|规划|条例|细则|纲要)", s)
                  and len(line) <= 80 and not s.endswith("。")), None)
    if title is None:
        title = next((line for line in lines if len(line) <= 60), Path(source_file).stem)
    head = "\n".join(lines)
    number = _DOC_NUMBER.search(head)
    own_line = list(_DATE_LINE.finditer(cleaned))
    date = own_line[-1] if own_line else _CN_DATE.search(cleaned)
    issuer = next((line for line, s in zip(lines, simplified, strict=True) if _ISSUER.match(s)), "")
    script = "traditional" if sum(a != b for a, b in zip(head, to_simplified(head), strict=True)) > 10 else "simplified"
    iso = None
    if date:
        try:
            iso = dt.date(int(date.group(1)), int(date.group(2)), int(date.group(3))).isoformat()
        except ValueError:
            iso = None
    return DocumentMeta(
        doc_id=slugify(source_file), title=title, source_file=source_file, issuer=issuer,
        doc_number=number.group(0) if number else None, issue_date=iso, script=script,
    )
