"""Several workers over one index: a reload that reaches one worker is followed by the others, and
requests in flight meanwhile are all answered."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.service import QAService, build_from_corpus
from app.settings import Settings
from evals.bench.load import Server, free_port
from index.build import current_build

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
NEW_DOC = "测试市人民政府关于促进测试产业发展的实施方案\n一、发展目标\n(一)测试产业。到2025年测试产业产值达到88亿元。"
NEW_QUESTION = "测试产业产值目标是多少?"
NEW_FACT = "88亿元"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus" / "documents", target)
    return target


def test_workers_follow_a_reload_announced_by_one_of_them(fresh_data_dir, corpus, embedder):
    settings = Settings(data_dir=fresh_data_dir, corpus_dir=corpus)
    first, second = QAService(settings, embedder), QAService(settings, embedder)
    old = current_build(settings.index_dir)
    (corpus / "test-city.txt").write_text(NEW_DOC, encoding="utf-8")
    new = build_from_corpus(settings, embedder, show_progress=False)

    assert not second.follow_reload(), "a build alone is not served until an operator reloads"
    assert second.store.path == old and NEW_FACT not in second.ask(NEW_QUESTION).answer

    assert first.reload().path == new
    assert second.follow_reload() and second.store.path == new
    answer = second.ask(NEW_QUESTION)
    assert not answer.abstained and NEW_FACT in answer.answer
    assert not second.follow_reload(), "an announcement is followed once"

    # A worker started later serves the current build and ignores announcements made before it started.
    newest = build_from_corpus(settings, embedder, show_progress=False)
    late = QAService(settings, embedder)
    assert late.store.path == newest and not late.follow_reload() and late.store.path == newest


def test_two_worker_server_reloads_everywhere_without_dropping_requests(fresh_data_dir, corpus, embedder):
    settings = Settings(data_dir=fresh_data_dir, corpus_dir=corpus)
    server = Server(fresh_data_dir, free_port(), workers=2, extra_env={
        "POLICY_QA_CORPUS_DIR": str(corpus), "POLICY_QA_ADMIN_API_KEY": "k", "POLICY_QA_RELOAD_POLL_S": "0.2"})
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:  # a fresh connection each time, so both workers get requests
        while not stop.is_set():
            try:
                statuses.append(httpx.post(f"{server.base}/api/ask", json={"question": "稀土新材料产值目标?"},
                                           timeout=60).status_code)
            except httpx.HTTPError:
                statuses.append(0)

    def builds_seen(n: int) -> set[str]:
        return {httpx.get(f"{server.base}/healthz", timeout=30).json()["index_build"] for _ in range(n)}

    try:
        server.wait_ready()
        # Both workers must be serving before the new build exists: one starting after it would load it directly
        # and have nothing to follow (seen on a loaded machine).
        deadline = time.monotonic() + 180
        while server.log_tail(2000).count("worker ready") < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        old = builds_seen(1).pop()
        (corpus / "test-city.txt").write_text(NEW_DOC, encoding="utf-8")
        new = build_from_corpus(settings, embedder, show_progress=False).name
        assert builds_seen(10) == {old}

        askers = [threading.Thread(target=keep_asking) for _ in range(4)]
        for t in askers:
            t.start()
        time.sleep(1)
        reloaded = httpx.post(f"{server.base}/admin/reload", headers={"X-API-Key": "k"}, timeout=60)
        assert reloaded.status_code == 200 and reloaded.json()["index_build"] == new
        time.sleep(2)  # ten poll intervals
        stop.set()
        for t in askers:
            t.join(timeout=120)

        assert statuses and set(statuses) == {200}, f"requests failed during the reload: {statuses}"
        assert builds_seen(20) == {new}
        for _ in range(6):
            r = httpx.post(f"{server.base}/api/ask", json={"question": NEW_QUESTION}, timeout=60).json()
            assert not r["abstained"] and NEW_FACT in r["answer"]
        assert "announced by another worker" in server.log_tail(200), "the sibling worker did not reload"
    finally:
        stop.set()
        server.stop()
