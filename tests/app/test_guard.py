"""The grounding guard against a fake OpenAI-compatible endpoint served on loopback by the test."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.answer import guard
from app.service import QAService

pytestmark = pytest.mark.slow
PASSAGE = "2024年,全市稀土产业产值达到1000亿元以上。"


def test_guard_drops_sentences_with_invented_numbers_and_units():
    passages = {1: PASSAGE + "(牵头单位:市工信局;责任单位:市发改委)"}
    result = guard.check("全市稀土产业产值达到1000亿元以上[1]。牵头单位是市工信局[1]。产值将达到1500亿元[1]。"
                         "牵头单位是市商务局[1]。另有补贴政策。", passages)
    assert "1000亿元" in result.text and "1500" not in result.text and "商务局" not in result.text
    assert result.kept == 2 and len(result.dropped) == 3
    assert not guard.check("产值将达到1500亿元[1]。", passages).usable


class _FakeLLM(BaseHTTPRequestHandler):
    reply: object = ""
    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        if self.delay:
            import time

            time.sleep(self.delay)
        if self.reply == 500:
            self.send_response(500)
            self.end_headers()
            return
        body = json.dumps({"choices": [{"message": {"content": self.reply}}]}) if isinstance(self.reply, str) \
            else "not json"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fake_llm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def _service(settings, embedder, url, timeout=5.0):
    return QAService(settings.model_copy(update={"llm_base_url": url, "llm_timeout_s": timeout}), embedder)


def test_hallucinated_numbers_from_the_llm_never_reach_the_user(settings, embedder, fake_llm):
    server, url = fake_llm
    server.RequestHandlerClass.reply = "根据资料,2024年全市稀土产业产值目标为1500亿元[1]。牵头单位为市商务局[1]。"
    answer = _service(settings, embedder, url).ask("2024年包头市稀土产业产值目标是多少?")
    assert answer.mode == "extractive" and "1500" not in answer.answer and "1000亿元" in answer.answer


def test_grounded_llm_answer_is_kept(settings, embedder, fake_llm):
    server, url = fake_llm
    server.RequestHandlerClass.reply = "2024年,全市稀土产业产值达到1000亿元以上[1]。"
    answer = _service(settings, embedder, url).ask("2024年包头市稀土产业产值目标是多少?")
    assert answer.mode == "generative" and answer.answer.startswith("2024年,全市稀土产业产值达到1000亿元以上[1]")


@pytest.mark.parametrize(("reply", "delay"), [(500, 0.0), (None, 0.0), ("慢", 3.0)])
def test_llm_down_garbage_or_slow_falls_back_to_extractive(settings, embedder, fake_llm, reply, delay):
    server, url = fake_llm
    server.RequestHandlerClass.reply, server.RequestHandlerClass.delay = reply, delay
    answer = _service(settings, embedder, url, timeout=1.0).ask("2024年包头市稀土产业产值目标是多少?")
    server.RequestHandlerClass.delay = 0.0
    assert answer.mode == "extractive" and "1000亿元" in answer.answer and answer.notes


def test_llm_unreachable_falls_back(settings, embedder):
    answer = _service(settings, embedder, "http://127.0.0.1:9/v1", timeout=1.0).ask("强化政策支持的牵头单位有哪些?")
    assert answer.mode == "extractive" and "市科技局" in answer.answer
