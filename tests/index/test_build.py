"""Index build, atomic swap, embedding cache, and the errors an operator sees."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.service import build_from_corpus
from app.settings import Settings
from corpus.errors import CorpusMissing
from index.build import current_build
from index.errors import BuildRefused, IndexCorrupt, IndexMismatch, IndexMissing
from index.store import load_index

REPO = Path(__file__).resolve().parents[2]


class FakeEmbedder:
    """Deterministic tiny embedder for build mechanics; quality is tested with the real model elsewhere."""

    def __init__(self, model_id: str = "fake:hash", dim: int = 8, delay: float = 0.0) -> None:
        self.model_id, self.dim, self.delay, self.embedded = model_id, dim, delay, 0

    def _vec(self, text: str):
        import numpy as np

        rng = np.random.default_rng(abs(hash(text)) % 2**32)
        v = rng.normal(size=self.dim).astype("float32")
        return v / np.linalg.norm(v)

    def embed_queries(self, texts):
        import numpy as np

        return np.stack([self._vec(t) for t in texts])

    def embed_passages(self, texts, batch_size=32, progress=None):
        import numpy as np

        out = []
        for t in texts:
            time.sleep(self.delay)
            out.append(self._vec(t))
            self.embedded += 1
            if progress:
                progress(1)
        return np.stack(out) if out else np.zeros((0, self.dim), dtype="float32")


def _corpus(tmp_path: Path, n: int) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    for i in range(n):
        (docs / f"doc{i}.txt").write_text(f"测试文件{i}的实施方案\n一、总体要求\n(一)措施{i}。年内建成平台{i + 2}家。\n"
                                          f"(二)保障{i}。(牵头单位:市科技局;责任单位:市财政局)", encoding="utf-8")
    return docs


def test_build_writes_manifest_and_loads(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 2))
    emb = FakeEmbedder()
    build = build_from_corpus(settings, emb, show_progress=False)
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["embedder"] == "fake:hash" and manifest["documents"] == 2 and manifest["chunks"] >= 4
    assert (manifest["vector_backend"], manifest["vector_index"]) == ("faiss", "IndexFlatIP")
    assert manifest["corpus_hash"]
    assert {"vectors.faiss", "chunks.jsonl"} <= set(manifest["checksums"])
    store = load_index(settings.index_dir, emb)
    assert len(store.chunks) == manifest["chunks"] and store.vectors.ntotal == len(store.chunks)


def test_adding_a_document_embeds_only_its_chunks(tmp_path):
    docs = _corpus(tmp_path, 2)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=docs)
    first = FakeEmbedder()
    build_from_corpus(settings, first, show_progress=False)
    _corpus(tmp_path, 3)  # adds doc2
    second = FakeEmbedder()
    build = build_from_corpus(settings, second, show_progress=False)
    new_chunks = sum(1 for line in (build / "chunks.jsonl").read_text().splitlines() if "doc2" in line)
    assert second.embedded == new_chunks > 0
    (docs / "doc0.txt").unlink()
    third = FakeEmbedder()
    build = build_from_corpus(settings, third, show_progress=False)
    assert third.embedded == 0 and json.loads((build / "manifest.json").read_text())["documents"] == 2


def test_an_emptied_corpus_is_not_published_unless_forced(tmp_path):
    """An unmounted volume looks like an empty folder: the serving index stays, and says why."""
    docs = _corpus(tmp_path, 4)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=docs)
    serving = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    for f in docs.iterdir():
        f.unlink()
    with pytest.raises(BuildRefused, match="no readable documents"):
        build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    assert current_build(settings.index_dir) == serving
    forced = build_from_corpus(settings, FakeEmbedder(), show_progress=False, force=True)
    assert current_build(settings.index_dir) == forced and json.loads((forced / "manifest.json").read_text())[
        "documents"] == 0


def test_losing_most_documents_is_refused_but_an_edit_is_not(tmp_path):
    docs = _corpus(tmp_path, 4)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=docs, max_document_loss=0.5)
    serving = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    for name in ("doc0.txt", "doc1.txt", "doc2.txt"):
        (docs / name).unlink()
    with pytest.raises(BuildRefused, match="1 documents where the serving one has 4"):
        build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    assert current_build(settings.index_dir) == serving
    _corpus(tmp_path, 2)  # doc0 and doc1 back: one document of four gone is an edit
    assert len(load_index(settings.index_dir, FakeEmbedder()).documents) == 4
    build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    assert len(load_index(settings.index_dir, FakeEmbedder()).documents) == 3


def test_a_mistyped_corpus_folder_is_an_error_not_an_empty_corpus(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "dcos")
    with pytest.raises(CorpusMissing, match="dcos"):
        build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    assert current_build(settings.index_dir) is None


def test_a_truncated_embedding_cache_is_recomputed_not_a_traceback(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 2))
    build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    cache = next((settings.index_dir / "cache").glob("*.npz"))
    cache.write_bytes(cache.read_bytes()[:100])
    again = FakeEmbedder()
    build_from_corpus(settings, again, show_progress=False)
    assert again.embedded > 0
    third = FakeEmbedder()
    build_from_corpus(settings, third, show_progress=False)
    assert third.embedded == 0  # the cache was written whole again


def test_missing_and_mismatched_index_say_how_to_fix(tmp_path):
    with pytest.raises(IndexMissing, match="policy-qa index"):
        load_index(tmp_path / "nothing", FakeEmbedder())
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 1))
    build = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    with pytest.raises(IndexMismatch, match="rebuild with `policy-qa index`"):
        load_index(settings.index_dir, FakeEmbedder(model_id="other", dim=8))
    # An index written by an older release, whose manifest has other fields.
    old = {k: v for k, v in json.loads((build / "manifest.json").read_text()).items() if k != "checksums"}
    (build / "manifest.json").write_text(json.dumps({**old, "format_version": 1, "faiss_index": "IndexFlatIP"}))
    with pytest.raises(IndexMismatch, match=r"index format 1 .* is not \d+; rebuild with `policy-qa index`"):
        load_index(settings.index_dir, FakeEmbedder())


def test_corrupted_index_file_is_a_clear_error(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 1))
    build = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    (build / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexCorrupt, match="damaged"):
        load_index(settings.index_dir, FakeEmbedder())


def test_vector_bytes_changed_in_place_are_caught_by_the_checksum(tmp_path):
    """A flipped byte inside the vector data still loads as a valid FAISS index and would silently change
    rankings; the manifest's checksums refuse it."""
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 1))
    build = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    raw = bytearray((build / "vectors.faiss").read_bytes())
    raw[-5] ^= 0xFF  # inside the last vector's floats
    (build / "vectors.faiss").write_bytes(bytes(raw))
    with pytest.raises(IndexCorrupt, match=r"vectors\.faiss changed or missing"):
        load_index(settings.index_dir, FakeEmbedder())
    (build / "chunks.jsonl").unlink()
    with pytest.raises(IndexCorrupt, match=r"chunks\.jsonl"):
        load_index(settings.index_dir, FakeEmbedder())


