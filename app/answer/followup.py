"""Follow-up resolution: a question that leans on the conversation ("牵头单位呢?", "第二条呢?", "这份文件的文号?",
"What about Hohhot?") becomes a standalone question, written from what the previous answers were about (their
document, measure and units) and the previous question; a question that stands alone inherits nothing.
Deterministic; the wording it reads is data (corpus/lang/data/followup.yaml). When it cannot tell what a
question refers to, it returns a short question back instead of a guess."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import jieba
import yaml
from pypinyin import lazy_pinyin

from app.answer.model import Thread
from corpus.errors import ChunkNotFound
from corpus.lang.numbering import measure_match, measure_path, strip_marker
from corpus.lang.places import division_codes, short_name
from corpus.lang.text import normalize_for_search, normalize_width
from corpus.lang.words import DATA, word_list
from corpus.model import INTRO, MEASURE, Chunk
from index.store import IndexStore
from retriever.query import ORGANISATION, TASKS, QueryAnalysis, document_keys, matches_doc_number, names_document

STANDALONE, CLARIFY = "standalone", "clarify"
# The forms a follow-up takes, as the API reports them.
MEASURE_FORM, DOCUMENT_FORM, UNIT_FORM, ASPECT_FORM = "measure", "document", "unit", "aspect"
NEXT_FORM, PLACE_FORM, YEAR_FORM, SUBJECT_FORM = "next_measure", "place", "year", "subject"

NEEDS_CONTEXT = "这个问题承接上文，但没有可承接的对话：请说明您问的是哪份文件、哪项措施或哪个单位。"
NEEDS_CONTEXT_EN = "This question refers to an earlier one, but there is none: please name the document or measure."


@dataclass(frozen=True)
class Resolution:
    question: str  # the standalone question to answer (the question itself when it stands alone)
    form: str  # STANDALONE, CLARIFY or the follow-up form
    doc_ids: tuple[str, ...] = ()  # the conversation's documents the answer is kept to
    clarify: str = ""  # the question back, when form is CLARIFY
    shown: str = ""  # the question as shown and returned, when it names more than what is searched

    @property
    def display(self) -> str:
        return self.shown or self.question

    @property
    def inherited(self) -> bool:
        return self.form not in (STANDALONE, CLARIFY)


@dataclass(frozen=True)
class _Subject:
    """A measure as a resolved question names it. The answer is searched with its name inside its document
    (kept there by a filter: a title's many words would outweigh the measure's few); the question shown and
    returned names the document too."""

    title: str  # 《…》, or "" when no measure was cited
    name: str  # "24.强化政策支持", or the previous question's subject
    doc_ids: tuple[str, ...]

    def ask(self, form: str, write: Callable[[str], str]) -> Resolution:
        searched = write(self.name or self.title)
        return Resolution(searched, form, self.doc_ids, shown=write(f"{self.title}{self.name}"))


@dataclass(frozen=True)
class _Rules:
    measure_pronoun: re.Pattern[str]
    document_pronoun: re.Pattern[str]
    unit_pronoun: re.Pattern[str]
    next_measure: re.Pattern[str]
    previous_measure: re.Pattern[str]
    other_places: re.Pattern[str]
    ellipsis_open: re.Pattern[str]
    ellipsis_close: re.Pattern[str]
    aspect: frozenset[str]


@lru_cache(maxsize=1)
def rules() -> _Rules:
    data = yaml.safe_load((DATA / "followup.yaml").read_text(encoding="utf-8"))
    patterns = {k: re.compile(v, re.IGNORECASE) for k, v in data.items() if isinstance(v, str)}
    return _Rules(**patterns, aspect=frozenset(data["aspect_words"]) | frozenset(data["aspect_words_en"]))


def _fold(text: str) -> str:
    return normalize_for_search(normalize_width(text)).lower()


def _words(text: str) -> list[str]:
    return [w for w in jieba.cut(text) if re.search(r"[\u4e00-\u9fffa-z0-9]", w.lower())]


def _subject_words(text: str, analysis: QueryAnalysis) -> list[str]:
    """The question's words that say what it is about: not what is asked, not a place, year, measure number
    or stop word."""
    stop, aspect = word_list("stopwords.txt"), rules().aspect
    places = set(analysis.places) | {"".join(lazy_pinyin(p)) for p in analysis.places}  # "Hohhot" too
    # Aspect phrases are cut out before segmenting: jieba splits some (发文字号 → 发/文字/号).
    residual = _aspect_phrases().sub(" ", _fold(text))
    return [w for w in _words(residual) if w not in aspect and w not in stop and w not in places
            and not re.fullmatch(r"[a-z]|'s", w)
            and not re.fullmatch(r"\d+年?|第?[一二三四五六七八九十\d]+[条项点款]?", w)]


@lru_cache(maxsize=1)
def _aspect_phrases() -> re.Pattern[str]:
    phrases = sorted((w for w in rules().aspect if len(w) >= 2), key=len, reverse=True)
    return re.compile("|".join(rf"\b{re.escape(p)}\b" if p.isascii() else re.escape(p) for p in phrases))


def _tidy(text: str) -> str:
    """Without a leading 的 or comma and without the closing question mark."""
    return re.sub(r"^[\s的,，、]+|[\s?？。]+$", "", text)


def _unwrapped(text: str) -> str:
    """The question inside its elliptical opening and ending: "那广州的呢?" → "广州"."""
    r = rules()
    return _tidy(r.ellipsis_close.sub("", r.ellipsis_open.sub("", text, count=1)))


def _ask(text: str) -> str:
    return f"{_tidy(text)}?" if text.strip() else ""


def _aspect_split(question: str) -> tuple[str, str]:
    """(subject, aspect) of a question: the aspect is the longest tail made of aspect and stop words
    ("包头稀土产业 | 产值要达到多少?")."""
    aspect, stop = rules().aspect, word_list("stopwords.txt")
    tokens = list(jieba.cut(question))
    cut = len(tokens)
    while cut > 0:
        word = _fold(tokens[cut - 1]).strip()
        if word and re.search(r"[\u4e00-\u9fffa-z0-9]", word) and word not in aspect and word not in stop:
            break
        cut -= 1
    head, tail = "".join(tokens[:cut]), "".join(tokens[cut:])
    return _tidy(head), _tidy(tail)


def _bare(question: str) -> str:
    """The previous question without the document and measure its resolution named (they belong to one
    document; a question about another place or year must not carry them)."""
    text = re.sub(r"《[^》]*》", "", question).strip()
    while (stripped := strip_marker(text).strip()) != text:
        text = stripped
    return text


class Resolver:
    """Resolves follow-ups against one index (its documents, measures and units)."""

    def __init__(self, store: IndexStore, analyse: Callable[[str], QueryAnalysis]) -> None:
        self.store = store
        self._analyse = analyse
        self._analyses: dict[str, QueryAnalysis] = {}

    def analyse(self, text: str) -> QueryAnalysis:
        """The query analysis, once per text and request (the previous question is read by several forms)."""
        if text not in self._analyses:
            self._analyses[text] = self._analyse(text)
        return self._analyses[text]

    # --- the conversation's state ---------------------------------------------------------------------

    def thread(self, history: Sequence[tuple[str, str]], context: Thread | None) -> Thread:
        """The state to resolve against: the context the client sent back, else the user turns of `history`
        resolved one after the other (text only: without a context the measures are not known)."""
        if context is not None and (context.question or context.doc_ids or context.chunk_ids):
            known = tuple(c for c in context.chunk_ids if self._has_chunk(c))
            docs = tuple(d for d in context.doc_ids if d in self.store.documents)
            return Thread(context.question, docs, known)
        state = Thread()
        for role, content in history:
            if role == "user" and content.strip():
                r = self.resolve(content, state)
                if r.form != CLARIFY:
                    state = Thread(r.display, r.doc_ids, ())
        return state

    def _has_chunk(self, chunk_id: str) -> bool:
        try:
            self.store.chunk(chunk_id)
        except ChunkNotFound:  # cited by an index since rebuilt
            return False
        return True

    def _focus(self, thread: Thread) -> Chunk | None:
        """The cited measure the conversation is on: the one whose heading states most of the previous
        question's subject words (a list answer cites its section too), the first cited on a tie."""
        chunks = [self.store.chunk(c) for c in thread.chunk_ids]
        if not chunks:
            return None
        words = _subject_words(thread.question, self.analyse(thread.question)) if len(chunks) > 1 else []

        def fit(c: Chunk) -> tuple[int, bool, int]:
            heading = _fold(c.heading_path[-1]) if c.heading_path else ""
            return sum(w in heading for w in words), c.kind == MEASURE, -chunks.index(c)

        return max(chunks, key=fit)

    def _docs(self, thread: Thread) -> tuple[str, ...]:
        """The conversation's documents, the cited measures' first."""
        from_chunks = (self.store.chunk(c).doc_id for c in thread.chunk_ids)
        return tuple(dict.fromkeys((*from_chunks, *thread.doc_ids)))

    # --- resolution -----------------------------------------------------------------------------------

    def resolve(self, question: str, thread: Thread) -> Resolution:
        """The standalone question for `question` asked after `thread`."""
        analysis = self.analyse(question)
        text, folded, r = normalize_width(question), _fold(question), rules()
        backwards = bool(r.previous_measure.search(folded))
        step = backwards or bool(r.next_measure.search(folded))
        others = bool(r.other_places.search(folded))
        pronoun = next((p for p in (r.document_pronoun, r.unit_pronoun, r.measure_pronoun) if p.search(folded)), None)
        close = bool(r.ellipsis_close.search(folded))
        remainder = _unwrapped(text)
        # "What about Hohhot?", "那晶硅光伏?": an opening and a short phrase that asks nothing of its own.
        fragment = bool(r.ellipsis_open.match(text)) and 0 < len(_words(_fold(remainder))) <= 4 and not any(
            w in r.aspect for w in _words(_fold(remainder)))
        own = _subject_words(pronoun.sub(" ", folded) if pronoun else folded, analysis)
        leans = step or others or close or fragment or not own
        if not leans or (not close and self._names_document(analysis)):
            return Resolution(question, STANDALONE)  # it says what it is about: nothing is inherited
        if not (thread.question or thread.doc_ids):
            return Resolution(question, CLARIFY, clarify=NEEDS_CONTEXT_EN if analysis.english else NEEDS_CONTEXT)
        docs = self._docs(thread)
        if step:
            return self._step(question, thread, backwards)
        if others:
            return self._other_places(thread, docs, analysis)
        if pronoun is r.document_pronoun or (pronoun and analysis.doc_facts):
            return self._document(question, pronoun, thread, docs)
        if pronoun is r.unit_pronoun or (pronoun and analysis.answer_type == TASKS):
            return self._unit(question, pronoun, thread, docs)
        if pronoun is None and (close or fragment):
            swapped = self._swap(remainder, self.analyse(remainder), thread, docs)
            if swapped is not None:
                return swapped
        if analysis.measures:
            return self._numbered(question, analysis, thread, docs)
        return self._aspect(question, pronoun, thread, docs)

    def _names_document(self, analysis: QueryAnalysis) -> bool:
        return any(names_document(analysis, d.meta) or matches_doc_number(analysis, d.meta)
                   for d in self.store.documents.values())

    def _clarify_documents(self, docs: Sequence[str], english: bool) -> Resolution:
        titles = [f"《{self.store.document(d).meta.title}》" for d in docs[:3]]
        text = (f"Which document do you mean: {' or '.join(titles)}?" if english
                else f"您指的是哪份文件：{'、'.join(titles)}？请在问题中说明。")
        return Resolution("", CLARIFY, clarify=text)

    def _subject(self, thread: Thread) -> _Subject:
        """What the conversation is about: the cited measure ("24.强化政策支持") in its document, or the
        previous question's subject when no measure was cited."""
        chunk = self._focus(thread)
        if chunk is None:
            subject, _ = _aspect_split(thread.question)
            return _Subject("", subject, thread.doc_ids[:1])
        title = f"《{self.store.document(chunk.doc_id).meta.title}》"
        if chunk.kind not in (MEASURE, INTRO):
            return _Subject(title, "", (chunk.doc_id,))
        path = measure_path(chunk.measure)
        if path and path[-1][0] == "article":  # an article is cited by its number; its "heading" is its text
            return _Subject(title, chunk.measure, (chunk.doc_id,))
        heading = strip_marker(chunk.heading_path[-1]).rstrip("…") if chunk.heading_path else ""
        # A measure whose heading is its number alone ("1.") is named by its opening words.
        heading = heading or strip_marker(chunk.text).strip()[:12]
        label = chunk.measure if path else ""  # a section's lead-in ("引言") has no number
        return _Subject(title, label if heading in label else f"{label}{heading}", (chunk.doc_id,))

    def _ambiguous(self, thread: Thread) -> bool:
        """The previous answer cited several documents and its question fits two of them equally well (or
        named nothing: "产值目标是多少?" with three plans cited)."""
        cited = [self.store.chunk(c) for c in thread.chunk_ids]
        if len({c.doc_id for c in cited}) < 2:
            return False
        words = _subject_words(thread.question, self.analyse(thread.question))
        fit: dict[str, int] = {}
        for c in cited:
            evidence = _fold(f"{' '.join(c.heading_path)} {c.text} {self.store.document(c.doc_id).meta.title}")
            fit[c.doc_id] = max(fit.get(c.doc_id, 0), sum(w in evidence for w in words))
        best = sorted(fit.values(), reverse=True)
        return not words or best[0] == best[1]

    def _aspect(self, question: str, pronoun: re.Pattern[str] | None, thread: Thread,
                docs: Sequence[str]) -> Resolution:
        """"牵头单位呢?", "那它的牵头单位是谁?", "and who leads it?": the new aspect of the same subject."""
        if self._ambiguous(thread):
            return self._clarify_documents(docs, self.analyse(question).english)
        subject = self._subject(thread)
        if not (subject.name or subject.title):
            return Resolution("", CLARIFY, clarify=NEEDS_CONTEXT)
        text = normalize_width(question)
        if pronoun is not None:
            return subject.ask(ASPECT_FORM, lambda s: _ask(self._replace(text, pronoun, s)))
        asked = _unwrapped(text)
        return subject.ask(ASPECT_FORM, lambda s: _ask(f"{s}的{asked}"))

    @staticmethod
    def _replace(text: str, pronoun: re.Pattern[str], subject: str) -> str:
        """The pronoun replaced by what it stands for; a leading 那/and dropped."""
        opened = rules().ellipsis_open.sub("", text, count=1)
        return pronoun.sub(lambda _: subject, opened, count=1)

    def _document(self, question: str, pronoun: re.Pattern[str], thread: Thread,
                  docs: Sequence[str]) -> Resolution:
        """"这份文件的文号?": the conversation's document by its title."""
        if not docs:
            return Resolution("", CLARIFY, clarify=NEEDS_CONTEXT)
        cited = list(dict.fromkeys(self.store.chunk(c).doc_id for c in thread.chunk_ids)) or list(docs)
        if len(cited) > 1 and self._ambiguous(thread):
            return self._clarify_documents(cited, self.analyse(question).english)
        doc = cited[0]
        title = f"《{self.store.document(doc).meta.title}》"
        return Resolution(_ask(self._replace(normalize_width(question), pronoun, title)), DOCUMENT_FORM, (doc,))

    def _unit(self, question: str, pronoun: re.Pattern[str] | None, thread: Thread,
              docs: Sequence[str]) -> Resolution:
        """"该单位还负责哪些任务?": the unit the previous answer named (the cited measure's lead unit)."""
        chunk = self._focus(thread)
        units = [*chunk.lead_units, *chunk.responsible_units] if chunk else []
        if not units or pronoun is None:
            return self._aspect(question, pronoun, thread, docs)
        return Resolution(_ask(self._replace(normalize_width(question), pronoun, units[0])), UNIT_FORM,
                          (chunk.doc_id,) if chunk else ())

    def _step(self, question: str, thread: Thread, backwards: bool) -> Resolution:
        """"还有呢?", "下一条呢?": the measure after (or before) the one the previous answer cited."""
        chunk = self._focus(thread)
        if chunk is None:
            return Resolution("", CLARIFY, clarify=NEEDS_CONTEXT)
        chunks = self.store.chunks_of(chunk.doc_id)
        cited = {c for c in thread.chunk_ids if self.store.chunk(c).doc_id == chunk.doc_id}
        at = [i for i, c in enumerate(chunks) if c.chunk_id in cited]
        seen = {chunks[i].measure for i in at}
        ahead = (chunks[i] for i in (range(min(at) - 1, -1, -1) if backwards else range(max(at) + 1, len(chunks))))
        target = next((c for c in ahead if c.kind == MEASURE and c.measure not in seen), None)
        if target is None:
            text = "这已是该文件的第一项。" if backwards else "这已是该文件的最后一项。"
            return Resolution("", CLARIFY, clarify=text)
        r = rules()
        said = _tidy(r.ellipsis_close.sub("", r.next_measure.sub("", r.previous_measure.sub("", _fold(question)))))
        aspect = _aspect_split(said)[1] if said else ""  # "下一条讲的是什么?" asks its own
        aspect = aspect or self._carried_aspect(thread)
        subject = self._subject(Thread(thread.question, (target.doc_id,), (target.chunk_id,)))
        return subject.ask(NEXT_FORM, lambda s: _ask(f"{s}的{aspect}"))

    def _carried_aspect(self, thread: Thread) -> str:
        """What a move to another measure asks of it: who leads it after a question for units (they differ
        measure by measure), else what it says (a figure or date asked of one measure is rarely in the next)."""
        previous = _bare(thread.question)
        aspect = _aspect_split(previous)[1] if self.analyse(previous).answer_type == ORGANISATION else ""
        return aspect or "主要内容是什么"

    def _numbered(self, question: str, analysis: QueryAnalysis, thread: Thread,
                  docs: Sequence[str]) -> Resolution:
        """"第二条呢?", "(三)的牵头单位?": a measure number read in the conversation's document, the sibling of
        the cited measure first."""
        if not docs:
            return Resolution("", CLARIFY, clarify=NEEDS_CONTEXT)
        doc = docs[0]
        chunk = self._focus(thread)
        here = measure_path(chunk.measure) if chunk and chunk.doc_id == doc else []
        matching = [c for c in self.store.chunks_of(doc) if c.kind in (MEASURE, INTRO)
                    and measure_match(analysis.measures, c.measure)]

        def shared(c: Chunk) -> int:
            path = measure_path(c.measure)
            return next((i for i, (a, b) in enumerate(zip(path[:-1], here, strict=False)) if a != b),
                        min(len(path) - 1, len(here)))

        remainder = _unwrapped(normalize_width(question))
        aspect = _aspect_split(remainder)[1] or self._carried_aspect(thread)
        if not matching:  # the pipeline then says the document has no such measure
            title = f"《{self.store.document(doc).meta.title}》"
            return Resolution(_ask(f"{title}{_aspect_split(remainder)[0]}的{aspect}"), MEASURE_FORM, (doc,))
        target = max(matching, key=lambda c: (shared(c), -self.store.position(c.chunk_id)))
        subject = self._subject(Thread("", (doc,), (target.chunk_id,)))
        return subject.ask(MEASURE_FORM, lambda s: _ask(f"{s}的{aspect}"))

    def _swap(self, remainder: str, said: QueryAnalysis, thread: Thread,
              docs: Sequence[str]) -> Resolution | None:
        """"呼和浩特呢?", "2022年呢?", "那晶硅光伏呢?", "What about Hohhot?": the previous question with one part
        replaced; None when the remainder is an aspect ("牵头单位呢?"), which `_aspect` resolves."""
        if not remainder:
            return None
        if said.measures and not _subject_words(remainder, said):
            return None  # "第二条呢?"
        subject_words = _subject_words(remainder, said)
        previous = _bare(thread.question)
        before = self.analyse(previous)
        if said.places and not subject_words:
            return Resolution(_ask(self._with_place(previous, self._places(before, docs), said.places[0])),
                              PLACE_FORM)
        if said.years and not subject_words:
            return Resolution(_ask(self._with_year(previous, before, said.years[0])), YEAR_FORM)
        if not subject_words:
            return None
        _, aspect = _aspect_split(previous)
        keep = [*(p for p in before.places if not said.places),
                *(f"{y}年" for y in before.years if not said.years)]
        # Kept to the conversation's document when that document speaks of the new subject.
        doc_ids = tuple(d for d in docs[:1] if _fold(remainder) in _fold(self.store.document(d).text))
        return Resolution(_ask(f"{''.join(keep)}{remainder}{'的' if aspect and not said.english else ' '}"
                               f"{aspect or '有哪些规定'}"), SUBJECT_FORM, doc_ids)

    def _places(self, before: QueryAnalysis, docs: Sequence[str]) -> list[str]:
        """The places the previous question named (its words that are divisions too: jieba does not always
        tag 包头 a place), and its documents' cities (a question about 包头's plan need not say 包头)."""
        named = [w for w in jieba.cut(before.original) if len(w) >= 2 and division_codes(w)]
        return list(dict.fromkeys([*before.places, *named, *(c for d in docs[:1] if (c := self._city(d)))]))

    def _city(self, doc_id: str) -> str:
        meta = self.store.document(doc_id).meta
        keys = document_keys(meta)
        return keys[0] if keys and meta.region and keys[0] in _fold(meta.region) else ""

    @staticmethod
    def _with_place(previous: str, places: Sequence[str], place: str) -> str:
        """The previous question about `place` instead: the first old place replaced with its level suffix
        (包头市 → 广州), or `place` put in front when it named none."""
        for old in sorted(places, key=len, reverse=True):
            i = previous.find(old)
            if i >= 0:
                # The longest run from the old name that is still that place (包头市, 内蒙古自治区).
                end = max(j for j in range(i + len(old), min(len(previous), i + len(old) + 3) + 1)
                          if short_name(previous[i:j]) == old or j == i + len(old))
                return previous[:i] + place + previous[end:]
        return f"{place}{previous}"

    @staticmethod
    def _with_year(previous: str, before: QueryAnalysis, year: int) -> str:
        if before.years:
            return previous.replace(str(before.years[0]), str(year), 1)
        return f"{year}年{previous}"

    def _other_places(self, thread: Thread, docs: Sequence[str], analysis: QueryAnalysis) -> Resolution:
        """"其他城市呢?": the one other place of the corpus, or a question back naming them."""
        here = {self._city(d) for d in docs[:1]} | set(self.analyse(thread.question).places)
        others = [p for p in dict.fromkeys(self._city(d) for d in self.store.documents) if p and p not in here]
        if len(others) == 1:
            previous = _bare(thread.question)
            places = self._places(self.analyse(previous), docs)
            return Resolution(_ask(self._with_place(previous, places, others[0])), PLACE_FORM)
        if not others:
            return Resolution("", CLARIFY, clarify="已收录的文件没有涉及其他地区。")
        listed = "、".join(others[:8]) + ("等" if len(others) > 8 else "")
        text = (f"Which place do you mean? The documents cover {', '.join(others[:8])}." if analysis.english
                else f"您想了解哪个地区？已收录的文件涉及：{listed}。请直接说出地区名。")
        return Resolution("", CLARIFY, clarify=text)


def context_of(thread: Thread, resolution: Resolution, cited: Sequence[Chunk], abstained: bool) -> Thread:
    """The context an answer returns, for the client to send with the next question: the standalone question
    answered, its documents and the measures cited. A question back leaves the conversation where it was."""
    if resolution.form == CLARIFY:
        return thread
    if abstained or not cited:
        # A refusal lists related passages: the closest one's document is what the question was near.
        return Thread(resolution.display, resolution.doc_ids or tuple(c.doc_id for c in cited[:1]), ())
    return Thread(resolution.display, tuple(dict.fromkeys(c.doc_id for c in cited)),
                  tuple(dict.fromkeys(c.chunk_id for c in cited)))

