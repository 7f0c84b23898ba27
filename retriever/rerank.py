"""Optional second-stage reranking of retrieved passages with a cross-encoder. Off by default in the product;
no reranker weights ship, so a reranker is only built when one is configured."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index.embedders import ST_NOT_INSTALLED, EmbedderUnavailable


class Reranker(Protocol):
    """Scores (query, passage) pairs jointly."""

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]: ...


def _unavailable(name_or_path: str, reason: object) -> EmbedderUnavailable:
    return EmbedderUnavailable(
        f"reranker {name_or_path!r} could not be loaded ({reason}). Point it at a local cross-encoder "
        f"directory or turn reranking off."
    )


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder (e.g. a bge-reranker) loaded from a hub name or local path."""

    def __init__(self, name_or_path: str, device: str = "cpu", batch_size: int = 32) -> None:
        location = Path(name_or_path).expanduser()
        if name_or_path.startswith(("/", "./", "../", "~")) and not location.exists():
            # Fail here rather than let a mistyped path fall through to a hub lookup.
            raise _unavailable(name_or_path, f"no such directory: {name_or_path}")
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(str(location) if location.exists() else name_or_path, device=device)
        except ImportError as exc:
            raise _unavailable(name_or_path, ST_NOT_INSTALLED) from exc
        except Exception as exc:  # OSError/ValueError/hub errors all mean "not loadable"
            raise _unavailable(name_or_path, exc) from exc
        self.model_id = f"ce:{name_or_path}"
        self._batch_size = batch_size

    def rerank(self, query: str, passages: Sequence[str]) -> list[float]:
        """One finite score per passage, in input order; higher means more relevant to `query`."""
        if isinstance(passages, str):
            raise TypeError("expected a sequence of passages, got a single str")
        if not passages:
            return []
        scores = self._model.predict([(query, p) for p in passages], batch_size=self._batch_size,
                                     convert_to_numpy=True, show_progress_bar=False)
        # predict gives (n,) for single-logit models; a 2-label model gives (n, 2): use the "relevant" column.
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim == 2:
            scores = scores[:, -1]
        # A NaN (broken weights) must not poison sorting: it ranks last but stays finite.
        return [float(s) for s in np.nan_to_num(scores, nan=-1e30).reshape(-1)]
