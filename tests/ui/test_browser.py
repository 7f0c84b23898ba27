"""End-to-end checks of the two pages people use: the officials' Gradio chat at "/" and the public widget at
/widget, driven in headless Chromium against a real uvicorn server on loopback. The corpus is the bundled
five documents plus one whose text carries HTML/script markup, which must come out as text everywhere."""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
WAIT_MS = 60_000  # the longest any single wait may take

XSS_DOC = ("关于测试平台建设的通知\n\n一、总体要求\n(一)测试措施。"
           "本条含有<script>alert(1)</script>与<img src=x onerror=alert(2)>文字,年内建成测试平台7家。\n"
           "(二)保障措施。各部门加强协调配合。\n")
SCRIPT_TEXT = "<script>alert(1)</script>"
IMG_TEXT = "<img src=x onerror=alert(2)>"
RARE_EARTH_Q = "2024年包头市稀土产业产值目标是多少?"
XSS_Q = "测试平台建成多少家?"
OFFICIAL = ("reader", "reader-password-1")
ADMIN = ("chief", "chief-password-1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpus_data_dir: Path, embedder) -> Iterator[dict]:
    """A real server over the bundled corpus + the markup document. Module-scoped so every test shares one
    server; its data dir is a private copy of the session index (what fresh_data_dir does per test)."""
    import uvicorn

    from app.service import QAService, build_from_corpus
    from app.settings import Settings
    from policy_qa.server import create_app

    root = tmp_path_factory.mktemp("browser")
    data = root / "data"
    shutil.copytree(corpus_data_dir, data)
    docs = root / "docs"
    docs.mkdir()
    for path in sorted((REPO / "corpus" / "documents").glob("*.txt")):
        shutil.copy(path, docs / path.name)
    (docs / "xss.txt").write_text(XSS_DOC, encoding="utf-8")
    settings = Settings(data_dir=data, corpus_dir=docs, rate_limit_per_minute=10_000, log_json=True,
                        signin_attempts_per_minute=1000)
    build_from_corpus(settings, embedder, show_progress=False)  # only xss.txt is new to the embedding cache
    service = QAService(settings, embedder)
    app = create_app(settings, service)
    for who, role in ((OFFICIAL, "official"), (ADMIN, "admin")):
        app.state.accounts.add(*who, role=role)

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn-browser-tests", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            uv.should_exit = True
            pytest.fail("the test server did not come up within 60 s")
        time.sleep(0.2)
    bundled = [d.meta.title for d in service.store.documents.values() if d.meta.source_file != "xss.txt"]
    try:
        yield {"base": base, "titles": bundled, "service": service, "accounts": settings.accounts_path}
    finally:
        uv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=WAIT_MS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt the page opened (each is dismissed at once)."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.set_default_navigation_timeout(WAIT_MS)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        yield pg
    finally:
        context.close()


def _sign_in(page: Page, base: str, who: tuple[str, str] = OFFICIAL, path: str = "/") -> None:
    """Through the sign-in page, as an official would: the chat at `path` redirects there and back."""
    page.goto(f"{base}{path}")
    page.locator("#pq-username").fill(who[0])
    page.locator("#pq-password").fill(who[1])
    page.locator("#pq-login").click()
    page.wait_for_url(f"{base}{path}")


def _ask_gradio(page: Page, base: str, question: str) -> None:
    _sign_in(page, base)
    box = page.locator("#pq-question textarea")
    box.fill(question)
    page.locator("#pq-send").click()
    # the answer is final once its citation markers have become links
    page.locator("#pq-chat a[href^='#pq-cite:']").first.wait_for(state="visible")


def _ask_widget(page: Page, base: str, question: str) -> None:
    page.goto(f"{base}/widget")
    page.locator("#pq-input").fill(question)
    page.locator("#pq-send").click()
    page.locator("#pq-messages button.cite").first.wait_for(state="visible")


def _no_live_markup(page: Page, dialogs: list[str], area: str) -> None:
    page.wait_for_timeout(1000)  # give an injected onerror/script the chance to fire
    assert dialogs == []
    assert page.locator(f"{area} img[onerror]").count() == 0
    assert page.locator(f"{area} script").count() == 0
    assert page.evaluate("document.querySelectorAll('img[onerror]').length") == 0


def test_gradio_chat_answers_with_clickable_citation(server: dict, page: Page) -> None:
    _ask_gradio(page, server["base"], RARE_EARTH_Q)
    answer = page.locator("#pq-chat .message-content").last
    expect(answer).to_contain_text("1000亿元")
    evidence = page.locator("#pq-evidence")
    expect(evidence.locator("mark")).to_have_count(0)
    answer.locator("a[href^='#pq-cite:']").first.click()
    mark = evidence.locator("mark")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("稀土")
    expect(evidence).to_contain_text("关于加快实施创新驱动发展战略推进战略性新兴产业发展提质提效的实施意见")
    for label in ("文件标题", "发文机关", "日期", "文号", "条目", "牵头单位"):
        expect(evidence).to_contain_text(label)
    assert "#pq-cite" not in page.url  # the marker opened the panel, it did not navigate
    expect(page.locator("#pq-copy textarea")).to_have_value(re.compile(r"1000亿元[\s\S]*来源："))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gradio-chat.png"), full_page=True)


def test_widget_answers_with_clickable_citation(server: dict, page: Page) -> None:
    _ask_widget(page, server["base"], RARE_EARTH_Q)
    bot = page.locator("#pq-messages .pq-msg-bot").last
    expect(bot.locator(".pq-answer")).to_contain_text("1000亿元")
    passage = bot.locator(".pq-excerpt-text").first
    expect(passage).to_be_hidden()
    bot.locator("button.cite").first.click()
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("稀土")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget-answer.png"), full_page=True)


def test_document_markup_is_shown_as_text_in_both_uis(server: dict, page: Page, dialogs: list[str]) -> None:
    _ask_gradio(page, server["base"], XSS_Q)
    answer = page.locator("#pq-chat .message-content").last
    expect(answer).to_contain_text(SCRIPT_TEXT)
    expect(answer).to_contain_text(IMG_TEXT)
    answer.locator("a[href^='#pq-cite:']").first.click()
    expect(page.locator("#pq-evidence mark")).to_contain_text(SCRIPT_TEXT)
    expect(page.locator("#pq-evidence mark")).to_contain_text(IMG_TEXT)
    _no_live_markup(page, dialogs, "#pq-chat")
    _no_live_markup(page, dialogs, "#pq-evidence")

    _ask_widget(page, server["base"], XSS_Q)
    bot = page.locator("#pq-messages .pq-msg-bot").last
    expect(bot.locator(".pq-answer")).to_contain_text(SCRIPT_TEXT)
    bot.locator("button.cite").first.click()
    expect(bot.locator(".pq-excerpt-text").first).to_contain_text(SCRIPT_TEXT)
    _no_live_markup(page, dialogs, "#pq-messages")


def test_abstention_is_marked_and_passages_labelled_related(server: dict, page: Page) -> None:
    _sign_in(page, server["base"])
    page.locator("#pq-question textarea").fill("火星移民计划的预算是多少?")
    page.locator("#pq-send").click()
    expect(page.locator("#pq-chat .message-content").last).to_contain_text("未在已收录文件中找到答案")
    expect(page.locator("#pq-sources")).to_contain_text("相关条文（非答案）")


def test_document_browser_lists_catalogue_and_shows_measures(server: dict, page: Page) -> None:
    _sign_in(page, server["base"])
    page.get_by_role("tab", name="文件浏览").click()
    catalogue = page.locator("#pq-catalogue")
    assert len(server["titles"]) == 5
    for title in server["titles"]:
        expect(catalogue).to_contain_text(title)

    service = server["service"]
    hohhot = next(d for d in service.store.documents.values() if d.meta.script == "traditional")
    chunk = next(c for c in service.store.chunks if c.doc_id == hohhot.meta.doc_id and c.kind == "measure")
    page.locator("#pq-browse-doc input").click()
    page.get_by_role("option", name=hohhot.meta.title, exact=True).click()
    page.locator("#pq-browse-measure input").click()
    page.get_by_role("option").filter(has_text=chunk.measure).first.click()
    mark = page.locator("#pq-measure-view mark")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text(chunk.text.split("\n")[0][:30])  # Traditional script, as written


def test_filters_restrict_the_documents_searched(server: dict, page: Page) -> None:
    _sign_in(page, server["base"])
    page.get_by_text("筛选条件").click()
    page.get_by_label("起始年份").fill("2025")  # only the 2026 Baotou document is left
    page.locator("#pq-question textarea").fill(RARE_EARTH_Q)
    page.locator("#pq-send").click()
    sources = page.locator("#pq-sources label")
    expect(sources.first).to_be_visible()
    for text in sources.all_inner_texts():
        assert "关于深入实施创新驱动发展战略进一步提升区域科技创新整体效能的实施意见" in text


def test_chat_at_root_does_not_shadow_the_api(server: dict) -> None:
    base = server["base"]
    assert httpx.get(f"{base}/healthz", timeout=10).json()["documents"] == 6
    assert "/api/ask" in httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]
    assert "swagger" in httpx.get(f"{base}/docs", timeout=10).text.lower()
    assert 'id="pq-messages"' in httpx.get(f"{base}/widget", timeout=10).text
    assert httpx.get(f"{base}/api/documents", timeout=10).status_code == 200
    assert httpx.get(f"{base}/", timeout=10).status_code == 401  # the chat is for signed-in officials
    with httpx.Client(base_url=base, timeout=10) as official:
        official.post("/auth/login", json={"username": OFFICIAL[0], "password": OFFICIAL[1]})
        assert "gradio" in official.get("/").text.lower()


