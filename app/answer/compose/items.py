"""List answers: the question asks for items ("有哪些", "包括哪些") and the lists the top passages belong to or
hold compete by what of the question their heading or sentence states — a section's items (separate chunks,
under an introduction or a heading), a list written inline in one sentence ("重点发展A、B、C"), or after a lead-in
without numbers ("应当承担以下责任：A；B；C。") — and, for a topic the documents give a section to, each named
document's section about it. Items come in document order, each cited; an item the document does not number
is not invented."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import jieba.posseg as pseg

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title, where
from app.answer.compose.scope import named_documents
from corpus.errors import ChunkNotFound
from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import quantities
from corpus.lang.orgs import UNIT_LABEL
from corpus.lang.sentences import announces_items, inline_members, is_lead_in, looks_like_heading, sentences
from corpus.lang.text import normalize_for_search
from corpus.model import INTRO, MEASURE, Chunk
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import CONTENT, ITEMS, TASKS, TEXT, QueryAnalysis

MAX_ITEMS = 12
MAX_OWN = 4  # sentences of the section's own text
TOP = 3  # passages whose lists compete
NOUN_BONUS = 0.3  # a list whose heading names what the question asks a list of
MEMBER_BONUS = 0.05  # per further top passage that is an item of the same list
MIN_LISTING = 0.4  # share of the question a list's heading or sentence must state to answer it
ASKED_NOUN = re.compile(r"(哪些|哪几(?:个方面|[种类个项条位家])?|什么)(?:类型的|种类的|方面的|样的)?([^?？，,。!！]*)")
NEAR = 0.9  # enumerations of one passage scoring this share of its best are quoted with it
INLINE_WEIGHT = 0.8  # an inline enumeration against a numbered list: the document's own structure is surer


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


@dataclass(frozen=True)
class Listing:
    """A list that may answer the question: a section's items (separate chunks), or one sentence's inline
    enumeration ("重点发展A、B、C"); scored by what of the question its heading or sentence states."""
    score: float
    hit: Hit  # the section's introduction, or the passage that stands for it
    items: tuple[Chunk, ...] = ()
    sentence: str = ""  # a list written in a passage's own words (inline, or after a lead-in): what is quoted
    members: tuple[str, ...] = ()


def _stated(analysis: QueryAnalysis, text: str) -> float:
    """IDF-weighted share of the question's specific words `text` states."""
    folded = normalize_for_search(text)
    total = sum(t.weight for t in analysis.terms)
    return sum(t.weight for t in analysis.terms if t.stated_in(folded)) / total if total else 0.0


def asked_nouns(analysis: QueryAnalysis) -> tuple[str, ...]:
    """What the question asks a list of: the first and last nouns after its asking word, or its classifier
    ("哪几种方式" → 方式, "哪些类型的永磁电机" → 永磁电机, "分为哪几类" → 类); a list whose heading names it is the one
    asked."""
    found = ASKED_NOUN.search(normalize_for_search(analysis.original))
    if not found:
        return ()
    words = [w.word for w in pseg.lcut(found.group(2)) if w.flag.startswith("n")]
    classifier = found.group(1)[-1:] if found.group(1)[-1:] in "类种面" else ""
    return tuple(dict.fromkeys(w for w in (words[:1] + words[-1:] + [classifier]) if w and w not in "的"))


def _noun_bonus(nouns: tuple[str, ...], text: str) -> float:
    folded = normalize_for_search(text)
    return NOUN_BONUS if any(n in folded for n in nouns) else 0.0


def topic_sections(analysis: QueryAnalysis, store: IndexStore, doc_ids: list[str]) -> list[Listing]:
    """Each document's section that its heading and its items' titles show to be about what the question asks
    ("有哪些支持稀土产业的措施" → the section whose heading and items name 稀土), best first; a section that does not
    state the question's most specific word is not about it."""
    nouns = asked_nouns(analysis)
    top = max(analysis.terms, key=lambda t: t.weight, default=None)
    found = []
    for doc_id in doc_ids:
        prefixes = dict.fromkeys(_parent_prefix(c) for c in store.chunks_of(doc_id)
                                 if c.kind == MEASURE and "." in c.chunk_id.split("~")[0])
        best = None
        for prefix in prefixes:
            items = _children(store, doc_id, prefix)
            if len(items) < 2:
                continue
            try:
                stand = store.chunk(prefix + "intro")
                head = (sentences(stand.text) or [""])[0]
            except ChunkNotFound:
                stand, head = items[0], items[0].heading_path[-2] if len(items[0].heading_path) >= 2 else ""
            about = " ".join([head, *(heading_title(c) for c in items)])
            if top is None or not top.stated_in(normalize_for_search(about)):
                continue
            listing = Listing(_stated(analysis, about) + _noun_bonus(nouns, about), Hit(stand, 0.0, 0.0, 0.0, 0),
                              tuple(items))
            best = listing if best is None or listing.score > best.score else best
        if best is not None:
            found.append(best)
    return sorted(found, key=lambda f: -f.score)


