"""Text normalisation shared by indexing and querying, so both sides see the same forms."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# NFKC leaves these CJK punctuation marks alone; fold them so "，" and "," or "（" and "(" match.
_PUNCT_FOLD = str.maketrans({"、": ",", "。": ".", "〔": "[", "〕": "]", "【": "[", "】": "]", "“": '"', "”": '"',
                             "‘": "'", "’": "'", "《": "<", "》": ">", "〈": "<", "〉": ">", "—": "-", "～": "~"})


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → Simplified Chinese; other scripts pass through unchanged."""
    return _t2s().convert(text)


def normalize_width(text: str) -> str:
    """Full-width letters, digits and punctuation → half-width (NFKC), runs of spaces collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def normalize_for_search(text: str) -> str:
    """The form both passages and questions take before embedding and BM25: Simplified, half-width,
    CJK punctuation folded, lower-cased Latin."""
    return to_simplified(normalize_width(text)).translate(_PUNCT_FOLD).lower()


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
