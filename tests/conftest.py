"""Shared fixtures. The real five-document index is built once per session with the real embedder;
unit tests build their own small corpora in tmp_path. No test may reach the network: sockets to
anything but loopback fail loudly."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) \
            and self.family != socket.AF_UNIX:
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> None:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def embedder():
    """The default embedder, as `policy-qa serve` loads it."""
    from app.settings import Settings
    from index.embedders import make_embedder

    return make_embedder(Settings().embedder)


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A data dir holding the built index of the bundled corpus (embeddings cached inside it)."""
    from app.service import build_from_corpus
    from app.settings import Settings

    data = tmp_path_factory.mktemp("data")
    build_from_corpus(Settings(data_dir=data), embedder, show_progress=False)
    return data


@pytest.fixture
def fresh_data_dir(tmp_path: Path, corpus_data_dir: Path) -> Path:
    """A private copy of the built corpus index (and its embedding cache) that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(corpus_data_dir, target)
    return target


@pytest.fixture(scope="session")
def settings(corpus_data_dir: Path):
    from app.settings import Settings

    return Settings(data_dir=corpus_data_dir, rate_limit_per_minute=10_000, log_json=True)


@pytest.fixture(scope="session")
def service(settings, embedder):
    from app.service import QAService

    return QAService(settings, embedder)


@pytest.fixture(scope="session")
def client(settings, service):
    from fastapi.testclient import TestClient

    from policy_qa.server import create_app

    with TestClient(create_app(settings, service)) as test_client:
        yield test_client


class FakeEmbedder:
    """Deterministic unit vectors from character counts: texts sharing characters point the same way. For
    unit tests of what comes after retrieval; end-to-end tests use the real model."""

    model_id = "fake:chars"
    dim = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, int(hashlib.md5(ch.encode()).hexdigest(), 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(list(texts))

    def embed_passages(self, texts: list[str], **_: object) -> np.ndarray:
        return self._embed(list(texts))


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def small_engine(tmp_path_factory: pytest.TempPathFactory, fake_embedder: FakeEmbedder):
    """Index documents written in a test ({file name: text}) with the fake embedder: (retriever, store)."""
    from corpus.ingest import ingest_files
    from index.build import build_index
    from index.store import load_index
    from retriever.hybrid import Retriever

    def build(texts: dict[str, str]):
        root = tmp_path_factory.mktemp("engine")
        for name, text in texts.items():
            (root / name).write_text(text, encoding="utf-8")
        result = ingest_files([root / name for name in texts], root / "no-catalog.yaml")
        build_index(result.documents, result.chunks, fake_embedder, root / "index", show_progress=False)
        store = load_index(root / "index", fake_embedder)
        return Retriever(store, fake_embedder), store

    return build


@pytest.fixture(scope="module")
def loopback():
    """Start apps on real uvicorn servers on free 127.0.0.1 ports, configured as `policy-qa serve` runs them
    (uvicorn's own proxy-header trust off); returns a function app -> base URL. Stopped after the module."""
    import threading
    import time

    import uvicorn

    from policy_qa.protocol import HeadDeadlineH11Protocol

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               proxy_headers=False, timeout_graceful_shutdown=5,
                                               http=HeadDeadlineH11Protocol, timeout_keep_alive=5))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 60 s"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=15)
