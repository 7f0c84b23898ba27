"""Understand a question once, before anything else: normalise it, expand English terms, and read what it
names (a document, a measure number, years, places), what it asks (the expected answer type, the unit of an
asked figure, document facts) and which of its words are specific. Every later stage reads this analysis;
none re-reads the question."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import jieba
import jieba.posseg as posseg
import yaml
from pypinyin import lazy_pinyin

from corpus.lang.dates import months, years
from corpus.lang.docnumber import doc_number_key
from corpus.lang.lexicon import english_places, english_word, spells_chinese, translations
from corpus.lang.numbering import MeasureRef, measure_refs
from corpus.lang.numbers import asked_unit
from corpus.lang.places import division_codes, leading_division, short_name
from corpus.lang.text import normalize_for_search, normalize_width
from corpus.lang.words import DATA, glossary, ordered_list, place_names, specificity, word_list
from corpus.model import DocumentMeta

# Answer types (corpus/lang/data/answer_types.yaml).
FIGURE, DATE, ORGANISATION, TASKS, ITEMS, CONTENT, YESNO, TEXT = (
    "figure", "date", "organisation", "tasks", "items", "content", "yesno", "text")


@lru_cache(maxsize=1)
def _filler() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, ordered_list("filler.txt"))) + r"|\?|？")


@lru_cache(maxsize=1)
def _answer_types() -> tuple[dict[str, re.Pattern[str]], list[tuple[str, re.Pattern[str]]]]:
    data = yaml.safe_load((DATA / "answer_types.yaml").read_text(encoding="utf-8"))
    facts = {name: re.compile(p, re.IGNORECASE) for name, p in data["doc_facts"].items()}
    return facts, [(name, re.compile(p, re.IGNORECASE)) for name, p in data["types"]]


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[str, re.Pattern[str], str]]:
    return [(en, re.compile(rf"\b{re.escape(en)}\b", re.IGNORECASE), zh)
            for en, zh in sorted(glossary().items(), key=lambda kv: -len(kv[0]))]


def glossary_phrases(text: str) -> dict[str, str]:
    """English phrase → Chinese term, for the glossary phrases in an English question (overlapping phrases all
    count: "basic research funding" gives both 基础研究 and 研发经费)."""
    return {en: zh for en, pattern, zh in _glossary() if pattern.search(text)}


def _without(pattern: re.Pattern[str] | None, text: str) -> str:
    """`text` with what `pattern` matches blanked out."""
    return pattern.sub(lambda m: " " * len(m.group()), text) if pattern else text


def expand_english(text: str) -> str:
    return " ".join(dict.fromkeys(glossary_phrases(text).values()))


@dataclass(frozen=True)
class Term:
    word: str
    weight: float  # how specific the word is in general Chinese (jieba's IDF)
    alternatives: tuple[str, ...] = ()  # the dictionary's other words for the same English phrase
    spelled: bool = False  # a romanised name ("jinqiao"), stated by the Chinese it spells (金桥)

    def stated_in(self, text: str) -> bool:
        if self.spelled:
            return self.word in _spelling(text)
        return self.word in text or any(a in text for a in self.alternatives) or bool(
            self.word not in jieba.dt.FREQ and len(self.word) >= 3 and _abbreviation(self.word).search(text))

    def spelled_by(self, letters: str) -> bool:
        """Whether a romanised title ("taiwan_difang_zhidu_fa") spells the word (地方 → difang)."""
        spelling = _spelling(self.word) if len(self.word) > 1 else ""
        return bool(letters and spelling) and spelling in letters


@lru_cache(maxsize=256)
def _spelling(text: str) -> str:
    return "".join(lazy_pinyin(re.sub(r"[^\u4e00-\u9fff]", "", text)))


@lru_cache(maxsize=4096)
def _abbreviation(word: str) -> re.Pattern[str]:
    """A word the dictionary lacks is often an abbreviation, which keeps its full name's characters in order
    (综保区 ← 综合保税区, 发改委 ← 发展和改革委员会): the word's characters with at most three others between
    each, within one clause."""
    return re.compile("[^，。；：！？,;:!?、\\s]{0,3}".join(map(re.escape, word)))


@dataclass
class QueryAnalysis:
    original: str
    text: str  # normalised, filler removed: what dense and BM25 search see
    english: bool
    expansion: str = ""  # Chinese terms for an English question
    measures: list[MeasureRef] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    months: list[tuple[int, int]] = field(default_factory=list)  # (year, month) named together: "2020年3月"
    doc_number: tuple[str, ...] | None = None
    answer_type: str = TEXT
    unit: str | None = None  # the unit an asked figure must be in ("亿美元" → 美元)
    doc_facts: tuple[str, ...] = ()  # "issuer", "number", "date": asked about the document itself
    about_itself: bool = False  # "这份文件…": the document asked of, not one its text cites
    asked: int = 1  # how many things the question asks for ("多少…?其中多少…?" asks two)
    places: tuple[str, ...] = ()  # places the question names (Chinese), without their level suffix
    terms: tuple[Term, ...] = ()  # the question's specific words, with their weights
    # An English question's words in the dictionary's Chinese, kept to the words the corpus uses: too loose to
    # weigh like the specific words (a passage says 资金支持 for "reward"), but a passage stating almost none
    # of them is about something else (measured: evals/README.md).
    translated: tuple[Term, ...] = ()

    @property
    def metadata(self) -> bool:
        return bool(self.doc_facts)


def _terms(text: str, alternatives: Mapping[str, tuple[str, ...]] | None = None) -> tuple[Term, ...]:
    """The words a passage must state to be about what the question asks. Places are not judged here (the
    places rule tests them; "四川省政府" leaves 政府), nor are the words that ask, which the caller has blanked
    out ("多长时间", "由哪个部门", "负责的是哪项措施": the answer-type rule tests what they ask for)."""
    stop = word_list("stopwords.txt")
    words = dict.fromkeys(w[len(leading_division(w)):] for w in (w.strip() for w in jieba.cut(text)) if w)
    return tuple(Term(w, specificity(w), (alternatives or {}).get(w, ())) for w in words
                 if re.search(r"[\u4e00-\u9fffa-z]", w) and w not in stop and not w.isdigit())


def _english_terms(asked: str, romanised: tuple[str, ...], vocabulary: Callable[[str], bool],
                   names: tuple[str, ...]) -> tuple[Term, ...]:
    """An English question's judged terms: the glossary's, each also stated by the dictionary's other words for
    the same English phrase ("build" is 建设 by the glossary, 建成 or 修建 by CC-CEDICT), and the names no
    dictionary knows ("Ulanqab"), which a passage states only as written. Words the glossary lacks are not
    judged: the dictionary's loose senses would refuse answerable questions (measured on the calibration
    halves)."""
    phrases = glossary_phrases(asked)
    alternatives: dict[str, tuple[str, ...]] = {}
    for english, zh in phrases.items():
        others = tuple(w for t in translations(english, vocabulary) for w in t.chinese)
        for word in jieba.cut(zh):
            alternatives[word] = alternatives.get(word, ()) + others
    return _terms(" ".join((*phrases.values(), *romanised)), alternatives) + tuple(
        Term(name, specificity(name), spelled=spells_chinese(name)) for name in names)


def _places(text: str) -> tuple[str, ...]:
    """The administrative divisions the question names, as commonly written (包头市 → 包头), also where an
    organisation's name starts with one (四川省政府 → 四川). A word the dictionary tags as a place but that is
    no division (古镇, a town's name and a plain word) is left to the specific-words test."""
    return tuple(dict.fromkeys(short_name(place) for w in posseg.cut(text)
                               if w.flag in ("ns", "nt") and len(place := leading_division(w.word)) >= 2))


def answer_type(normalised_question: str) -> str:
    return _asking(normalised_question)[0]


def _asking(normalised_question: str) -> tuple[str, re.Pattern[str]]:
    """The answer type and the pattern of the words that ask for it."""
    return next((name, pattern) for name, pattern in _answer_types()[1] if pattern.search(normalised_question))


_ASKED = re.compile(r"多少|(?<!哪)几(?!乎)|哪些|什么时候|how (?:many|much)")


def corpus_places(metas: Iterable[DocumentMeta]) -> dict[str, str]:
    """Romanised spelling → place, for the places the documents' titles, issuers and regions name
    ("binzhou" → 滨州): where two places share a spelling, the one the corpus names wins."""
    places: dict[str, str] = {}
    for meta in metas:
        text = normalize_for_search(f"{meta.title} {meta.issuer} {meta.region}")
        for word in (w.word for w in posseg.cut(text) if w.flag == "ns" and len(w.word) >= 2):
            for form in {word, short_name(word)}:
                if len(form) >= 2:
                    places["".join(lazy_pinyin(form))] = form
        # A catalogue's English region ("Hohhot, Inner Mongolia") spells the city its own way.
        if meta.region_en and meta.region:
            places[meta.region_en.split(",")[0].strip().lower()] = _city(meta.region)
    return places


def analyse(question: str, places: Mapping[str, str] | None = None,
            vocabulary: Callable[[str], bool] = lambda _: True) -> QueryAnalysis:
    """The analysis of one question; `places` maps romanised place names to the corpus's own (corpus_places),
    `vocabulary` says which Chinese words the corpus uses (an English word's translations are kept to those)."""
    width = normalize_width(question)
    latin = sum(ch.isascii() and ch.isalpha() for ch in width)
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in width)
    english = latin > 2 * cjk
    folded = normalize_for_search(width)
    text = re.sub(r"\s+", " ", normalize_for_search(_filler().sub(" ", width))).strip() or folded
    # "Henan" is 河南: romanised place names are searched and judged as the Chinese places they spell, the
    # corpus's own places first, then every place of jieba's dictionary.
    # Only an English question reads them: a Chinese one would pay for loading and merging them on every call.
    known = {**place_names(), **english_places(), **(places or {})} if english else {}
    # A capital inside a hyphenated word ("High-Tech") is no name.
    found = list(re.finditer(r"(?<![-\w])([A-Z][a-z]+)(?![-\w])(?=(\s+[A-Z])?)", width)) if english else []
    names = [m.groups() for m in found]
    romanised = tuple(dict.fromkeys(known[n.lower()] for n, _ in names if n.lower() in known))
    # A capitalised word inside a sentence that neither a place list nor the dictionary knows is a name the
    # passages must state as written ("Ulanqab"); a capital after a full stop only starts a sentence.
    unknown = tuple(dict.fromkeys(m[1].lower() for m in found if m.start() and width[:m.start()].rstrip()[-1:]
                                  not in ".?!" and m[1].lower() not in known and not english_word(m[1])))
    # A name run on by another capitalised word names an organisation or a feature. One that starts with a
    # division ("Chifeng High-Tech Zone") is judged by that place, as 四川省政府 is; any other ("Dadao
    # Industrial", "Jiaozhou Bay") is no place the documents must mention, and is judged as a word: by its
    # spelling where it spells pinyin, since a place list's rendering (大岛) is a guess among homophones (大道).
    places_named = tuple(dict.fromkeys(known[n.lower()] for n, more in names if n.lower() in known and (
        not more or division_codes(known[n.lower()]))))
    spelled = tuple(dict.fromkeys(n.lower() for n, more in names if n.lower() in known and spells_chinese(n)
                                  and known[n.lower()] not in places_named))
    rendered = tuple(r for r in romanised if r not in {known[n] for n in spelled})
    # An English question is searched in the documents' words: the glossary's phrases and the dictionary's.
    dictionary = translations(width, vocabulary) if english else []
    lexicon = " ".join(w for t in dictionary for w in t.chinese)
    expansion = " ".join(filter(None, (expand_english(width), *romanised, lexicon))) if english else ""
    facts, _ = _answer_types()
    doc_facts = tuple(name for name, pattern in facts.items()
                      if name not in ("date_with_other_fact", "self") and pattern.search(folded))
    if doc_facts and "date" not in doc_facts and facts["date_with_other_fact"].search(folded):
        doc_facts += ("date",)
    places = tuple(dict.fromkeys((*_places(text if not english else ""), *places_named)))
    kind, asking = _asking(folded)
    asking = None if kind == TEXT else asking  # TEXT's pattern is any character
    return QueryAnalysis(
        original=question, text=text, english=english, expansion=expansion,
        measures=measure_refs(width), years=years(width), months=months(width), doc_number=doc_number_key(width),
        answer_type=kind, unit=asked_unit(question), doc_facts=doc_facts,
        about_itself=bool(facts["self"].search(folded)),
        asked=max(1, len(_ASKED.findall(folded))),
        places=places,
        terms=_english_terms(_without(asking, width), rendered, vocabulary, unknown + spelled) if english else
        _terms(_filler().sub(" ", _without(asking, folded))),
        # A place name is the places rule's to judge.
        translated=tuple(Term(t.chinese[0], specificity(t.chinese[0]), t.chinese[1:]) for t in dictionary
                         if t.english not in known),
    )


