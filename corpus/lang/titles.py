"""Document titles: the line a reader would call the document's name."""

from __future__ import annotations

import re
from functools import lru_cache

from corpus.lang.numbering import MARKERS
from corpus.lang.text import to_simplified
from corpus.lang.words import ordered_list

# A title may end in a qualifier: (2023-2027年), （试行）, （修订）, （2021年修正）.
_QUALIFIER = r"(?:\s*[(（][^()（）]{1,16}[)）])*"


@lru_cache(maxsize=1)
def _title_end() -> re.Pattern[str]:
    kinds = "|".join(map(re.escape, ordered_list("doc_kinds.txt")))
    return re.compile(rf"(?:{kinds}){_QUALIFIER}$")


def is_document_title(line: str, min_chars: int = 8, max_chars: int = 80) -> bool:
    """A line of its own that names a document: ends in a document genre (意见, 方案, 条例, 办法 …), is not a
    sentence (no end mark, no colon, no comma run), and does not start with a measure number."""
    text = to_simplified(line.strip().lstrip("#").strip().strip("《》"))
    if not (min_chars <= len(text) <= max_chars) or re.search(r"[。；;：:！？!?，,]", text):
        return False
    if any(p.match(text) for _, p in MARKERS):
        return False
    return bool(_title_end().search(text))


@lru_cache(maxsize=1)
def _title_label() -> re.Pattern[str]:
    labels = "|".join(map(re.escape, ordered_list("title_labels.txt")))
    return re.compile(rf"^[*\s]*(?:{labels})[*\s]*[:：]\s*\**\s*(?P<title>\S.{{1,78}}?)\s*\**$")


def labelled_title(line: str) -> str | None:
    """The name a record line gives under a title label ("法規名稱：中小企業發展條例" → 中小企業發展條例)."""
    m = _title_label().match(to_simplified(line.strip()))
    return line.strip()[m.start("title"):m.end("title")] if m else None


def markdown_title(line: str) -> str | None:
    """A Markdown level-one heading ("# 问答实录：…") names the page it heads."""
    m = re.match(r"^#\s+(\S.*?)\s*#*$", line.strip())
    return m.group(1) if m else None