def test_rebuild_killed_midway_keeps_old_index(tmp_path):
    """A real `policy-qa index` process killed while embedding: the old index still loads, and the next
    build succeeds."""
    docs = _corpus(tmp_path, 1)
    data = tmp_path / "data"
    settings = Settings(data_dir=data, corpus_dir=docs)
    build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    old = current_build(settings.index_dir)
    _corpus(tmp_path, 4)
    script = (  # noqa: UP031
        "import sys; sys.path.insert(0, %r); sys.path.insert(0, %r)\n"
        "from pathlib import Path\nfrom test_build import FakeEmbedder\n"
        "from app.service import build_from_corpus\nfrom app.settings import Settings\n"
        "class Marking(FakeEmbedder):\n"
        "    def embed_passages(self, texts, **kw):\n"
        "        Path(%r).touch()\n"
        "        return super().embed_passages(texts, **kw)\n"
        "build_from_corpus(Settings(data_dir=%r, corpus_dir=%r), Marking(delay=0.5), show_progress=False)\n"
    ) % (str(REPO), str(Path(__file__).parent), str(tmp_path / "embedding"), str(data), str(docs))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    deadline = time.time() + 30
    while not (tmp_path / "embedding").exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert current_build(settings.index_dir) == old
    assert len(load_index(settings.index_dir, FakeEmbedder()).documents) == 1
    build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    assert len(load_index(settings.index_dir, FakeEmbedder()).documents) == 4
    assert not list(settings.index_dir.glob(".tmp-*"))


