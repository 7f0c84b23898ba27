"""Quantified targets: every clause of a measure or section introduction that sets a figure to reach
("到2025年，全市稀土产业产值达到1000亿元以上"), as a row — subject, figure, unit, year or deadline, measure,
and the verbatim sentence. Amounts of support ("给予最高500万元奖励") are not targets."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from corpus.lang.dates import YEAR
from corpus.lang.numbers import figures
from corpus.lang.sentences import sentences
from corpus.lang.text import to_simplified
from corpus.lang.words import ordered_list
from corpus.model import INTRO, MEASURE, Chunk

_CLAUSE = re.compile(r"[^，,；;：:]+")
# When a target is due: "到2025年", "2023年底前", "年内", "每年", "三年内"; the latest one before the figure.
_DEADLINE = re.compile(
    rf"(?:到|至|截至)?\s*{YEAR.pattern}\s*年(?:底|末)?(?:前)?|年内|年底前?|每年|今年|[一二三四五两\d]年内")
_RANGE_LOW = re.compile(r"\d+(?:\.\d+)?\s*[-—–~至到]\s*$")
_NUMBER = re.compile(r"^[\d.,\s\-—–~至到]+")
_LEAD_WORDS = re.compile(r"^(?:其中|同时|并|力争|争取|全市|全区|全省|我市|确保|实现)+")


@lru_cache(maxsize=1)
def _target_words() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, ordered_list("target_words.txt"))))


@lru_cache(maxsize=1)
def _support_words() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, ordered_list("support_words.txt"))))

# "由目前的89名提升到65名", "从2万家增加到3万家": the first figure is where the text starts from, not its target.
_FROM = re.compile(r"(?:由|从)[^，,；;、]{0,12}$")
_TO = re.compile(r"[^，,；;、\d]{0,6}(?:到|至)")


@lru_cache(maxsize=1)
def _unit_after() -> re.Pattern[str]:
    """The unit right after a figure: a unit word (data/unit_words.txt) or a general counter."""
    units = {line.partition("=")[2] or line for line in ordered_list("unit_words.txt")}
    words = sorted(units | set("个家项名人座台吨元倍批条所次户处件辆套"), key=len, reverse=True)
    return re.compile(rf"\s*(?:[十百千万亿]*)(?:{'|'.join(map(re.escape, words))})|\s*[%％‰]")


@dataclass(frozen=True)
class Target:
    chunk: Chunk
    subject: str  # what the figure is of, as the clause words it
    figure: str  # the figure with its unit, verbatim ("1000亿元")
    unit: str  # "亿元", "家", "%"
    deadline: str  # "到2025年", "年内", or "" when the text states none
    sentence: str  # the whole sentence, verbatim


def _figures(clause: str) -> list[tuple[str, str, int, int]]:
    """(figure with unit, unit, start, end) of the clause's figures that carry a unit; `clause` in Simplified
    (OpenCC maps character for character, so offsets hold in the original)."""
    out = []
    for q in figures(clause):
        unit = _unit_after().match(clause, q.end)
        if not (unit or q.percent):
            continue
        start = q.start
        low = _RANGE_LOW.search(clause[:start])  # "2-3家" is one figure
        if low:
            start = low.start()
        end = unit.end() if unit else q.end
        if out and start < out[-1][3]:  # "200万千瓦" read again from its 万
            continue
        surface = clause[start:end].strip()
        out.append((surface, _NUMBER.sub("", surface) or "%", start, end))
    return out


def _subject(before: str, after: str) -> str:
    """What the figure is of: the object right after it ("培育10个国家级创新平台" → 国家级创新平台), else the
    words before it less deadline and target words ("稀土产业产值达到" → 稀土产业产值)."""
    after_object = re.match(r"[^、，,。；;（(]+", after)
    if after_object and len(after_object.group(0)) >= 2 and not re.match(r"以上|左右|以内|的", after_object.group(0)):
        return after_object.group(0).strip()  # "培育10个国家级创新平台", "15万吨磁性材料、7000吨储氢材料"
    words = _DEADLINE.sub("", before)
    parts = [p.strip(" ，,、。的") for p in _target_words().split(words)]
    subject = _LEAD_WORDS.sub("", next((p for p in reversed(parts) if p), "")).strip(" ，,、")
    subject = re.sub(r"^[\d.、]+", "", subject)  # a measure's own number ("4.")
    return subject


def targets_of(chunk: Chunk) -> list[Target]:
    """The targets one passage sets, in reading order; a deadline holds until the passage names another."""
    if chunk.kind not in (MEASURE, INTRO):
        return []
    found = []
    deadline = ""
    for sentence in sentences(chunk.text):
        for clause in _CLAUSE.findall(sentence):
            simple = to_simplified(clause)
            verbatim = clause if len(clause) == len(simple) else simple
            for m in _DEADLINE.finditer(simple):
                deadline = verbatim[m.start():m.end()].strip()
            if _support_words().search(simple) or not _target_words().search(simple):
                continue
            for _, unit, start, end in _figures(simple):
                if _FROM.search(simple[:start]) and _TO.match(simple, end):
                    continue  # a baseline
                subject = _subject(verbatim[:start], verbatim[end:])
                found.append(Target(chunk, subject, verbatim[start:end].strip(), unit, deadline, sentence))
    return found


def targets(chunks: Sequence[Chunk]) -> list[Target]:
    return [t for chunk in chunks for t in targets_of(chunk)]
