"""index.vectors: a filtered FAISS search returns the k nearest allowed chunks, however few are allowed; the
factory opens what a build wrote, with the configured search settings."""

from __future__ import annotations

import numpy as np
import pytest

from index.errors import VectorStoreUnavailable
from index.vectors import VectorStoreConfig, make_vector_store
from index.vectors import faiss_backend as vectors_module
from index.vectors.faiss_backend import FaissVectors, make_faiss_index


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("ann_threshold", [10_000, 1], ids=["flat", "ivf"])
def test_filtered_search_finds_nearest_allowed_rows(ann_threshold: int) -> None:
    vectors = unit_rows(500)
    store = FaissVectors(make_faiss_index(vectors, ann_threshold))
    query = unit_rows(1, seed=1)[0]
    allowed = np.arange(3, 500, 7, dtype=np.int64)  # 71 of 500 rows: HNSW scores them exactly
    positions, scores = store.search(query, 10, allowed)
    exact = allowed[np.argsort(-(vectors[allowed] @ query))[:10]]
    assert set(positions.tolist()) <= set(allowed.tolist())
    assert len(set(positions.tolist()) & set(exact.tolist())) >= 9
    assert np.all(np.diff(scores) <= 1e-6)
    # Fewer allowed rows than k: all of them, not padding.
    few, _ = store.search(query, 10, np.array([5, 42], dtype=np.int64))
    assert sorted(few.tolist()) == [5, 42]
    assert len(store.search(query, 10, np.zeros(0, dtype=np.int64))[0]) == 0


def test_large_filters_on_an_approximate_index_search_with_a_selector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "EXACT_BELOW", 0)
    vectors = unit_rows(2000)
    store = FaissVectors(make_faiss_index(vectors, 1))
    query = unit_rows(1, seed=2)[0]
    allowed = np.arange(0, 2000, 2, dtype=np.int64)  # half the rows
    positions, _ = store.search(query, 10, allowed)
    exact = allowed[np.argsort(-(vectors[allowed] @ query))[:10]]
    assert set(positions.tolist()) <= set(allowed.tolist())
    assert len(set(positions.tolist()) & set(exact.tolist())) >= 8


def test_an_ivf_build_opens_with_the_configured_nprobe_and_scores_selective_filters_exactly(tmp_path) -> None:
    vectors = unit_rows(3000)
    built = make_vector_store(VectorStoreConfig(ann_threshold=1000)).build(vectors, tmp_path, "b1")
    assert built.kind == "IndexIVFFlat"
    opened = make_vector_store(VectorStoreConfig(ivf_nprobe=200), built.backend).open(built, tmp_path)
    query = unit_rows(1, seed=3)[0]
    # Every list probed: the approximate index returns the exact neighbours.
    assert opened.search(query, 10)[0].tolist() == np.argsort(-(vectors @ query))[:10].tolist()
    allowed = np.array([7, 1234, 2999], dtype=np.int64)
    assert opened.search(query, 5, allowed)[0].tolist() == allowed[np.argsort(-(vectors[allowed] @ query))].tolist()


def test_an_unknown_vector_backend_is_a_clear_error() -> None:
    with pytest.raises(VectorStoreUnavailable, match="unknown vector backend 'qdrant'"):
        make_vector_store(VectorStoreConfig(backend="qdrant"))