class FailingEmbedder(FakeEmbedder):
    def embed_passages(self, texts, batch_size=32, progress=None):
        raise RuntimeError("the model ran out of memory")


def test_a_failed_build_leaves_no_temporary_folder_and_the_old_index_serves(tmp_path):
    docs = _corpus(tmp_path, 1)
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=docs)
    build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    old = current_build(settings.index_dir)
    _corpus(tmp_path, 2)
    with pytest.raises(RuntimeError, match="out of memory"):
        build_from_corpus(settings, FailingEmbedder(), show_progress=False)
    assert not list(settings.index_dir.glob(".tmp-*"))
    assert current_build(settings.index_dir) == old


def test_files_read_in_worker_processes_index_the_same_chunks_in_the_same_order(tmp_path, capsys):
    docs = _corpus(tmp_path, 9)
    (docs / "doc9.txt").write_text((docs / "doc3.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    serial = build_from_corpus(Settings(data_dir=tmp_path / "serial", corpus_dir=docs, ingest_workers=-1),
                               FakeEmbedder(), show_progress=False)
    emb = FakeEmbedder()
    parallel = build_from_corpus(Settings(data_dir=tmp_path / "parallel", corpus_dir=docs, ingest_workers=2), emb)
    assert (parallel / "chunks.jsonl").read_text() == (serial / "chunks.jsonl").read_text()
    assert (parallel / "documents.jsonl").read_text() == (serial / "documents.jsonl").read_text()
    manifest = json.loads((parallel / "manifest.json").read_text())
    assert manifest["documents"] == 10 and manifest["embedded_chunks"] == emb.embedded > 0
    # progress and the throughput at the end, for whoever watches a long ingest
    err = capsys.readouterr().err
    assert "ingest" in err and "11/11" in err
    assert "ingested 10 of 11 files" in err and "chunks/s" in err


def test_the_manifest_names_library_versions_and_an_index_of_other_tokens_is_refused(tmp_path, caplog):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=_corpus(tmp_path, 1))
    build = build_from_corpus(settings, FakeEmbedder(), show_progress=False)
    manifest = json.loads((build / "manifest.json").read_text())
    assert {"faiss-cpu", "bm25s", "torch"} <= manifest["libraries"].keys()
    assert {"jieba", "opencc", "jieba dict.txt", "stopwords.txt"} == manifest["tokenizer"].keys()
    # built by another faiss: loads, with a warning naming it
    (build / "manifest.json").write_text(json.dumps({**manifest, "libraries": {
        **manifest["libraries"], "faiss-cpu": "0.9"}}))
    assert len(load_index(settings.index_dir, FakeEmbedder()).documents) == 1
    assert "faiss-cpu 0.9 then" in caplog.text
    # built with another stop-word list: its BM25 tokens are not the query's, so it is refused
    (build / "manifest.json").write_text(json.dumps({**manifest, "tokenizer": {
        **manifest["tokenizer"], "stopwords.txt": "0123456789abcdef"}}))
    with pytest.raises(IndexMismatch, match=r"other BM25 tokens \(stopwords.txt 0123456789abcdef then, \w+ now\)"):
        load_index(settings.index_dir, FakeEmbedder())
