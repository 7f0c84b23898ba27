"""Word segmentation for BM25, shared by the index builder and the query side."""

from __future__ import annotations

import hashlib
import logging
import re
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import jieba

from corpus.lang.text import normalize_for_search
from corpus.lang.words import DATA, word_list

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


@lru_cache(maxsize=1)
def tokenizer_fingerprint() -> dict[str, str]:
    """What decides BM25's tokens, recorded in each build's manifest and compared on load: an index searched
    with other tokens than it was built with silently loses matches. The segmenter's and the normaliser's
    versions, and the sha256 of the word lists they read (jieba's dictionary, the stop words)."""
    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]

    return {"jieba": version("jieba"), "opencc": version("OpenCC"),
            "jieba dict.txt": digest(Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)),
            "stopwords.txt": digest(DATA / "stopwords.txt")}
