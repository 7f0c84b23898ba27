"""How an answer is put before a reader, the same in both UIs: one short citation label per passage
(《short title》measure + heading) and the service's doubt in plain Chinese (why it declined, or that an
answer's support is thin). The sentences live in app/data/doubt.yaml."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from app.answer.compose.cite import where
from app.answer.model import Answer
from corpus.lang.sentences import CITATION, sentences
from corpus.model import Chunk

DOUBT_FILE = Path(__file__).resolve().parent / "data" / "doubt.yaml"
SHORT_TITLE_CHARS = 14  # a title longer than this is cut to its head and its genre ("…实施意见")
_HEAD, _TAIL = 7, 4
_QUALIFIER = re.compile(r"\s*[(（][^()（）]{1,16}[)）]$")  # "(2021-2023年)", "（试行）": dropped from a short title
_MENTION = re.compile(r"do not mention (?P<what>.+)$")


@lru_cache(maxsize=1)
def _doubt() -> dict:
    return yaml.safe_load(DOUBT_FILE.read_text(encoding="utf-8"))


def short_title(title: str, aliases: tuple[str, ...] = ()) -> str:
    """A title short enough to repeat after every quote: the document's shortest alias if it is short, else
    the title without "关于", cut in the middle when still long ("加快实施创新驱…实施意见")."""
    named = sorted((a for a in aliases if len(a) <= SHORT_TITLE_CHARS), key=len)
    if named:
        return named[0]
    text = _QUALIFIER.sub("", title.strip("《》")) or title
    text = text[2:] if text.startswith("关于") and len(text) > 6 else text
    return text if len(text) <= SHORT_TITLE_CHARS else f"{text[:_HEAD]}…{text[-_TAIL:]}"


def citation_label(chunk: Chunk, aliases: tuple[str, ...] = ()) -> str:
    """"《加快实施创新驱…实施意见》24.强化政策支持": the short title, the measure and its heading."""
    return where(chunk).replace(f"《{chunk.title}》", f"《{short_title(chunk.title, aliases)}》", 1)


def doubt(answer: Answer, low_below: float, filtered: bool = False) -> str:
    """The sentence a reader sees about the answer's certainty: why it declined (and that a filter narrowed the
    search, if one did), that its support is thin, or "" when there is nothing to doubt."""
    text = _doubt()
    if answer.abstained:
        declined = text["declined"]
        sentence = declined.get(answer.rule, declined["default"])
        mention = _MENTION.search(answer.reason or "")
        sentence = sentence.format(detail=mention["what"] if mention else "地区或年份")
        return sentence + (text["filtered"] if filtered else "")
    return text["low_confidence"] if answer.confidence < low_below else ""


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def cited_span(answer_text: str, n: int, passage: str) -> tuple[int, int]:
    """Where in the passage the answer's words before "[n]" come from: the passage sentence sharing most
    character pairs with them, as (start, end) offsets; (0, 0) when none shares any (nothing to highlight)."""
    said = re.split(r"\[\d+\]", answer_text)
    markers = [int(m) for m in CITATION.findall(answer_text)]
    words = _bigrams("".join(said[i] for i, m in enumerate(markers) if m == n))
    best, span, pos = 0, (0, 0), 0
    for sentence in sentences(passage):
        start = passage.find(sentence, pos)
        if start < 0:
            continue
        pos = start + len(sentence)
        shared = len(_bigrams(sentence) & words)
        if shared > best:
            best, span = shared, (start, pos)
    return span