def _enumerations(analysis: QueryAnalysis, chunk: Chunk, nouns: tuple[str, ...]) -> list[tuple[float, str, list[str]]]:
    """(score, the words quoted, the members) of each list a passage writes without numbering its items: a
    sentence's inline enumeration ("重点发展A、B、C"), or the sentences after a lead-in ("应当承担以下责任：A；B；C。"),
    scored by what of the question the passage's heading and the list's sentence (or lead-in) state."""
    # A lead-in's colon ends it ("…以下责任：A；B；"): the items may follow on the same line.
    parts = [p for s in sentences(chunk.text) for p in re.split(r"(?<=[：:])", s)
             if p.strip() and not UNIT_LABEL.match(p.strip(" (（"))]  # a unit note: no item
    out = []
    for i, sentence in enumerate(parts):
        lead_in = is_lead_in(sentence) and len(parts) - i > 2
        named = parts[i + 1:] if lead_in else inline_members(sentence)
        if not named:
            continue
        context = " ".join(chunk.heading_path[-1:]) + sentence
        score = INLINE_WEIGHT * _stated(analysis, context) + _noun_bonus(nouns, context)
        out.append((score, "".join(parts[i:]) if lead_in else sentence, named))
        if lead_in:
            break  # the rest of the passage is its items
    return out


