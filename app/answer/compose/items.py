"""The items of a section, gathered when they are separate chunks: the question asks for items ("有哪些",
"包括哪些") and the answering passage is the section's introduction, or one of its items while the question
names the section's heading. Items come in document order, each cited; an item the document does not number
is not invented."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title, where
from corpus.errors import ChunkNotFound
from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import quantities
from corpus.lang.sentences import announces_items, looks_like_heading, sentences
from corpus.lang.text import normalize_for_search
from corpus.model import INTRO, MEASURE, Chunk
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import CONTENT, ITEMS, TASKS, TEXT, QueryAnalysis

MAX_ITEMS = 12
MAX_OWN = 4  # sentences of the section's own text


def _children(store: IndexStore, doc_id: str, prefix: str) -> list[Chunk]:
    depth = prefix.count(".")
    return [c for c in store.chunks_of(doc_id) if c.chunk_id.startswith(prefix) and c.kind in (MEASURE, INTRO)
            and c.piece == 1 and c.chunk_id.removesuffix(".intro").count(".") == depth]


def _names_heading(analysis: QueryAnalysis, heading: str) -> bool:
    """The question names this heading: quotes its title ("基本原则有哪些"), or its most specific word is in it."""
    title = normalize_for_search(strip_marker(heading)).replace(" ", "")
    if title and title in normalize_for_search(analysis.original).replace(" ", ""):
        return True
    if not analysis.terms or not heading:
        return False
    top = max(analysis.terms, key=lambda t: t.weight)
    return top.stated_in(normalize_for_search(heading))


def _parent_prefix(chunk: Chunk) -> str:
    return chunk.chunk_id.split("~")[0].rsplit(".", 1)[0] + "."


def children(store: IndexStore, intro: Chunk) -> list[Chunk]:
    """The items under a section introduction ("第十七条…下列情形：" → its (一), (二) …)."""
    return _children(store, intro.doc_id, intro.chunk_id.removesuffix(".intro") + ".")


def announcing_parent(store: IndexStore, chunk: Chunk) -> Chunk | None:
    """The introduction of the list this item belongs to, when it announces the list ("…下列行为：")."""
    if chunk.kind != MEASURE or "." not in chunk.chunk_id.split("~")[0]:
        return None
    try:
        parent = store.chunk(_parent_prefix(chunk) + "intro")
    except ChunkNotFound:
        return None
    return parent if announces_items(parent.text) else None


def section_items(analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> tuple[Hit, list[Chunk]] | None:
    """(the passage that stands for the section, its items) or None: the items of a section introduction
    among the top passages; else all the items of the list the best passage is an item of, when its
    introduction announces them; else the siblings of an item when the question names their section's
    heading."""
    top = passages[:3]
    for hit in top:
        if hit.chunk.kind == INTRO:
            items = children(store, hit.chunk)
            if len(items) >= 2:
                return hit, items
    best = passages[0] if passages else None
    parent = announcing_parent(store, best.chunk) if best else None
    if best and parent is not None and len(items := children(store, parent)) >= 2:
        return Hit(parent, best.score, best.dense, best.bm25, best.rank), items
    for hit in top if analysis.answer_type == ITEMS else ():  # "X负责哪些工作" names a unit, not a section
        if len(hit.chunk.heading_path) >= 2 and _names_heading(analysis, hit.chunk.heading_path[-2]):
            items = _children(store, hit.chunk.doc_id, _parent_prefix(hit.chunk))
            if len(items) >= 2:
                return hit, items
    return None


def item_line(chunk: Chunk) -> str:
    """An item as its list shows it: "24.强化政策支持" (its own number and title), or its first sentence as the
    document numbers it ("（一）未按规定公示收支情况的；")."""
    label = re.sub(r"^.*、(?=.)", "", chunk.measure.split(" ")[-1])  # "二、(三)" → "(三)"
    title = heading_title(chunk)
    first = sentences(chunk.text)[0] if sentences(chunk.text) else chunk.text
    if strip_marker(first) != first:  # the text shows its own number: as the document writes it
        return first
    return f"{label}{title}" if title and looks_like_heading(title, 20) and not quantities(title) else f"{label}{first}"


class ItemsComposer:
    name = "items"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        # "基金的钱从哪里来?" asks no list, but a passage that only announces one ("来源如下：") is answered by it.
        announced = bool(passages) and passages[0].chunk.kind == INTRO and announces_items(passages[0].chunk.text) \
            and not analysis.measures  # "第四十二条讲的是什么" asks for that article, not a list beside it
        if analysis.answer_type not in (ITEMS, TASKS) and not (analysis.answer_type in (TEXT, CONTENT) and announced):
            return None
        found = section_items(analysis, passages, store)
        if found is None:
            return None
        section, items = found
        shown = items[:MAX_ITEMS]
        cited = [Hit(c, 0.0, 0.0, 0.0, 0) for c in shown]
        # No count in the text: a number the passages do not state would not pass verification.
        head = section.chunk if section.chunk.kind == INTRO else None
        name = where(head) if head else f"《{section.chunk.title}》"
        # The section's own sentences come first: items it states before its numbered ones are items too.
        own = "".join(sentences(head.text)[:MAX_OWN]) if head else ""
        lines = [f"{name}：{own}" if own else f"{name}{'包括：' if not analysis.english else ' lists:'}"]
        quotes = [own] if own else []
        if head:
            cited.insert(0, section)
            lines[0] += "[1]"
        for n, c in enumerate(shown, 2 if head else 1):
            line = item_line(c)
            quotes.append(line)
            lines.append(f"{line}[{n}]")
        counted = ()
        if len(items) > len(shown):
            counted = (f"共{len(items)}项",)  # the number of items the answer returns in `items`
            lines.append(f"……共{len(items)}项，以上为前几项，其余见原文或回答的 items 字段。"
                         if not analysis.english else f"… {len(items)} items in all; the rest in `items`.")
        every = tuple((Hit(c, 0.0, 0.0, 0.0, 0), item_line(c)) for c in items)
        return Draft("\n".join(lines), tuple(cited), self.name, tuple(quotes), every, counted)
