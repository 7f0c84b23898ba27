"""Comparisons across documents, years or places ("包头和赤峰的产值目标", "两份文件在人才方面各提出了什么"): one
row per side, each the side's passage that states most of what is compared (its target when a figure is
asked), cited; a side whose documents state nothing of it says so instead of borrowing the other's row. With
nothing named to compare ("有什么不同"), each side's document is shown by its main sections."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title, where
from app.answer.compose.scope import places, sides
from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import figures
from corpus.lang.sentences import clauses, looks_like_heading, sentences
from corpus.lang.text import normalize_for_search
from corpus.lang.words import word_list
from corpus.model import INTRO, MEASURE, PREAMBLE, Chunk
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import CONTENT, FIGURE, ITEMS, QueryAnalysis

COMPARE = "compare"  # answer type (corpus/lang/data/answer_types.yaml)
MIN_SHARE = 0.5  # of the compared words' weight a row's passage must state; else the side "未提及"
ENGLISH_QUOTED = 10.0  # weight of Chinese words an English question quotes: as specific as a name
UNFIGURED = 0.8  # a sentence with no figure or year, against one that states the compared thing with one
MEASURE_FIRST = 0.05  # a measure's own sentence before its section's introduction, on equal wording


def _topic(analysis: QueryAnalysis, named: str) -> list[tuple[str, float]]:
    """The words that say what is compared: the question's specific words less places, years, single
    characters and the comparison's own wording (data/compare_words.txt); the most specific first."""
    wording = word_list("compare_words.txt")
    words = [(t.word, t.weight) for t in analysis.terms
             if len(t.word) > 1 and t.word not in named and not re.fullmatch(r"\d+年?", t.word)
             and t.word not in wording]
    if analysis.english:  # Chinese written into an English question ("specialised SMEs (专精特新)") is compared
        words += [(w, ENGLISH_QUOTED) for w in re.findall(r"[\u4e00-\u9fff]{2,}", analysis.original)]
    return sorted(words, key=lambda w: -w[1])


def _share(topic: list[tuple[str, float]], text: str) -> float:
    """Share of the topic's weight `text` states."""
    folded = normalize_for_search(text)
    return sum(w for word, w in topic if word in folded) / sum(w for _, w in topic)


def _best(chunks: list[Chunk], topic: list[tuple[str, float]], figure: bool) -> tuple[Chunk, str] | None:
    """The sentence stating most of the topic's weight (with its measure's heading), with a figure or year (what
    a comparison sets side by side; only such a sentence when a figure is asked), a measure whose own heading
    names the topic before the introduction of its section; None below MIN_SHARE."""
    best, best_score = None, 0.0
    for chunk in chunks:
        if chunk.kind not in (MEASURE, INTRO, PREAMBLE):
            continue
        # Its own heading only: a section's heading naming the topic says nothing of each measure under it.
        own = chunk.heading_path[-1] if chunk.heading_path else ""
        heading = _share(topic, own) + (MEASURE_FIRST if chunk.kind == MEASURE else 0.0)
        for part in (c for s in sentences(chunk.text) for c in clauses(s)):
            if looks_like_heading(strip_marker(part)) or strip_marker(part).rstrip("。") == strip_marker(own):
                continue  # a heading is no answer
            score = _share(topic, f"{own} {part}") + 0.1 * heading
            if not figures(part):
                score *= 0.5 if figure else UNFIGURED
            if score > best_score:
                best, best_score = (chunk, part), score
    return best if best_score >= MIN_SHARE else None


class CompareComposer:
    name = "compare"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        found = sides(analysis, store)
        # A comparison asks for something the documents state (a figure, items, what they say); "who issued A
        # and B", "when was it adopted" are the records' to answer.
        if not found or analysis.doc_facts or analysis.answer_type not in (COMPARE, FIGURE, ITEMS, CONTENT):
            return None
        topic = _topic(analysis, "".join(places(analysis, store)) + "".join(label for label, _ in found))
        lines, cited, quotes = ["对比如下："], [], []
        rows = []
        for label, docs in found:
            if re.fullmatch(r"\d{4}年", label) and len(docs) == 1:  # a year is shown as the document it names,
                label = f"《{store.document(docs[0]).meta.title}》"  # so every figure is the passages' own
            if not topic:  # "有什么不同": what each document is about, by its sections
                for doc_id in docs:
                    chunk = store.chunks_of(doc_id)[0]
                    heads = list(dict.fromkeys(c.heading_path[0] for c in store.chunks_of(doc_id)
                                               if c.kind in (MEASURE, INTRO) and len(c.heading_path) > 1))
                    cited.append(Hit(chunk, 0.0, 0.0, 0.0, 0))
                    said = "；".join(heads[:8]) or "（未分章节）"
                    lines.append(f"{label}[{len(cited)}]，主要部分：{said}")
                    quotes.append(said)
                continue
            best = _best([c for d in docs for c in store.chunks_of(d)], topic, analysis.answer_type == FIGURE)
            if best is None:  # cited all the same: the reader sees which document says nothing of it
                cited.append(Hit(store.chunks_of(docs[0])[0], 0.0, 0.0, 0.0, 0))
                titles = "、".join(f"《{store.document(d).meta.title}》" for d in docs)
                lines.append(f"{label}未提及[{len(cited)}]。" if label == titles else
                             f"{label}：{titles}未提及[{len(cited)}]。")
                rows.append(None)
                continue
            chunk, part = best
            hit = Hit(chunk, 0.0, 0.0, 0.0, 0)
            cited.append(hit)
            rows.append((hit, f"{label}：{part}"))
            named = where(chunk).removeprefix(label) or heading_title(chunk)  # an untitled section's heading
            lines.append(f"{label}：据{named}，{part}[{len(cited)}]" if named else f"{label}：{part}[{len(cited)}]")
            quotes.append(part)
        if topic and not any(rows):
            return None  # neither side states it: not a comparison the documents answer
        if not topic and len(cited) > 2 * len(found) + 2:
            return None  # a side of many documents: too broad to compare by sections
        items = tuple(r for r in rows if r)
        return Draft("\n".join(lines), tuple(cited), self.name, tuple(quotes), items)
