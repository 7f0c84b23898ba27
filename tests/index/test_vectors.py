"""index.vectors: a filtered FAISS search returns the k nearest allowed chunks, however few are allowed."""

from __future__ import annotations

import numpy as np
import pytest

from index import vectors as vectors_module
from index.vectors import FaissVectors, make_faiss_index


def unit_rows(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("hnsw_threshold", [10_000, 1], ids=["flat", "hnsw"])
def test_filtered_search_finds_nearest_allowed_rows(hnsw_threshold: int) -> None:
    vectors = unit_rows(500)
    store = FaissVectors(make_faiss_index(vectors, hnsw_threshold))
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


def test_large_filters_on_hnsw_search_the_graph_with_a_selector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectors_module, "HNSW_EXACT_BELOW", 0)
    vectors = unit_rows(2000)
    store = FaissVectors(make_faiss_index(vectors, 1))
    query = unit_rows(1, seed=2)[0]
    allowed = np.arange(0, 2000, 2, dtype=np.int64)  # half the rows
    positions, _ = store.search(query, 10, allowed)
    exact = allowed[np.argsort(-(vectors[allowed] @ query))[:10]]
    assert set(positions.tolist()) <= set(allowed.tolist())
    assert len(set(positions.tolist()) & set(exact.tolist())) >= 8
