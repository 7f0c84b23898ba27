"""Word lists (data files beside this module) and jieba's general-Chinese IDF table."""

from __future__ import annotations

import logging
from functools import cache, lru_cache
from pathlib import Path

import jieba
import yaml

jieba.setLogLevel(logging.WARNING)
DATA = Path(__file__).with_name("data")


def _lines(name: str) -> tuple[str, ...]:
    text = (DATA / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def word_list(name: str) -> frozenset[str]:
    """A data file of one word a line (# comments)."""
    return frozenset(_lines(name))


@cache
def ordered_list(name: str) -> tuple[str, ...]:
    """The same, longest first: for alternations where a longer word must win (个百分点 before 个)."""
    return tuple(sorted(_lines(name), key=len, reverse=True))


@lru_cache(maxsize=1)
def glossary() -> dict[str, str]:
    return yaml.safe_load((DATA / "glossary.yaml").read_text(encoding="utf-8"))["terms"]


@lru_cache(maxsize=1)
def place_names() -> dict[str, str]:
    """Romanised Chinese place names → the place ("henan" → 河南, "jiaozhou" → 胶州): every place word of
    jieba's general dictionary, the most frequent one where two share a spelling. An English question's
    "Henan" is then searched and judged as 河南."""
    from pypinyin import lazy_pinyin

    best: dict[str, tuple[int, str]] = {}
    path = Path(jieba.__file__).with_name("dict.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, tag = line.split(" ")
        if tag == "ns" and 2 <= len(word) <= 4:
            key = "".join(lazy_pinyin(word))
            if int(freq) > best.get(key, (0, ""))[0]:
                best[key] = (int(freq), word)
    return {key: word for key, (_, word) in best.items()}


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table (jieba/analyse/idf.txt, from a general Chinese corpus) and its median, the weight
    jieba gives a word the table lacks."""
    path = Path(jieba.__file__).with_name("analyse") / "idf.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.partition(" ")
        if value:
            table[word] = float(value)
    values = sorted(table.values())
    return table, values[len(values) // 2]


def idf(word: str) -> float:
    """How specific a word is in general Chinese. A Chinese word the table lacks is as specific as its
    characters on average: jieba's HMM joins a question's leftovers into such words ("内要", "报来"), and the
    table's median (~12, as rare as a proper name) would let them outweigh its real topic. Latin words (in
    English questions' expansions) are never in the table: the median."""
    table, median = _idf()
    if word in table or not word or not all("\u4e00" <= ch <= "\u9fff" for ch in word):
        return table.get(word, median)
    return sum(table.get(ch, median) for ch in word) / len(word)


def specificity(word: str) -> float:
    """A word's weight as evidence that a passage is about what the question asks: its IDF, with
    single characters discounted (most are grammatical or too ambiguous to carry a topic). (Counting only the
    IDF above that of common words, 4 or 5, answered fewer calibration questions right: measured.)"""
    weight = idf(word)
    return weight * 0.5 if len(word) == 1 else weight


def rare_weight() -> float:
    """The weight of a word general Chinese hardly uses (a name, a term of art): the table's median."""
    return specificity("\u0000\u0000")