def listings(analysis: QueryAnalysis, passages: list[Hit], store: IndexStore, *, inline: bool) -> list[Listing]:
    """Every list the top passages belong to or hold, best first: the items under an introduction, an item's
    siblings (its list named by the parent's introduction or heading), and (`inline`) a sentence's inline
    enumeration. A list more top passages belong to is likelier the one asked."""
    nouns = asked_nouns(analysis)
    found: dict[str, Listing] = {}
    members: dict[str, int] = {}
    for hit in passages[:TOP]:
        chunk = hit.chunk
        if chunk.kind == INTRO:
            key, stand, head = chunk.chunk_id.removesuffix(".intro") + ".", hit, chunk.text
        elif chunk.kind == MEASURE and "." in chunk.chunk_id.split("~")[0]:
            key = _parent_prefix(chunk)
            members[key] = members.get(key, 0) + 1
            try:
                intro = store.chunk(key + "intro")
                stand, head = Hit(intro, 0.0, 0.0, 0.0, 0), intro.text
            except ChunkNotFound:  # no introduction: the parent's heading names the list
                stand, head = hit, chunk.heading_path[-2] if len(chunk.heading_path) >= 2 else ""
        else:
            key = ""
        if key and key not in found and len(items := _children(store, chunk.doc_id, key)) >= 2:
            found[key] = Listing(_stated(analysis, head) + _noun_bonus(nouns, head), stand, tuple(items))
        enumerations = _enumerations(analysis, chunk, nouns) if inline else []
        if enumerations and chunk.chunk_id not in found:
            # Every enumeration of the passage that answers about as well: "强化…机制。同时对A、B、C…进行重点培育。"
            top = max(score for score, _, _ in enumerations)
            kept = [(sentence, named) for score, sentence, named in enumerations if score >= NEAR * top]
            found[chunk.chunk_id] = Listing(top, hit, sentence="".join(s for s, _ in kept),
                                            members=tuple(m for _, named in kept for m in named))
    return sorted((replace(f, score=f.score + MEMBER_BONUS * max(0, members.get(k, 0) - 1)) for k, f in found.items()),
                  key=lambda f: -f.score)


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
        if not passages:
            return None
        if analysis.answer_type == TASKS:
            found = section_items(analysis, passages, store)
            return self._sections(analysis, [found]) if found else None
        if analysis.answer_type == ITEMS:
            return self._items(analysis, passages, store)
        if analysis.answer_type in (TEXT, CONTENT) and not analysis.measures:
            # "基金的钱从哪里来?" asks no list, but when the best passage announces one ("来源如下：") or is an item
            # of one, the list answers it: the announced list that states most of the question.
            first = passages[0].chunk
            if not (first.kind == INTRO and announces_items(first.text)) and announcing_parent(store, first) is None:
                return None
            announced = [f for f in listings(analysis, passages, store, inline=False)
                         if f.hit.chunk.kind == INTRO and announces_items(f.hit.chunk.text)]
            return self._sections(analysis, [(announced[0].hit, list(announced[0].items))]) if announced else None
        return None  # "第四十二条讲的是什么" asks for that article, not a list beside it

    def _items(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        """The list that states most of the question: one of the passages' lists, or, when the question names
        a topic the documents give a section to, that section in each document that has one."""
        docs = list(dict.fromkeys([*named_documents(analysis, passages, store), passages[0].chunk.doc_id]))
        sections = topic_sections(analysis, store, docs)
        found = listings(analysis, passages, store, inline=True)
        best = max(found[:1] + sections[:1], key=lambda f: f.score, default=None)
        if best is None or best.score < MIN_LISTING:
            found_items = section_items(analysis, passages, store)
            return self._sections(analysis, [found_items]) if found_items else None
        if best.sentence:
            return self._inline(analysis, best)
        # A section about the question in another document answers too: "包头市有哪些支持稀土产业的措施" is each
        # of the city's documents' rare-earth section.
        others = [f for f in sections if f.score >= MIN_LISTING and f.hit.chunk.doc_id != best.hit.chunk.doc_id]
        return self._sections(analysis, [(f.hit, list(f.items)) for f in [best, *others]])

    def _sections(self, analysis: QueryAnalysis, found: list[tuple[Hit, list[Chunk]]]) -> Draft:
        lines: list[str] = []
        cited: list[Hit] = []
        quotes: list[str] = []
        counted: list[str] = []
        every: list[tuple[Hit, str]] = []
        for section, items in found:
            shown = items[:MAX_ITEMS]
            # No count in the text: a number the passages do not state would not pass verification.
            head = section.chunk if section.chunk.kind == INTRO else None
            # No introduction: the section is named by its heading, which its items' paths carry.
            heading = items[0].heading_path[-2] if not head and items and len(items[0].heading_path) >= 2 else ""
            name = where(head) if head else f"《{section.chunk.title}》{heading}"
            # The section's own sentences come first: items it states before its numbered ones are items too.
            own = "".join(sentences(head.text)[:MAX_OWN]) if head else ""
            lines.append(f"{name}：{own}" if own else f"{name}{'包括：' if not analysis.english else ' lists:'}")
            quotes += [own] if own else []
            if head:
                cited.append(section)
                lines[-1] += f"[{len(cited)}]"
            for c in shown:
                line = item_line(c)
                quotes.append(line)
                cited.append(Hit(c, 0.0, 0.0, 0.0, 0))
                lines.append(f"{line}[{len(cited)}]")
            if len(items) > len(shown):
                counted.append(f"共{len(items)}项")  # the number of items the answer returns in `items`
                lines.append(f"……共{len(items)}项，以上为前几项，其余见原文或回答的 items 字段。"
                             if not analysis.english else f"… {len(items)} items in all; the rest in `items`.")
            every += [(Hit(c, 0.0, 0.0, 0.0, 0), item_line(c)) for c in items]
        return Draft("\n".join(lines), tuple(cited), self.name, tuple(quotes), tuple(every), tuple(counted))

    def _inline(self, analysis: QueryAnalysis, listing: Listing) -> Draft:
        """One sentence's inline enumeration, quoted whole (its members are the items)."""
        chunk = listing.hit.chunk
        text = (f"According to {where(chunk)}: “{listing.sentence}”[1]" if analysis.english
                else f"根据{where(chunk)}：{listing.sentence}[1]")
        return Draft(text, (listing.hit,), self.name, (listing.sentence,),
                     tuple((listing.hit, m) for m in listing.members))
