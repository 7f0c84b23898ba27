"""Embeddings cached by model and passage content, so adding or removing one document re-embeds only
that document's chunks."""

from __future__ import annotations

import hashlib
import logging
import re
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger("policy_qa.index")


def content_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, cache_dir: Path | None, model_id: str) -> None:
        """`cache_dir` None keeps the vectors in memory only."""
        self.path = cache_dir / (re.sub(r"[^0-9A-Za-z._-]+", "_", model_id) + ".npz") if cache_dir else None
        self._vectors: dict[str, np.ndarray] = {}
        self.added = 0  # vectors put since loading: the passages embedded by this build
        if self.path and self.path.exists():
            try:
                with np.load(self.path) as data:
                    self._vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                # a damaged cache (a truncated write, a full disk) only costs re-embedding; it is replaced on save
                log.warning("embedding cache %s is damaged (%s); recomputing", self.path.name, type(exc).__name__)
                self._vectors = {}

    def get(self, key: str) -> np.ndarray | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self.added += key not in self._vectors
        self._vectors[key] = vector

    def save(self, keep: set[str] | None = None) -> None:
        """Persist, dropping vectors of passages no longer in the corpus when `keep` is given."""
        items = {k: v for k, v in self._vectors.items() if keep is None or k in keep}
        if not items or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(items)), vectors=np.stack(list(items.values())).astype(np.float32))
        tmp.replace(self.path)
