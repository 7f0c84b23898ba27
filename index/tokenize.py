"""Word segmentation for BM25, shared by the index builder and the query side."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from corpus.text import normalize_for_search

jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
# Function words that match everywhere and only dilute BM25; content words are never listed.
_STOP = frozenset(["的", "了", "和", "与", "及", "等", "是", "在", "对", "为", "以", "将", "把", "被", "由", "于", "其", "之", "或", "并", "也", "就", "都", "而", "从", "到", "有", "要", "我", "市", "中", "上", "下", "个", "什么", "哪些", "哪个", "多少", "怎么", "如何", "是否", "吗", "呢", "请问", "关于", "有关", "the", "a", "an", "of", "to", "and", "in", "for", "on", "is", "are", "what", "which", "how", "who", "does", "do"])  # noqa: E501


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
