"""Does the retrieved evidence answer the question? Decides abstention before any answer is written."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

import jieba
import jieba.posseg as posseg
from pypinyin import lazy_pinyin

from corpus.text import normalize_for_search
from index.store import IndexStore
from index.tokenize import tokenize
from retriever.hybrid import Hit, measure_match
from retriever.query import QueryAnalysis, expand_english

# English questions meet Chinese passages at lower cosine (measured on evals/questions.jsonl).
_ENGLISH_DENSE_MARGIN = 0.04
_WORDS_OVERRIDE_DENSE = 0.75  # share of the question's content words that makes low similarity no reason

jieba.setLogLevel(logging.WARNING)
# Words that every question about these documents shares; their presence in a passage proves nothing.
_GENERIC = frozenset(["目标", "产业", "发展", "政策", "文件", "意见", "方案", "计划", "措施", "规定", "要求", "工作", "内容", "主要", "具体", "哪些", "相关", "方面", "情况", "单位", "部门", "年", "年内", "数量", "多少", "规模", "提出", "支持", "推动", "加快", "实施", "建设", "第", "条", "项", "讲", "说", "讲了", "提到", "规定", "文号", "发文", "日期", "印发"])  # noqa: E501


@dataclass(frozen=True)
class Evidence:
    answerable: bool
    confidence: float
    coverage: float
    missing: tuple[str, ...]  # named places and years the sources never mention
    reason: str


@functools.lru_cache(maxsize=8)
def _romanised_places(chinese: str) -> frozenset[str]:
    """Pinyin of the places named in the documents' titles and issuers ("深圳市" -> "shenzhen"), so an English
    question about a document that has no English metadata is not taken for one about an unknown place."""
    # "江苏省人民政府" is one organisation word to jieba; without the office word it is the place 江苏省.
    text = re.sub(r"人民政府|政府|办公厅|办公室|委员会|管委会", " ", normalize_for_search(chinese))
    return frozenset("".join(lazy_pinyin(re.sub(r"(市|省|县|区|盟|旗|自治区)$", "", w.word)))
                     for w in posseg.cut(text) if w.flag == "ns" and len(w.word) >= 2)


def _unknown_english_names(analysis: QueryAnalysis, store: IndexStore) -> list[str]:
    """Capitalised words of an English question that neither the glossary nor any document's English
    metadata or place names know: an unfamiliar place or body ("Ulanqab", "GDP") the corpus cannot be about."""
    metas = [d.meta for d in store.documents.values()]
    known = " ".join(f"{m.title_en} {m.region_en} {m.issuer_en} {m.summary_en}" for m in metas).lower()
    places = _romanised_places(" ".join(f"{m.title} {m.issuer} {m.region}" for m in metas))
    words = re.findall(r"(?<![.?!]\s)(?<!^)\b([A-Z][A-Za-z]+)", analysis.original.split("?")[0])
    return [w for w in words if w.lower() not in known and w.lower() not in places and not expand_english(w)]


def _year_forms(year: int) -> list[str]:
    """2026 as documents write it: digits, or Chinese digits with any of the zeros 〇 ○ 零 (二〇二六)."""
    digits = "".join("〇一二三四五六七八九"[int(d)] for d in str(year))
    return [str(year), digits, digits.replace("〇", "○"), digits.replace("〇", "零")]


def _places(analysis: QueryAnalysis) -> list[str]:
    text = analysis.text if not analysis.english else analysis.expansion
    return [re.sub(r"(市|省|盟|自治区)$", "", w.word) for w in posseg.cut(text)
            if w.flag == "ns" and len(w.word) >= 2]


def assess(analysis: QueryAnalysis, hits: list[Hit], store: IndexStore, min_dense: float,
           min_coverage: float) -> Evidence:
    """Answerable when the top passages are close in meaning, share most of the question's content words,
    and mention every place and year the question names."""
    if not hits:
        return Evidence(False, 0.0, 0.0, (), "nothing retrieved")
    top = hits[:3]
    docs = {h.chunk.doc_id: store.documents[h.chunk.doc_id].meta for h in top}
    meta_text = normalize_for_search(" ".join(f"{m.title} {m.region} {m.issuer} {' '.join(m.aliases)}"
                                              for m in docs.values()))
    evidence_text = " ".join(h.chunk.search_text for h in top) + " " + meta_text
    missing = [p for p in _places(analysis) if p not in evidence_text]
    if analysis.english:
        missing += _unknown_english_names(analysis, store)
    for year in analysis.years:
        # The year must be stated, or be the document's own year: a year merely inside a plan's period
        # (2025 in a 2023-2027 plan) does not make the plan's 2027 target an answer about 2025.
        stated = any(form in evidence_text for form in _year_forms(year))
        if not stated and not any(m.year == year for m in docs.values()):
            missing.append(f"{year}年")
    # An English question is judged by its Chinese expansion: its English words are never in the passages.
    asked = analysis.expansion if analysis.english else analysis.text
    query_terms = [t for t in tokenize(asked) if t not in _GENERIC and not t.isdigit()]
    best_text = hits[0].chunk.search_text + " " + meta_text
    coverage = (sum(t in best_text for t in query_terms) / len(query_terms)) if query_terms else 1.0
    structural = bool(analysis.measures) and measure_match(analysis.measures, hits[0].chunk.measure) > 0
    if analysis.measures and not analysis.english and not any(
            measure_match(analysis.measures, h.chunk.measure) for h in top):
        return Evidence(False, 0.1, coverage, (), "the documents have no measure with that number")
    dense = hits[0].dense
    min_dense -= _ENGLISH_DENSE_MARGIN if analysis.english else 0.0
    confidence = round(max(0.0, min(1.0, (dense - min_dense) / (1 - min_dense))) * 0.5 + coverage * 0.5, 3)
    if missing:
        return Evidence(False, confidence * 0.3, coverage, tuple(missing),
                        f"the documents do not mention {', '.join(missing)}")
    # Cosine levels shift between corpora (right passages of a new document scored 0.85 where the bundled
    # corpus gives 0.88-0.93), so low similarity alone abstains only when the words do not match either.
    if dense < min_dense and coverage < _WORDS_OVERRIDE_DENSE and not structural:
        return Evidence(False, confidence, coverage, (), f"closest passage is not similar enough ({dense:.3f})")
    if coverage < min_coverage and not structural:
        return Evidence(False, confidence, coverage, (), f"passages cover {coverage:.0%} of the question's terms")
    return Evidence(True, confidence, coverage, (), "ok")
