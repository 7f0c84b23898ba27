"""Faults the service must survive: a client that hangs up in the middle of an answer stream (on a real
uvicorn server over loopback), and an index build that is damaged on disk when the operator reloads."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.main import create_api
from app.service import QAService
from app.settings import Settings
from index.build import CURRENT, current_build, write_pointer
from index.errors import IndexCorrupt

pytestmark = pytest.mark.slow

QUESTION = "稀土新材料产值目标?"
FACT = "200亿元"  # evals/sets/bundled.jsonl q002
TIMEOUT = httpx.Timeout(60.0, connect=5.0)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(settings, service) -> Iterator[str]:
    """create_api(settings, service) served by a real uvicorn in a thread on a free loopback port."""
    port = _free_port()
    config = uvicorn.Config(create_api(settings, service), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start within 60 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "uvicorn did not stop within 15 s"


def _assert_serving(base: str) -> None:
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        r = client.post("/api/ask", json={"question": QUESTION})
        assert r.status_code == 200, r.text
        body = r.json()
        assert not body["abstained"] and FACT in body["answer"] and body["citations"]


def _first_event_then_hang_up(base: str, question: str) -> str:
    """Open the answer stream, read up to the first event's data line, then drop the connection."""
    event = ""
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client, \
            client.stream("POST", "/api/ask/stream", json={"question": question}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event:
                break
    return event  # leaving both blocks closes the response unread and then the connection


def test_a_client_hanging_up_mid_stream_leaves_the_server_serving(live_server):
    _assert_serving(live_server)
    assert _first_event_then_hang_up(live_server, QUESTION) == "citations"
    _assert_serving(live_server)


def test_many_hang_ups_in_a_row_and_before_any_event(live_server):
    long_question = "强化政策支持的牵头单位有哪些?稀土产业产值目标是多少?"
    for _ in range(8):
        assert _first_event_then_hang_up(live_server, long_question) == "citations"
    for _ in range(4):  # hang up right after sending the request, while the answer is still being computed
        with socket.create_connection(("127.0.0.1", int(live_server.rsplit(":", 1)[1])), timeout=5) as s:
            body = f'{{"question": "{QUESTION}"}}'.encode()
            s.sendall(b"POST /api/ask/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    _assert_serving(live_server)
    # The streams that were cut off must not have wedged the worker pool: several answers at once still work.
    results: list[int] = []

    def ask() -> None:
        with httpx.Client(base_url=live_server, timeout=TIMEOUT) as client:
            results.append(client.post("/api/ask", json={"question": QUESTION}).status_code)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    assert results == [200] * 6


# -- a damaged index on reload -----------------------------------------------------------------------------------

KEY = {"X-API-Key": "k"}


def _damage(faiss_file: Path, how: str) -> None:
    raw = faiss_file.read_bytes()
    if how == "garbage":
        faiss_file.write_bytes(b"this is not a faiss index " * 64)
    elif how == "truncated":
        faiss_file.write_bytes(raw[: len(raw) // 2])
    elif how == "empty":
        faiss_file.write_bytes(b"")
    elif how == "missing":
        faiss_file.unlink()
    else:
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["garbage", "truncated", "empty", "missing"])
def test_reload_onto_a_damaged_index_is_refused_and_the_old_one_keeps_serving(fresh_data_dir, embedder, how):
    settings = Settings(data_dir=fresh_data_dir, admin_api_key="k", rate_limit_per_minute=10_000)
    service = QAService(settings, embedder)
    old_build = current_build(settings.index_dir)
    assert old_build is not None
    with TestClient(create_api(settings, service)) as client:
        before = client.post("/api/ask", json={"question": QUESTION}).json()
        health_before = client.get("/healthz").json()
        assert FACT in before["answer"]

        new_build = settings.index_dir / "20991231T235959999999"  # sorts after every real build
        shutil.copytree(old_build, new_build)
        _damage(new_build / "vectors.faiss", how)
        write_pointer(settings.index_dir, CURRENT, new_build.name)
        assert current_build(settings.index_dir) == new_build

        assert client.post("/admin/reload").status_code == 401
        r = client.post("/admin/reload", headers=KEY)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/json")
        err = r.json()
        assert err["error"] == "index_corrupt" and err["request_id"] == r.headers["x-request-id"]
        assert "damaged" in err["message"] and "policy-qa index" in err["message"]

        after = client.post("/api/ask", json={"question": QUESTION})
        assert after.status_code == 200 and after.json() == before
        assert client.get("/healthz").json() == health_before
        assert service.store.path == old_build

    with pytest.raises(IndexCorrupt, match="policy-qa index") as caught:
        QAService(settings, embedder)
    assert "damaged" in caught.value.message and str(new_build) in caught.value.message


def test_reload_recovers_once_the_index_is_rebuilt(fresh_data_dir, embedder):
    settings = Settings(data_dir=fresh_data_dir, admin_api_key="k", rate_limit_per_minute=10_000)
    service = QAService(settings, embedder)
    old_build = current_build(settings.index_dir)
    with TestClient(create_api(settings, service)) as client:
        broken = settings.index_dir / "20991231T235959999999"
        shutil.copytree(old_build, broken)
        _damage(broken / "vectors.faiss", "garbage")
        write_pointer(settings.index_dir, CURRENT, broken.name)
        assert client.post("/admin/reload", headers=KEY).status_code == 503
        write_pointer(settings.index_dir, CURRENT, old_build.name)  # what a fresh `policy-qa index` amounts to here
        r = client.post("/admin/reload", headers=KEY)
        assert r.status_code == 200, r.text
        assert FACT in client.post("/api/ask", json={"question": QUESTION}).json()["answer"]


def test_reload_onto_a_read_only_index_folder_fails_before_swapping(fresh_data_dir, embedder, monkeypatch):
    settings = Settings(data_dir=fresh_data_dir, admin_api_key="k", rate_limit_per_minute=10_000)
    service = QAService(settings, embedder)
    old_build = current_build(settings.index_dir)
    with TestClient(create_api(settings, service)) as client:
        new_build = settings.index_dir / "20991231T235959999999"
        shutil.copytree(old_build, new_build)
        write_pointer(settings.index_dir, CURRENT, new_build.name)

        def read_only(*_: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("app.engine.write_pointer", read_only)
        r = client.post("/admin/reload", headers=KEY)
        assert r.status_code == 503 and r.json()["error"] == "index_not_writable", r.text
        assert "not writable" in r.json()["message"] and "old index keeps serving" in r.json()["message"]
        # this worker did not move on alone: its siblings, which follow SERVING, serve what it serves
        assert service.store.path == old_build
        monkeypatch.undo()
        assert client.post("/admin/reload", headers=KEY).json()["documents"] == 5
        assert service.store.path == new_build


def test_an_unexpected_error_on_an_admin_route_keeps_its_request_id(settings, service, monkeypatch):
    with TestClient(create_api(settings.model_copy(update={"admin_api_key": "k"}), service),
                    raise_server_exceptions=False) as client:
        monkeypatch.setattr(service, "reload", lambda: 1 / 0)
        r = client.post("/admin/reload", headers={**KEY, "X-Request-ID": "ops-ticket-42"})
        assert r.status_code == 500 and r.json()["error"] == "internal_error"
        assert r.json()["request_id"] == r.headers["x-request-id"] == "ops-ticket-42"
        r = client.post("/admin/reload", headers=KEY)
        assert r.json()["request_id"] == r.headers["x-request-id"] != "-"
