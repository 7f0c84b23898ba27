"""Word segmentation for BM25, shared by the index builder and the query side."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from corpus.lang.text import normalize_for_search
from corpus.lang.words import word_list

jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
# Function words that match everywhere and only dilute BM25; content words are never listed.
_STOP = word_list("stopwords.txt")


@lru_cache(maxsize=1)
def _ready() -> bool:
    jieba.initialize()
    return True


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens of the normalised text, punctuation and stop words dropped; numbers kept
    whole ("1000亿元" → "1000", "亿元") so a question's figure can match the passage's."""
    _ready()
    tokens = []
    for token in jieba.cut_for_search(normalize_for_search(text)):
        token = token.strip()
        if token and _KEEP.search(token) and token not in _STOP:
            tokens.append(token)
    return tokens
