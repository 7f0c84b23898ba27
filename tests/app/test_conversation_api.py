"""Conversations over the HTTP API on the bundled corpus: a client sends `history` and the `context` the
previous answer returned; follow-ups are answered from that answer's measure, topic switches inherit nothing,
the same holds on the stream, and an LLM's rewrite is used only when it brings in nothing new (a fake
OpenAI-compatible endpoint on loopback)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.answer.model import Thread
from app.service import QAService

FIRST = "强化政策支持的主要内容是什么?"


@pytest.fixture(scope="module")
def first(client) -> dict:
    response = client.post("/api/ask", json={"question": FIRST})
    assert response.status_code == 200
    return response.json()


def _follow(client, first: dict, question: str, path: str = "/api/ask"):
    history = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first["answer"]}]
    return client.post(path, json={"question": question, "history": history, "context": first["context"]})


def test_every_answer_returns_its_context(first):
    assert first["followup"] == "standalone" and first["resolved_question"] == ""
    assert first["context"]["question"] == FIRST
    assert "baotou-2024-emerging-industries:u7.24" in first["context"]["chunk_ids"]


def test_a_follow_up_is_answered_from_the_previous_answers_measure(client, first):
    body = _follow(client, first, "那它的牵头单位是谁?").json()
    assert body["followup"] == "aspect" and "24.强化政策支持" in body["resolved_question"]
    assert "市科技局" in body["answer"] and not body["abstained"]
    assert body["citations"][0]["chunk_id"] == "baotou-2024-emerging-industries:u7.24"


def test_the_stream_resolves_the_same_way(client, first):
    response = _follow(client, first, "牵头单位呢?", "/api/ask/stream")
    events = [(block.split("\n")[0].removeprefix("event: "), block.split("data: ", 1)[1])
              for block in response.text.replace("\r\n", "\n").split("\n\n") if "data: " in block]
    citations = json.loads(events[0][1])
    done = json.loads(events[-1][1])
    assert events[-1][0] == "done" and "24.强化政策支持" in citations["resolved_question"]
    assert "市科技局" in done["answer"] and done["context"]["chunk_ids"][0].endswith("u7.24")


def test_history_alone_resolves_from_the_previous_question(client):
    history = [{"role": "user", "content": "包头2024年稀土产业产值要达到多少?"}]
    body = client.post("/api/ask", json={"question": "呼和浩特呢?", "history": history}).json()
    assert body["followup"] == "place" and "呼和浩特" in body["resolved_question"]
    assert "包头" not in body["resolved_question"]


def test_a_topic_switch_is_answered_as_if_asked_alone(client, first):
    switched = _follow(client, first, "赤峰高新区产值目标?").json()
    alone = client.post("/api/ask", json={"question": "赤峰高新区产值目标?"}).json()
    assert switched["followup"] == "standalone" and switched["resolved_question"] == ""
    assert switched["answer"] == alone["answer"] and switched["citations"] == alone["citations"]


def test_a_follow_up_that_cannot_be_resolved_gets_a_question_back(client):
    stale = {"question": "", "doc_ids": ["no-such-document"], "chunk_ids": ["no-such:chunk"]}
    body = client.post("/api/ask", json={"question": "牵头单位呢?", "history": [{"role": "user", "content": "?"}],
                                         "context": stale}).json()
    assert body["followup"] == "clarify" and body["mode"] == "clarify" and not body["citations"]
    assert "哪份文件" in body["answer"]


@pytest.mark.parametrize(("payload", "words"), [
    ({"question": "牵头单位呢?", "context": {"chunk_ids": ["x"], "session": "y"}}, "session"),
    ({"question": "牵头单位呢?", "context": {"chunk_ids": ["x"] * 21}}, "chunk_ids"),
    ({"question": "牵头单位呢?", "history": [{"role": "system", "content": "x"}]}, "role"),
])
def test_a_malformed_conversation_gets_a_clear_422(client, payload, words):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 422 and words in response.json()["message"]


def test_openapi_documents_the_conversation(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    request, response = schemas["AskRequest"]["properties"], schemas["AskResponse"]["properties"]
    assert "send back" in response["context"]["description"] or "context" in request["context"]["description"]
    assert {"history", "context"} <= set(request) and {"resolved_question", "followup", "context"} <= set(response)


# --- an LLM's rewrite, checked -----------------------------------------------------------------------------

class _FakeLLM(BaseHTTPRequestHandler):
    reply = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        body = json.dumps({"choices": [{"message": {"content": self.reply}}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def llm_service(settings, embedder):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield QAService(settings.model_copy(update={"llm_base_url": f"http://127.0.0.1:{server.server_port}/v1"}),
                    embedder)
    server.shutdown()


@pytest.mark.parametrize(("reply", "form", "expected"), [
    ("强化政策支持这项措施的牵头单位有哪些?", "llm", "强化政策支持这项措施的牵头单位有哪些?"),  # nothing new: used
    ("广州市强化政策支持的牵头单位有哪些?", "aspect", "24.强化政策支持"),  # brings in 广州: rejected
    ("强化政策支持的牵头单位是市教育局吗?", "aspect", "24.强化政策支持"),  # brings in an organisation
    ("2030年强化政策支持的牵头单位有哪些?", "aspect", "24.强化政策支持"),  # brings in a year
])
def test_an_llm_rewrite_is_used_only_when_it_brings_in_nothing_new(llm_service, first, reply, form, expected):
    _FakeLLM.reply = reply
    context = Thread(first["context"]["question"], tuple(first["context"]["doc_ids"]),
                     tuple(first["context"]["chunk_ids"]))
    answer = llm_service.ask("牵头单位呢?", history=[("user", FIRST), ("assistant", first["answer"])],
                             context=context)
    assert answer.followup == form and expected in answer.resolved
    assert "市科技局" in answer.answer
