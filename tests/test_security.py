"""Every way into the served application, probed as an attacker would, against real servers on loopback:
the officials' chat and Gradio's own API behind sign-in, its file routes shut, one cost-weighted rate limit
and one bound on work for the API and the chat alike, X-Forwarded-For only from trusted proxies, the admin
key's tricks, upload path tricks."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from policy_qa.server import create_app

pytestmark = [pytest.mark.slow, pytest.mark.network]
OFFICIAL = ("reader", "reader-password-1")
ADMIN = ("chief", "chief-password-1")
SHORT_Q = "稀土新材料产值目标?"
LONG_Q = ("强化政策支持的牵头单位有哪些以及稀土产业产值目标" * 60)[:1000]
TIMEOUT = httpx.Timeout(120.0, connect=5.0)


def _server(loopback, settings, service, tmp_path, **overrides) -> str:
    s = settings.model_copy(update={"accounts_db": tmp_path / f"accounts-{len(overrides)}.sqlite3", **overrides})
    app = create_app(s, service)
    app.state.accounts.add(*OFFICIAL, role="official")
    app.state.accounts.add(*ADMIN, role="admin")
    return loopback(app)


@pytest.fixture(scope="module")
def base(loopback, settings, service, tmp_path_factory) -> str:
    return _server(loopback, settings, service, tmp_path_factory.mktemp("sec"), admin_api_key="k" * 32,
                   signin_attempts_per_minute=100)


@contextmanager
def _signed_in(base: str, who: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        r = client.post("/auth/login", json={"username": who[0], "password": who[1]})
        assert r.status_code == 200, r.text
        yield client


def _chat(client: httpx.Client, question: str, started: threading.Event | None = None) -> str:
    """Ask through Gradio's own API (what a script would call) and return the chat's last reply, or the message
    refusing the question (the status line beside the box: such a question never enters the chat); `started` is
    set once the chat is working on the question (its "looking up" message came)."""
    r = client.post("/gradio_api/call/respond", json={"data": [question, [], {}, [], None, None, None, None]})
    assert r.status_code == 200, r.text
    last = ""
    with client.stream("GET", f"/gradio_api/call/respond/{r.json()['event_id']}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and line[5:].strip() not in ("", "null"):
                data = json.loads(line[5:])
                if isinstance(data, list) and data and isinstance(data[0], list) and data[0]:
                    content = data[0][-1]["content"]
                    last = content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
                    if started is not None and "正在查找" in last:
                        started.set()
                if isinstance(data, list) and len(data) > 3 and isinstance(data[3], str) and data[3]:
                    last = data[3]
    return last


def test_the_chat_and_gradios_api_need_sign_in(base):
    with httpx.Client(base_url=base, timeout=TIMEOUT) as anon:
        page = anon.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2F"
        assert "登录" in anon.get("/login").text
        for method, path in (("POST", "/gradio_api/call/respond"), ("POST", "/gradio_api/queue/join"),
                             ("GET", "/gradio_api/info"), ("GET", "/config"), ("GET", "/gradio_api/config")):
            r = anon.request(method, path, json={"data": [SHORT_Q]})
            assert r.status_code == 401, (path, r.status_code)
            assert r.json()["error"] == "sign_in_required" and r.headers.get("x-request-id")
        # the public keeps the widget and the public API
        assert anon.get("/widget").status_code == 200
        assert anon.post("/api/ask", json={"question": SHORT_Q}).status_code == 200


def test_gradio_upload_and_file_routes_are_shut_even_when_signed_in(base):
    with httpx.Client(base_url=base, timeout=TIMEOUT) as anon, _signed_in(base, OFFICIAL) as official:
        for client in (anon, official):
            r = client.post("/gradio_api/upload", files={"files": ("x.txt", b"anything")})
            assert r.status_code in (401, 404) and "path" not in r.text
            assert client.get("/gradio_api/file=/etc/passwd").status_code in (401, 404)
        assert official.post("/gradio_api/upload", files={"files": ("x.txt", b"x")}).status_code == 404


def test_sign_in_sets_a_strict_http_only_cookie_and_a_wrong_password_says_only_that(base):
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        wrong = client.post("/auth/login", json={"username": OFFICIAL[0], "password": "guess-guess"})
        unknown = client.post("/auth/login", json={"username": "nobody", "password": "guess-guess"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["message"] == unknown.json()["message"] == "wrong user name or password"
    with _signed_in(base, OFFICIAL) as official:
        cookie = official.cookies.jar
        assert any(c.name == "pq_session" for c in cookie)
        assert official.get("/", headers={"Accept": "text/html"}).status_code == 200
        assert official.get("/auth/me").json() == {"username": "reader", "role": "official"}
        official.get("/auth/logout")
        assert official.get("/auth/me").status_code == 401


def test_sign_in_attempts_are_rate_limited_even_with_the_right_password(loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, signin_attempts_per_minute=3)
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        codes = [client.post("/auth/login", json={"username": OFFICIAL[0], "password": f"guess-{i}-xx"}).status_code
                 for i in range(3)]
        r = client.post("/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        assert codes == [401, 401, 401] and r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_admin_actions_are_checked_on_the_server_by_role_or_key(base):
    with _signed_in(base, OFFICIAL) as official, _signed_in(base, ADMIN) as admin, \
            httpx.Client(base_url=base, timeout=TIMEOUT) as anon:
        assert official.post("/admin/reload").status_code == 401
        assert admin.post("/admin/reload").json()["documents"] == 5
        for key in ("", "k" * 31, "k" * 16, "K" * 32, "k" * 33, "k" * 32 + "\t."):
            assert anon.post("/admin/reload", headers={"X-API-Key": key}).status_code == 401, repr(key)
        # a wrong key is not rescued by an admin's cookie: scripts and people are told apart
        assert admin.post("/admin/reload", headers={"X-API-Key": "wrong"}).status_code == 401
        assert anon.post("/admin/reload", headers={"X-API-Key": "k" * 32}).status_code == 200
        for name in ("../evil.txt", "..", "a/b.txt", ".hidden.txt", "run.sh", "%2e%2e%2fevil.txt"):
            r = admin.post("/admin/documents", files={"file": (name, "一、测试".encode())})
            assert r.status_code == 400, name


def test_the_chat_holds_questions_to_the_apis_length_rule(base):
    with _signed_in(base, OFFICIAL) as official:
        assert "问题过长" in _chat(official, "稀" * 10_000)
        assert "200亿元" in _chat(official, SHORT_Q)


def test_the_chat_and_the_api_share_one_budget(loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, rate_limit_per_minute=3)
    with _signed_in(base, OFFICIAL) as official:
        assert [official.post("/api/ask", json={"question": SHORT_Q}).status_code for _ in range(4)] == [
            200, 200, 200, 429]
        assert "提问过于频繁" in _chat(official, SHORT_Q)
        assert official.get("/api/documents").status_code == 429


def test_long_questions_cost_more_and_forwarded_for_is_not_trusted_from_anyone(loopback, settings, service,
                                                                              tmp_path):
    base = _server(loopback, settings, service, tmp_path, rate_limit_per_minute=60)
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        assert client.post("/api/ask", json={"question": LONG_Q}).status_code == 200
        r = client.post("/api/ask", json={"question": LONG_Q}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "counts as" in r.json()["message"]


def test_a_trusted_proxy_gives_each_client_its_own_budget(loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, rate_limit_per_minute=2, trusted_proxies=["127.0.0.0/8"])
    with httpx.Client(base_url=base, timeout=TIMEOUT) as proxy:
        def ask(client_ip: str) -> int:
            return proxy.post("/api/search", json={"query": "稀土"},
                              headers={"X-Forwarded-For": client_ip}).status_code
        assert [ask("198.51.100.1") for _ in range(3)] == [200, 200, 429]
        assert ask("198.51.100.2") == 200


def test_too_much_work_at_once_is_refused_with_503_and_retry_after(loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, max_running=1, max_waiting=0)
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client, ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: client.post("/api/ask", json={"question": LONG_Q[:300]}), range(6)))
    refused = [r for r in responses if r.status_code == 503]
    assert refused and all(r.headers.get("retry-after") for r in refused)
    assert {r.status_code for r in responses} == {200, 503}


def test_a_proxy_writing_rfc_7239_forwarded_names_the_client_and_x_forwarded_for_is_then_ignored(
        loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, rate_limit_per_minute=2, trusted_proxies=["127.0.0.0/8"],
                   proxy_header="forwarded")
    with httpx.Client(base_url=base, timeout=TIMEOUT) as proxy:
        def search(headers: dict[str, str]) -> int:
            return proxy.post("/api/search", json={"query": "稀土"}, headers=headers).status_code
        first = {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https'}
        # rotating X-Forwarded-For under the same Forwarded client gains nothing
        assert [search({**first, "X-Forwarded-For": f"198.51.100.{i}"}) for i in range(3)] == [200, 200, 429]
        assert search({"Forwarded": "for=192.0.2.60;proto=http, for=127.0.0.1"}) == 200


def test_an_upload_without_the_key_is_refused_before_its_body_is_read(base):
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        # 10 MB announced (under the upload limit), a few bytes sent: the answer must not wait for the rest
        sock.sendall(b"POST /admin/documents HTTP/1.1\r\nHost: x\r\nX-API-Key: wrong\r\n"
                     b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 10000000\r\n\r\n--b\r\n")
        reply = b""
        while b"X-API-Key" not in reply and (part := sock.recv(65536)):
            reply += part
    assert reply.startswith(b"HTTP/1.1 401") and b"X-API-Key" in reply


def test_a_connection_that_never_finishes_its_request_head_is_closed(base):
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as silent, \
            socket.create_connection((host, int(port)), timeout=60) as trickling:
        silent.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        trickling.sendall(b"GET /healthz HTTP/1.1\r\n")
        trickling.settimeout(1)
        for _ in range(60):  # a header line a second, as a slowloris client sends them
            try:
                trickling.sendall(b"X-Pad: 1\r\n")
                if trickling.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:  # reset by the server
                break
        else:
            raise AssertionError("a trickled request head kept its connection open for a minute")
        assert silent.recv(1) == b""  # closed by the server, not by our timeout
    # ordinary clients, kept-alive between requests, are not affected
    with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
        assert [client.get("/healthz").status_code for _ in range(3)] == [200, 200, 200]


def test_a_long_chat_question_does_not_hold_up_a_short_one(loopback, settings, service, tmp_path):
    base = _server(loopback, settings, service, tmp_path, rate_limit_per_minute=1000)  # both from 127.0.0.1
    finished: list[str] = []
    long_started = threading.Event()
    with _signed_in(base, OFFICIAL) as first, _signed_in(base, ADMIN) as second, ThreadPoolExecutor(1) as pool:
        long = pool.submit(lambda: (_chat(first, LONG_Q, long_started), finished.append("long")))
        assert long_started.wait(120)
        assert "200亿元" in _chat(second, SHORT_Q)
        finished.append("short")
        long.result()
    assert finished == ["short", "long"]  # with one chat job at a time it would wait for the long one
