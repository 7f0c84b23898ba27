"""Sentences, clauses and citation markers."""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d+)\]")
SENTENCE_END = "。！？!?；;"
_SENTENCE = re.compile(r"[^。；;!?！？\n]+[。；;!?！？]?")
_CLAUSE = re.compile(r"[^,，]+[,，]?")
LONG_SENTENCE = 80  # characters: scraped texts often write one 300-character sentence per measure


def strip_citations(text: str) -> str:
    return CITATION.sub("", text)


def sentences(text: str) -> list[str]:
    """Sentences with their end mark; a line break ends one too."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def clauses(sentence: str) -> list[str]:
    """A long sentence cut at its commas; a short one whole."""
    if len(sentence) <= LONG_SENTENCE:
        return [sentence]
    return [c for c in _CLAUSE.findall(sentence) if c.strip(",， ")]


def first_sentence(text: str) -> tuple[str, str]:
    """(first sentence without its end mark, the rest)."""
    for i, ch in enumerate(text):
        if ch in "。!?！？":
            return text[:i], text[i + 1:]
    return text, ""


def looks_like_heading(text: str, max_chars: int = 30) -> bool:
    """A heading, not a sentence: short, no clause punctuation inside, no figures ("强化政策支持", "总则");
    "本措施自2025年4月1日起施行，有效期3年" is a sentence."""
    body = text.strip().rstrip("。.:：;；")
    return 0 < len(body) <= max_chars and not re.search(r"[，,；;：:\d]", body)


def announces_items(text: str) -> bool:
    """A passage whose last sentence announces the items that follow it ("…有下列情形之一的，…公布：")."""
    found = sentences(text)
    return bool(found) and is_lead_in(found[-1])


def is_lead_in(sentence: str) -> bool:
    """A sentence that only announces what follows ("…履行以下职责：", "主要有以下方面:")."""
    return sentence.rstrip().rstrip("。").rstrip().endswith((":", "："))


# An inline enumeration: three or more members joined by 、, the last possibly by 和/及/以及/与 ("重点发展工业节能
# 电机、风力发电机、通用电机", "采取公开征集、特邀入库和交换共享三种方式"); brackets and clause marks end it.
_MEMBER = r"[^、，,。；;：:（）()“”\"\n]{2,40}"
_ENUMERATION_RUN = re.compile(rf"{_MEMBER}(?:、{_MEMBER})+(?:(?:、|和|及|以及|与){_MEMBER})?")


def inline_members(text: str) -> list[str]:
    """The members of the longest inline enumeration in `text`, as written (the first one with the words
    leading into it), or [] when it has fewer than three."""
    runs = [m.group(0) for m in _ENUMERATION_RUN.finditer(text)]
    if not runs:
        return []
    run = max(runs, key=lambda r: r.count("、"))
    members = run.split("、")
    last = re.split(r"(?:和|以及|及|与)", members[-1], maxsplit=1)
    if len(members) == 2 and len(last) == 1:
        return []
    members[-1:] = [m for m in last if m]
    return members if len(members) >= 3 else []
