"""The Milvus vector backend against a real Milvus standalone server that this module starts on loopback
(the `milvus` wheel ships the server binary): same retrieval as FAISS, builds swapped and cleaned up the
same way, and a clear 503 when the vector database cannot serve."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.main import create_api
from app.service import QAService, build_from_corpus
from app.settings import Settings
from index.build import current_build
from index.errors import VectorStoreUnavailable
from index.store import load_index
from index.vectors import VectorStoreConfig, make_vector_store

milvus_server = pytest.importorskip("milvus", reason="the Milvus server wheel is built for x86_64 Linux only")
pymilvus = pytest.importorskip("pymilvus")

from index.vectors.milvus_backend import MAX_TOP_K  # noqa: E402  (needs pymilvus, checked above)

pytestmark = pytest.mark.slow
QUESTIONS = ["稀土新材料产值目标?", "强化政策支持的牵头单位有哪些?", "高新区研发投入强度目标是多少?",
             "How many national high-tech enterprises should Baotou have?", "數字經濟發展措施"]


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = milvus_server.MilvusServer()
    server.set_base_dir(str(tmp_path_factory.mktemp("milvus")))
    server.start()  # waits for the server's /healthz (bounded: 180 s)
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()


def _collections(uri: str) -> set[str]:
    return set(pymilvus.MilvusClient(uri=uri).list_collections())


@pytest.fixture
def milvus_settings(fresh_data_dir: Path, milvus_uri: str, request: pytest.FixtureRequest) -> Settings:
    """The bundled corpus with vectors in Milvus, embeddings from the copied cache; a prefix per test."""
    shutil.rmtree(fresh_data_dir / "index" / current_build(fresh_data_dir / "index").name)
    return Settings(data_dir=fresh_data_dir, vector_backend="milvus", milvus_uri=milvus_uri,
                    milvus_prefix=f"t_{request.node.name.split('[')[0][-40:]}", rate_limit_per_minute=10_000)


def test_milvus_retrieval_and_answers_match_faiss(milvus_settings, settings, embedder, service):
    build = build_from_corpus(milvus_settings, embedder, show_progress=False)
    in_milvus = load_index(milvus_settings.index_dir, embedder, milvus_settings.vector_store_config())
    assert in_milvus.manifest.vector_backend == "milvus" and in_milvus.vectors.ntotal == len(service.store.chunks)
    assert not (build / "vectors.faiss").exists()

    for question in QUESTIONS:
        query = embedder.embed_queries([question])[0]
        faiss_pos, faiss_scores = service.store.dense_scores(query, 10)
        milvus_pos, milvus_scores = in_milvus.dense_scores(query, 10)
        assert [service.store.chunks[p].chunk_id for p in faiss_pos] == \
               [in_milvus.chunks[p].chunk_id for p in milvus_pos], question
        np.testing.assert_allclose(milvus_scores, faiss_scores, atol=1e-5)

    with TestClient(create_api(milvus_settings, QAService(milvus_settings, embedder))) as client:
        for question in QUESTIONS:
            got = client.post("/api/ask", json={"question": question}).json()
            expected = service.ask(question)
            assert got["answer"] == expected.answer, question
            assert [c["chunk_id"] for c in got["citations"]] == [c.hit.chunk.chunk_id for c in expected.citations]


def test_rebuilds_keep_one_collection_per_kept_build_and_drop_the_rest(milvus_settings, milvus_uri, embedder):
    prefix = milvus_settings.milvus_prefix
    other_deployment = pymilvus.MilvusClient(uri=milvus_uri)
    other_deployment.create_collection(f"other_{prefix}", dimension=4)
    # What a build killed after writing its vectors, before its swap, leaves behind.
    other_deployment.create_collection(f"{prefix}_20200101T000000000000", dimension=4)

    builds = [build_from_corpus(milvus_settings, embedder, show_progress=False).name for _ in range(3)]
    kept = {p.name for p in milvus_settings.index_dir.iterdir() if p.name[:1].isdigit()}
    assert kept == set(builds[1:]), "two builds are kept on disk"
    ours = {c for c in _collections(milvus_uri) if c.startswith(f"{prefix}_")}
    assert ours == {f"{prefix}_{b}" for b in builds[1:]}, "pruned and orphaned collections are dropped"
    assert f"other_{prefix}" in _collections(milvus_uri), "another deployment's collection is left alone"
    assert load_index(milvus_settings.index_dir, embedder, milvus_settings.vector_store_config()).path.name == builds[2]


def test_vector_database_failures_are_clear_503s(milvus_settings, milvus_uri, embedder):
    build = build_from_corpus(milvus_settings, embedder, show_progress=False)
    service = QAService(milvus_settings, embedder)

    unreachable = milvus_settings.model_copy(update={"milvus_uri": "http://127.0.0.1:9", "milvus_timeout_s": 2})
    with pytest.raises(VectorStoreUnavailable, match=r"127\.0\.0\.1:9\b"):
        QAService(unreachable, embedder)

    # The build's collection dropped behind the server's back: questions get a 503 that says why.
    pymilvus.MilvusClient(uri=milvus_uri).drop_collection(f"{milvus_settings.milvus_prefix}_{build.name}")
    with TestClient(create_api(milvus_settings, service)) as client:
        r = client.post("/api/ask", json={"question": QUESTIONS[0]})
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "vector_store_unavailable" and "Milvus" in r.json()["message"]
        assert client.get("/healthz").status_code == 200, "the process itself stays up"
    with pytest.raises(Exception, match="not in Milvus") as caught:
        QAService(milvus_settings, embedder)
    assert "policy-qa index" in str(caught.value)


def test_filtered_search_returns_exactly_the_nearest_allowed_rows_past_milvus_top_k_cap(milvus_uri, tmp_path):
    # More rows than Milvus's 16,384 limit: asking for every row and filtering afterwards cut allowed rows off;
    # the filter expression makes Milvus rank the allowed rows only.
    rows = np.random.default_rng(0).standard_normal((MAX_TOP_K + 3_616, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    config = VectorStoreConfig(backend="milvus", milvus_uri=milvus_uri, milvus_prefix="t_filter", timeout_s=60)
    store = make_vector_store(config)
    vectors = store.open(store.build(rows, tmp_path, "b1"), tmp_path)
    query = rows[0]
    for allowed in (np.array([3, 17_000, 19_999], dtype=np.int64),  # three rows, two past the cap
                    np.arange(1, len(rows), 2, dtype=np.int64),  # 10,000 rows
                    np.arange(2_000, len(rows), dtype=np.int64)):  # 18,000 rows: more than the cap
        positions, scores = vectors.search(query, 10, allowed)
        exact = allowed[np.argsort(-(rows[allowed] @ query))[:10]]
        assert positions.tolist() == exact.tolist(), len(allowed)
        np.testing.assert_allclose(scores, rows[exact] @ query, atol=1e-5)
