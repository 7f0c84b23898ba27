"""The default composer: quote the sentences of the top passages that answer the question, verbatim,
each marked with its citation. Needs no language model, so it cannot invent a number."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.intent import Intent
from corpus.grounding import bigrams
from corpus.model import INTRO, LEAD, PREAMBLE, Chunk
from corpus.numbers import quantities
from corpus.units import LEAD_LABEL, RESPONSIBLE_LABEL
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis

_SENTENCE = re.compile(r"[^。；;!?！？\n]+[。；;!?！？]?")
_TARGET_VERB = re.compile(r"达到|達到|突破|增长|增長|超过|超過|以上|左右|不低于|不低於|提升到|形成|建成|新增|培育")
_DATE_OR_NUMBER = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|〔\d{4}〕\d+号|\[\d{4}\]\d+号")
# A unit assignment, in parentheses or on a line of its own ("牵头单位：…").
_UNITS_GROUP = re.compile(r"[(（]?(?:牵头|牽頭|责任|責任|主责|配合)(?:单位|單位|部门|部門|[:：(（])")
_SECTION_NAMES = {INTRO: "引言", PREAMBLE: "前言", LEAD: "导语"}
MAX_SENTENCES = 3


@dataclass(frozen=True)
class Quote:
    hit: Hit
    sentences: list[str]
    score: float


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def clauses(sentence: str) -> list[str]:
    """A long sentence cut at its commas: scraped texts often write one 300-character sentence per measure."""
    if len(sentence) <= 80:
        return [sentence]
    return [c for c in re.findall(r"[^,，]+[,，]?", sentence) if c.strip(",， ")]


def _score(text: str, query_grams: set[tuple[str, str]], intent: Intent) -> float:
    grams = bigrams(text)
    score = len(grams & query_grams) / max(1, len(query_grams))
    if intent.number and quantities(text):
        score += 0.3 + 0.2 * bool(_TARGET_VERB.search(text))
    if intent.metadata and _DATE_OR_NUMBER.search(text):
        score += 0.6
    if _UNITS_GROUP.match(text) and not (intent.lead_unit or intent.responsible_unit):
        score -= 1.0  # the unit list is quoted on its own when asked for, not as a target sentence
    return score


def _quote(hit: Hit, query_grams: set[tuple[str, str]], intent: Intent, whole: bool) -> Quote:
    if whole:
        return Quote(hit, sentences(hit.chunk.text)[:MAX_SENTENCES + 1], 1.0)
    parts = [c for s in sentences(hit.chunk.text) for c in clauses(s)]
    scored = sorted(((_score(p, query_grams, intent), i) for i, p in enumerate(parts)), reverse=True)
    best = scored[0][0] if scored else 0.0
    keep = sorted(i for s, i in scored[:MAX_SENTENCES] if s >= max(0.25, best * 0.7))
    picked: list[str] = []
    for j, i in enumerate(keep):
        gap = j > 0 and i != keep[j - 1] + 1
        picked.append(("…" if gap else "") + parts[i])
    return Quote(hit, picked, best)


def measure_name(chunk: Chunk) -> str:
    """"24.强化政策支持" when the measure has a heading, else its number path."""
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    last = chunk.measure.split(" ")[-1] if chunk.measure else ""
    name = heading[len(last):]
    # A title is short, without clauses or figures; anything else is an untitled article's own sentence.
    if last and heading.startswith(last) and len(name) <= 20 and not re.search(r"[，,；;。(（]", name) \
            and not quantities(name):
        return chunk.measure[: len(chunk.measure) - len(last)] + heading
    return chunk.measure


def where(chunk: Chunk) -> str:
    """"《title》24.强化政策支持" — the document and the measure as readers cite them."""
    if chunk.kind == INTRO and chunk.measure == "引言":
        return f"《{chunk.title}》的一段引言"  # its heading is lost; quoting a cut-off heading would misquote
    if chunk.kind in _SECTION_NAMES and chunk.kind != INTRO:
        return f"《{chunk.title}》{_SECTION_NAMES[chunk.kind]}"
    return f"《{chunk.title}》{measure_name(chunk)}"


def _units_sentence(chunk: Chunk, intent: Intent) -> str | None:
    """The unit lists under the passage's own labels (配合单位 stays 配合单位)."""
    parts = []
    for units, wanted, pattern, default in (
            (chunk.lead_units, intent.lead_unit or not intent.responsible_unit, LEAD_LABEL, "牵头单位"),
            (chunk.responsible_units, intent.responsible_unit or not chunk.lead_units, RESPONSIBLE_LABEL, "责任单位")):
        if units and wanted:
            label = pattern.search(chunk.text)
            parts.append(f"{label.group(0) if label else default}：" + "、".join(units))
    return "；".join(parts) if parts else None


def select_quotes(analysis: QueryAnalysis, intent: Intent, hits: list[Hit], max_citations: int = 3) -> list[Quote]:
    """Quotes from the top passage, plus from close runners-up that add an answer of their own
    (a second document in a comparison question, the next measure in a list)."""
    terms = bigrams(analysis.expansion if analysis.english else analysis.text)
    whole = bool(analysis.measures) or intent.lookup
    first = _quote(hits[0], terms, intent, whole)
    if not first.sentences:  # the top passage is quoted from its start rather than as an empty "：。"
        first = Quote(hits[0], sentences(hits[0].chunk.text)[:MAX_SENTENCES], first.score)
    quotes = [first]
    top_docs = {hits[0].chunk.doc_id}
    for hit in hits[1:]:
        if len(quotes) >= max_citations:
            break
        quote = _quote(hit, terms, intent, whole=False)
        new_doc = hit.chunk.doc_id not in top_docs
        close = hit.score >= hits[0].score * (0.8 if new_doc else 0.9)
        if close and quote.score >= quotes[0].score * 0.8 and quote.sentences:
            quotes.append(quote)
            top_docs.add(hit.chunk.doc_id)
    best = max(q.score for q in quotes)
    # The passage whose sentences answer best leads, whatever its retrieval rank.
    return sorted((q for q in quotes if q.score >= best * 0.8), key=lambda q: -q.score)


def compose(analysis: QueryAnalysis, intent: Intent, hits: list[Hit]) -> tuple[str, list[Hit]]:
    """(answer text with [n] markers, the hits cited in order)."""
    if intent.lead_unit or intent.responsible_unit:
        with_units = [h for h in hits[:3] if h.chunk.lead_units or h.chunk.responsible_units]
        if with_units:
            hit = with_units[0]
            units = _units_sentence(hit.chunk, intent)
            lead = "The passage names these units: " if analysis.english else ""
            return f"{lead}根据{where(hit.chunk)}，{units}[1]。", [hit]
    quotes = select_quotes(analysis, intent, hits)
    lines = []
    for n, quote in enumerate(quotes, 1):
        body = "".join(quote.sentences).rstrip("。；;,，") + "。"
        prefix = "根据" if n == 1 else "另据"
        if analysis.english:
            prefix = "According to" if n == 1 else "Also, according to"
            lines.append(f"{prefix} {where(quote.hit.chunk)}: “{body}”[{n}]")
        else:
            lines.append(f"{prefix}{where(quote.hit.chunk)}：{body}[{n}]")
    return "\n".join(lines), [q.hit for q in quotes]