def test_sign_in_wrong_password_expiry_and_role_refusal(server: dict, page: Page) -> None:
    base = server["base"]
    page.goto(f"{base}/")
    expect(page.locator("#pq-login-form")).to_be_visible()  # sent to the sign-in page, not the chat
    page.locator("#pq-username").fill(OFFICIAL[0])
    page.locator("#pq-password").fill("not-the-password")
    page.locator("#pq-login").click()
    expect(page.locator("#pq-login-error")).to_have_text("用户名或密码错误。")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "login-wrong-password.png"))

    _sign_in(page, base)
    page.get_by_role("tab", name="管理").click()
    page.locator("#pq-reindex").click()
    expect(page.locator("#pq-reindex-status")).to_contain_text("需要管理员权限")  # refused by the server
    # The session runs out (its expiry moved into the past, as time would): the next visit asks to sign in.
    with sqlite3.connect(server["accounts"]) as db:
        db.execute("UPDATE sessions SET expires_at = 0")
    page.goto(f"{base}/")
    expect(page.locator("#pq-login-form")).to_be_visible()
    _sign_in(page, base, ADMIN)
    expect(page.locator("#pq-chat")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "chat-signed-in.png"))


def test_a_follow_up_is_answered_from_the_previous_measure_in_both_uis(server: dict, page: Page) -> None:
    first, follow_up = "强化政策支持的主要内容是什么?", "牵头单位呢?"
    _ask_gradio(page, server["base"], first)
    page.locator("#pq-question textarea").fill(follow_up)
    page.locator("#pq-send").click()
    answer = page.locator("#pq-chat .message-content").last
    expect(answer).to_contain_text("市科技局", timeout=WAIT_MS)
    expect(answer).to_contain_text("理解为：《关于加快实施创新驱动发展战略推进战略性新兴产业发展提质提效的实施意见》24.强化政策支持")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)
    page.locator("#pq-clear").click()  # a new conversation: the same words are a question on their own
    expect(page.locator("#pq-chat .message-content")).to_have_count(0)
    page.locator("#pq-question textarea").fill(follow_up)
    page.locator("#pq-send").click()
    alone = page.locator("#pq-chat .message-content").last
    expect(alone).not_to_contain_text("正在查找", timeout=WAIT_MS)
    expect(alone).not_to_contain_text("理解为")

    _ask_widget(page, server["base"], first)
    page.locator("#pq-input").fill(follow_up)
    page.locator("#pq-send").click()
    bot = page.locator("#pq-messages .pq-msg-bot").last
    expect(bot.locator(".pq-resolved")).to_contain_text("24.强化政策支持", timeout=WAIT_MS)
    expect(bot.locator(".pq-answer")).to_contain_text("市科技局")
    page.screenshot(path=str(ARTIFACTS / "widget-follow-up.png"), full_page=True)
