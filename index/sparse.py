"""The lexical side of the index: BM25 over index.tokenize's words, behind a small interface (build from
the chunks' words, save into a build directory, load, score a question's words, know a word), so the store
and the retriever never touch the library (bm25s) that implements it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import bm25s
import numpy as np

BM25_DIR = "bm25"
EMPTY = "∅"  # stands for a chunk or question without words: bm25s needs at least one token


class SparseIndex(Protocol):
    def scores(self, words: list[str]) -> np.ndarray:
        """A score per chunk (float32, position order) for a question's words; 0 where none occurs."""
        ...

    def __contains__(self, word: str) -> bool:
        """Whether any chunk has the word."""
        ...


class BM25Index:
    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25

    @classmethod
    def build(cls, chunk_words: list[list[str]]) -> BM25Index:
        bm25 = bm25s.BM25()
        bm25.index([words or [EMPTY] for words in chunk_words] or [[EMPTY]], show_progress=False)
        return cls(bm25)

    def save(self, build_dir: Path) -> None:
        self._bm25.save(str(build_dir / BM25_DIR), show_progress=False)

    @classmethod
    def load(cls, build_dir: Path) -> BM25Index:
        return cls(bm25s.BM25.load(str(build_dir / BM25_DIR), show_progress=False))

    def scores(self, words: list[str]) -> np.ndarray:
        return np.asarray(self._bm25.get_scores(words or [EMPTY]), dtype=np.float32)

    def __contains__(self, word: str) -> bool:
        return word in self._bm25.vocab_dict