def _city(region: str) -> str:
    """"内蒙古自治区包头市" → "包头", "新疆维吾尔自治区" → "新疆维吾尔"."""
    tail = [p for p in re.split(r"(?:自治区|省)", region) if p][-1:] or [""]
    return re.sub(r"(市|盟|地区|自治州)$", "", tail[0])


def document_keys(meta: DocumentMeta) -> list[str]:
    """Normalised strings that, found in a question, point at this document."""
    # An alias's last four characters ("…一号文件") are how people shorten it.
    keys = [_city(meta.region), *meta.aliases, *(a[-4:] for a in meta.aliases if len(a) > 6)]
    if meta.region_en:
        keys.append(meta.region_en.split(",")[0])
    return [normalize_for_search(k) for k in keys if k and len(k) >= 2]


TITLE_QUOTED = 8  # characters of a title a question must quote to name the document


def names_document(analysis: QueryAnalysis, meta: DocumentMeta) -> bool:
    """Whether the question quotes the document's title. A document with no title line is titled by its file
    name, often romanised ("taiwan_difang_zhidu_fa"): the question's words are then compared in pinyin, a
    title's worth of syllables (地方制度法 → difangzhidufa) naming it as well."""
    letters = romanised_title(meta)
    if not letters:
        return _longest_common(analysis.text, normalize_for_search(meta.title)) >= TITLE_QUOTED
    # About four syllables, and most of the name: "weilaichanye" is in many a file name
    # ("shanghai_weilai_chanye_ruogan_cuoshi_wenda") that a question about another 未来产业 document does not name.
    return len(letters) >= 12 and _longest_common(_spelling(analysis.text), letters) >= max(12, len(letters) // 2)


def romanised_title(meta: DocumentMeta) -> str:
    """The letters of a title that is a romanised file name ("taiwandifangzhidufa"), or ""."""
    title = normalize_for_search(meta.title)
    return "" if re.search(r"[\u4e00-\u9fff]", title) else re.sub(r"[^a-z]", "", title.lower())


def _longest_common(a: str, b: str) -> int:
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match().size


def matches_doc_number(analysis: QueryAnalysis, meta: DocumentMeta) -> bool:
    own = doc_number_key(meta.doc_number) if meta.doc_number else None
    return bool(analysis.doc_number) and own == analysis.doc_number


def year_matches(year: int, meta: DocumentMeta) -> bool:
    """The question's year is the document's year or inside the period its title names (2021-2023)."""
    if meta.year == year:
        return True
    span = re.search(r"(20\d{2})\s*[-—–至~]\s*(20\d{2})", normalize_width(meta.title))
    return bool(span) and int(span.group(1)) <= year <= int(span.group(2))
