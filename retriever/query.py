"""Understand a question before searching: normalise it, expand English terms, and find what it names
directly (a document, a measure number, a year or place)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import yaml

from corpus.chunker import cn_to_int
from corpus.model import DocumentMeta
from corpus.text import normalize_for_search, normalize_width

GLOSSARY = Path(__file__).with_name("glossary.yaml")
# Question wording that carries no content and only pulls retrieval towards other questions.
# Interrogatives and demonstratives (什么时候, 哪里, 几家, 谁, 这份 …) are grammar, not content.
_FILLER = re.compile(r"(请问|请告诉我|我想知道|想了解一下|想了解|是多少|是什么|有哪些|有什么|是哪些|是哪个|哪些|哪个|多少|什么时候|什么|何时|几时|哪里|哪儿|哪一年|哪年|哪天|几月几[号日]|几[年月号日天家个座项名人次批所条]|为什么|为何|怎么样|怎么|怎样|如何|谁|这些|这份|这个|这项|这条|那条|那个|吗|呢|吧|\?|？)")  # noqa: E501
_MEASURE_REF = re.compile(
    r"第\s*(?P<n>[0-9]+|[一二三四五六七八九十百]+)\s*(?:条|條|项|項|点|點|部分|款)"
    r"|(?:measure|item|article|point)\s*(?:no\.?\s*)?(?P<en>\d+)"
    r"|[(（](?P<paren>[一二三四五六七八九十]+|\d+)[)）]"
    r"|(?<![\d.])(?P<dot>\d{1,2})[.、](?![\d])"
    r"|(?P<shi>[一二三四五六七八九十])是"
    r"|(?P<cn>[一二三四五六七八九十]+)、",
    re.IGNORECASE,
)
# Who issued a document and when; "由谁兼任" and "哪个部门牵头" ask about a measure, not about the document.
_METADATA = re.compile(r"文号|印发|发布|发文|落款|哪天|几月几[号日]|什么时候(?!.{0,4}(?:施行|实施|生效|执行))|签发|"
                       r"(?:由谁|哪个(?:部门|单位|机关)|哪些(?:部门|单位|机关))(?:联合)?(?:印发|发布|发文|签发|制定|出台|发的)|"
                       r"document number|issued|issuer|published|when was", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}\s*[\[〔［【(（]\s*(\d{4})\s*[\]〕］】)）﹞]\s*(\d{1,4})\s*号")


@dataclass(frozen=True)
class MeasureRef:
    number: int
    family: str  # "any" for 第N条 / measure N, else "cn", "paren", "dot", "shi"


@dataclass
class QueryAnalysis:
    original: str
    text: str  # normalised, filler removed: what dense and BM25 search see
    english: bool
    expansion: str = ""  # Chinese terms for an English question
    measures: list[MeasureRef] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    doc_number: tuple[str, str] | None = None
    metadata: bool = False  # asks who issued a document, when, or its number: answered by preamble/closing


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[re.Pattern[str], str]]:
    terms = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return [(re.compile(rf"\b{re.escape(en)}\b", re.IGNORECASE), zh)
            for en, zh in sorted(terms.items(), key=lambda kv: -len(kv[0]))]


def expand_english(text: str) -> str:
    """Chinese terms for the glossary phrases in an English question (overlapping phrases all count:
    "basic research funding" gives both 基础研究 and 研发经费)."""
    return " ".join(dict.fromkeys(zh for pattern, zh in _glossary() if pattern.search(text)))


def analyse(question: str) -> QueryAnalysis:
    width = normalize_width(question)
    latin = sum(ch.isascii() and ch.isalpha() for ch in width)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in width)
    english = latin > 2 * cjk
    text = normalize_for_search(_FILLER.sub(" ", width))
    text = re.sub(r"\s+", " ", text).strip() or normalize_for_search(width)
    analysis = QueryAnalysis(original=question, text=text, english=english)
    if english:
        analysis.expansion = expand_english(width)
    for m in _MEASURE_REF.finditer(width):
        kind = next(k for k in ("n", "en", "paren", "dot", "shi", "cn") if m.group(k))
        family = {"n": "any", "en": "any"}.get(kind, kind)
        analysis.measures.append(MeasureRef(cn_to_int(m.group(kind)), family))
    doc_number = _DOC_NUMBER.search(width)
    if doc_number:
        analysis.doc_number = (doc_number.group(1), doc_number.group(2))
    analysis.years = [int(y) for y in _YEAR.findall(width)]
    analysis.metadata = bool(_METADATA.search(normalize_for_search(width)))
    return analysis


def _city(region: str) -> str:
    """"内蒙古自治区包头市" → "包头"."""
    tail = re.split(r"(?:自治区|省)", region)[-1]
    return re.sub(r"(市|盟|地区|自治州)$", "", tail)


def document_keys(meta: DocumentMeta) -> list[str]:
    """Normalised strings that, found in a question, point at this document."""
    # An alias's last four characters ("…一号文件") are how people shorten it.
    keys = [_city(meta.region), *meta.aliases, *(a[-4:] for a in meta.aliases if len(a) > 6)]
    if meta.region_en:
        keys.append(meta.region_en.split(",")[0])
    return [normalize_for_search(k) for k in keys if k and len(k) >= 2]


def title_overlap(analysis: QueryAnalysis, meta: DocumentMeta) -> int:
    """Length of the longest stretch of the document's title quoted in the question."""
    title = normalize_for_search(meta.title)
    match = SequenceMatcher(None, analysis.text, title, autojunk=False).find_longest_match()
    return match.size


def matches_doc_number(analysis: QueryAnalysis, meta: DocumentMeta) -> bool:
    if not analysis.doc_number or not meta.doc_number:
        return False
    own = _DOC_NUMBER.search(normalize_width(meta.doc_number))
    return bool(own) and (own.group(1), own.group(2)) == analysis.doc_number


def year_matches(year: int, meta: DocumentMeta) -> bool:
    """The question's year is the document's year or inside the period its title names (2021-2023)."""
    if meta.year == year:
        return True
    span = re.search(r"(20\d{2})\s*[-—–至~]\s*(20\d{2})", normalize_width(meta.title))
    return bool(span) and int(span.group(1)) <= year <= int(span.group(2))
