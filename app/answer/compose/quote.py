"""The default shape: quote, verbatim, the sentences of the answering passages that carry the answer.

A sentence is chosen for the question's specific words it states and for holding the expected answer type
(a figure in the asked unit, a date, an organisation). Never a heading, a lead-in ("…履行以下职责：") or a
news headline alone: a lead-in brings the items after it, and a heading is no answer. A long sentence is cut
at its commas, but the clause with the asked figure or date keeps its neighbours that name what it is."""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title, where
from app.answer.judge import has_answer_type
from corpus.lang.numbering import ENUMERATION
from corpus.lang.orgs import UNIT_LABEL
from corpus.lang.sentences import announces_items, clauses, is_lead_in, looks_like_heading, sentences
from corpus.lang.text import normalize_for_search
from corpus.model import INTRO, LEAD
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import CONTENT, ITEMS, TASKS, TEXT, YESNO, QueryAnalysis

MAX_PARTS = 3  # sentences or clauses quoted from one passage
MAX_WHOLE = 8  # parts of a measure quoted whole (a measure asked for by number, or a list of items)
MAX_PASSAGES = 3


@dataclass(frozen=True)
class Quote:
    hit: Hit
    parts: tuple[str, ...]
    score: float


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split()).rstrip("。.;；:：")


def _parts(hit: Hit) -> list[str]:
    """The passage's sentences, long ones cut into clauses; the measure's own number and heading line, and the
    document's title line, dropped (a heading is not an answer)."""
    chunk = hit.chunk
    raw_title = heading_title(chunk)
    title = _compact(raw_title) if looks_like_heading(raw_title) else ""
    out = []
    for sentence in sentences(chunk.text):
        bare = _compact(sentence)
        if title and bare.endswith(title) and len(bare) - len(title) <= 8:
            continue  # "一是推动冶金产业转型升级：" or "(三)强化政策支持。": the heading itself
        if bare == _compact(chunk.title):
            continue  # the document's title line opening its preamble
        out.extend(clauses(sentence))
    return out or sentences(chunk.text)


def _score(analysis: QueryAnalysis, part: str) -> float:
    text = normalize_for_search(part)
    total = sum(t.weight for t in analysis.terms) or 1.0
    score = sum(t.weight for t in analysis.terms if t.stated_in(text)) / total
    if analysis.answer_type not in (TEXT, YESNO) and has_answer_type(analysis, part):
        score += 0.5
    if UNIT_LABEL.match(part.strip(" (（")):
        score -= 1.0  # a unit list is quoted by the units composer, not as a statement
    return score


def subtree(hit: Hit, store: IndexStore) -> list[Hit]:
    """The items under a measure ("第十七条" → its (一), (二) …), each a passage of its own."""
    prefix = hit.chunk.chunk_id.split("~")[0].removesuffix(".intro") + "."
    return [Hit(c, 0.0, 0.0, 0.0, 0) for c in store.chunks_of(hit.chunk.doc_id)
            if c.chunk_id.startswith(prefix) and c.piece == 1 and c.chunk_id != hit.chunk.chunk_id][:MAX_WHOLE]


def _brings_items(analysis: QueryAnalysis, hit: Hit) -> bool:
    """A measure asked for by number brings its items; so does a passage whose quote ends by announcing them
    ("…有下列情形之一的，其职务自行终止：")."""
    return bool(analysis.measures) or (hit.chunk.kind == INTRO and announces_items(hit.chunk.text))


def quote(analysis: QueryAnalysis, hit: Hit, whole: bool = False) -> Quote:
    parts = _parts(hit)
    enumerated = analysis.answer_type in (ITEMS, TASKS) and len(ENUMERATION.findall(hit.chunk.text)) >= 2
    if whole or enumerated or hit.chunk.kind == LEAD:
        return Quote(hit, tuple(parts[:MAX_WHOLE]), 1.0)
    scored = sorted(((_score(analysis, p), i) for i, p in enumerate(parts)), reverse=True)
    best = scored[0][0] if scored else 0.0
    keep = {i for s, i in scored[:MAX_PARTS] if s >= max(0.2, best * 0.7)}
    # "多少个项目?其中专项多少项?" asks for two figures: the best part holding each is kept. A figure asked in a
    # unit ("多少米") keeps every part stating one in it: "三十米范围内，其他区域距离一百米范围内" is one answer.
    typed = [i for _, i in scored if has_answer_type(analysis, parts[i])]
    keep |= set(typed[:MAX_PARTS if analysis.unit else min(analysis.asked, MAX_PARTS)])
    for i in sorted(keep):
        if is_lead_in(parts[i]):  # a lead-in quotes what it leads into
            keep |= set(range(i + 1, min(len(parts), i + 1 + MAX_PARTS)))
        elif len(parts[i]) <= 12 and i + 1 < len(parts):  # "到2025年，" names when; the next clause says what
            keep.add(i + 1)
    chosen = sorted(keep)
    picked = [("…" if j and i != chosen[j - 1] + 1 else "") + parts[i] for j, i in enumerate(chosen)]
    return Quote(hit, tuple(picked), best)


class QuoteComposer:
    name = "quote"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        whole = bool(analysis.measures) or analysis.answer_type == CONTENT
        quotes = [next((q for h in passages if (q := quote(analysis, h, whole)).parts),
                       quote(analysis, passages[0], whole))]
        first = passages.index(quotes[0].hit)
        # Its items too, each on its own line and cited.
        items = subtree(passages[first], store) if _brings_items(analysis, passages[first]) else []
        docs = {passages[first].chunk.doc_id}
        for hit in passages[first + 1:first + MAX_PASSAGES] if not items else ():
            q = quote(analysis, hit)
            # A runner-up is quoted when it answers as well: a second document in a comparison, the next
            # measure in a list.
            if q.parts and q.score >= quotes[0].score * (0.8 if hit.chunk.doc_id not in docs else 0.95):
                quotes.append(q)
                docs.add(hit.chunk.doc_id)
        lines = []
        for n, q in enumerate(quotes, 1):
            body = "".join(q.parts).rstrip("。；;,，:：") + "。"
            if analysis.english:
                lead = "According to" if n == 1 else "Also, according to"
                lines.append(f"{lead} {where(q.hit.chunk)}: “{body}”[{n}]")
            else:
                lines.append(f"{'根据' if n == 1 else '另据'}{where(q.hit.chunk)}：{body}[{n}]")
        # A measure asked for by number is quoted whole, its paragraphs too ("第十七条规定了什么?"); items a
        # quote merely announces are listed by their first sentence.
        item_lines = ["".join(sentences(h.chunk.text)[:MAX_WHOLE if analysis.measures else 1]) for h in items]
        lines += [f"{line}[{n}]" for n, line in enumerate(item_lines, len(quotes) + 1)]
        return Draft("\n".join(lines), tuple(q.hit for q in quotes) + tuple(items), self.name,
                     tuple("".join(q.parts) for q in quotes) + tuple(item_lines))
