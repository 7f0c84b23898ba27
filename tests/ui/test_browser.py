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
FAIL_Q = "故障演练：请回答失败"
ABSTAIN_Q = "火星移民计划的预算是多少?"
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
    answer = service.ask_stream

    def failing(question: str, *args, **kwargs):  # one question fails inside the service, as a bug would
        if FAIL_Q in question:
            raise RuntimeError("injected failure")
        return answer(question, *args, **kwargs)

    service.ask_stream = failing  # type: ignore[method-assign]
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
    page.locator("#pq-chat a.pq-cite").last.wait_for(state="visible")


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


def test_document_markup_is_shown_as_text_in_both_uis(server: dict, page: Page, dialogs: list[str]) -> None:
    _ask_gradio(page, server["base"], XSS_Q)
    answer = page.locator("#pq-chat .pq-turn").last
    expect(answer.locator(".pq-answer")).to_contain_text(SCRIPT_TEXT)
    expect(answer.locator(".pq-answer")).to_contain_text(IMG_TEXT)
    answer.locator("a.pq-cite").first.click()
    expect(answer.locator(".pq-ev-text mark")).to_contain_text(SCRIPT_TEXT)
    expect(answer.locator(".pq-ev-text mark")).to_contain_text(IMG_TEXT)
    _no_live_markup(page, dialogs, "#pq-chat")

    _ask_widget(page, server["base"], XSS_Q)
    bot = page.locator("#pq-messages .pq-msg-bot").last
    expect(bot.locator(".pq-answer")).to_contain_text(SCRIPT_TEXT)
    bot.locator("button.cite").first.click()
    expect(bot.locator(".pq-excerpt-text").first).to_contain_text(SCRIPT_TEXT)
    _no_live_markup(page, dialogs, "#pq-messages")


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


def test_officials_tables_tab_shows_matrix_and_offers_downloads(server: dict, page: Page) -> None:
    _sign_in(page, server["base"])
    page.get_by_role("tab", name="责任分工").click()
    page.locator("#pq-units-doc input").click()
    page.get_by_role("option", name="包头市人民政府关于促进高新技术产业开发区高质量发展的实施意见", exact=True).click()
    grid = page.locator("#pq-units-table")
    expect(grid).to_contain_text("市科技局")
    expect(grid).to_contain_text("强化科技金融服务")
    link = page.locator("#pq-units-links a", has_text="Excel")
    expect(link).to_have_attribute("href", "/api/documents/baotou-2022-hitech-zones/units?format=xlsx")
    assert httpx.get(server["base"] + link.get_attribute("href"), timeout=30).content[:2] == b"PK"  # a zip: xlsx
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tables-tab.png"))
    # The other way round: one unit, typed as readers write it, and its tasks in every document by role.
    page.locator("#pq-unit-name textarea, #pq-unit-name input").first.fill("包头市科学技术局")
    page.locator("#pq-unit-go").click()
    tasks = page.locator("#pq-unit-table")
    expect(tasks).to_contain_text("培育建设自治区级高新区")
    expect(tasks).to_contain_text("牵头")
    expect(page.locator("#pq-unit-links")).to_contain_text("份文件中共")
    page.locator("#pq-unit-links").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "unit-tasks.png"), full_page=True)


# --- both UIs as officials and citizens use them, on a desktop and on a phone -------------------------------

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"  # axe-core, vendored (MPL-2.0, see axe/README)
SHOTS = ARTIFACTS / "shots"


def _shot(page: Page, size: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size}-{name}.png"))


def _serious_axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it stands (all its rules, WCAG 2.1 AA and the
    2.2 target size among them)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document)).violations
        .filter(v => v.impact === "serious" || v.impact === "critical")
        .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).join(", "))""")
    return found


def _in_view(page: Page, locator) -> bool:
    """Some of the element is inside the window the reader is looking at."""
    box = locator.bounding_box()
    view = page.viewport_size
    return box is not None and box["y"] < view["height"] and box["y"] + box["height"] > 0


@pytest.fixture(params=list(SIZES))
def sized(request: pytest.FixtureRequest, browser: Browser, dialogs: list[str]) -> Iterator[tuple[str, Page]]:
    """One browser context per screen size, shared by everything the test does at that size; the phone one
    reports touch, as a phone does."""
    name = request.param
    phone = name == "phone"
    context = browser.new_context(viewport=SIZES[name], has_touch=phone, is_mobile=phone, locale="en-US",
                                  bypass_csp=True)  # the CSP would refuse the injected axe script
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        yield name, pg
    finally:
        context.close()


def _send(page: Page, question: str) -> None:
    page.locator("#pq-question textarea").fill(question)
    page.locator("#pq-send").click()


def _refuses_empty_and_too_long(page: Page, box: str, message: str) -> None:
    """An empty question gets a word; an over-long paste is kept whole, counted and refused with a message."""
    page.locator("#pq-send").click()
    expect(page.locator(message)).to_contain_text("请先输入问题")
    page.locator(box).fill("稀" * 2000)
    expect(page.locator("#pq-count")).to_contain_text("2000/1000 字")
    page.locator("#pq-send").click()
    expect(page.locator(message)).to_contain_text("问题过长：最多 1000 字")
    assert len(page.locator(box).input_value()) == 2000


def test_officials_chat_on_desktop_and_phone(server: dict, sized: tuple[str, Page]) -> None:
    size, page = sized
    base = server["base"]
    _sign_in(page, base)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # whatever the browser's language
    expect(page.get_by_label("输入问题")).to_be_visible()

    _refuses_empty_and_too_long(page, "#pq-question textarea", "#pq-ask-status")
    expect(page.locator("#pq-ask-status")).to_contain_text("问题过长：最多 1000 字，当前 2000 字")
    page.locator("#pq-ask-status").scroll_into_view_if_needed()
    _shot(page, size, "chat-too-long")

    # An answer carries its own sources; its citation opens the quoted sentence where the reader is looking,
    # focused and announced, the record after it.
    _send(page, RARE_EARTH_Q)
    first = page.locator("#pq-chat .pq-turn").nth(0)
    first.locator("a.pq-cite").first.wait_for()
    expect(page.locator("#pq-ask-status")).to_be_empty()
    expect(first.locator(".pq-answer")).to_contain_text("1000亿元")
    first.locator("a.pq-cite").first.click()
    quote = first.locator(".pq-ev-quote mark")
    expect(quote).to_contain_text("稀土产业产值达到1000亿元")
    assert _in_view(page, quote)
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    expect(page.locator("#pq-announce")).to_contain_text("已展开来源")
    order = first.locator(".pq-src[open] > *").evaluate_all("els => els.map(e => e.className)")
    assert order.index("pq-ev-quote") < order.index("pq-ev-meta")
    expect(first.locator(".pq-src summary").first).to_contain_text("《加快实施创新驱…实施意见》")  # short label
    expect(first.locator(".pq-ev-meta")).to_contain_text("关于加快实施创新驱动发展战略推进战略性新兴产业发展提质提效的实施意见")
    _shot(page, size, "chat-citation-open")

    # Declined: a clear notice with the reason in Chinese, and the related passages once.
    _send(page, ABSTAIN_Q)
    declined = page.locator("#pq-chat .pq-turn").nth(1)
    expect(declined.locator(".pq-declined")).to_contain_text("未找到答案")
    expect(declined).not_to_contain_text("以下条文可能相关")
    expect(declined.locator(".pq-sources-label")).to_have_text("相关条文（非答案，点击展开）")
    assert declined.locator(".pq-src").count() >= 1
    _shot(page, size, "chat-declined")

    # A failure stays in its message, in Chinese, with a request id and a retry; earlier answers stay and the
    # box stays usable.
    _send(page, FAIL_Q)
    failed = page.locator("#pq-chat .pq-failed")
    expect(failed).to_contain_text("回答失败")
    expect(failed.locator(".pq-reqid")).to_have_text(re.compile(r"请求编号：[0-9a-f]{12}"))
    expect(failed.locator("a.pq-retry")).to_be_visible()
    expect(first.locator(".pq-answer")).to_contain_text("1000亿元")
    expect(page.locator("text=Internal Server Error")).to_have_count(0)
    expect(page.locator("#pq-question textarea")).to_be_editable()
    _shot(page, size, "chat-failure")
    failed.locator("a.pq-retry").click()
    expect(page.locator("#pq-chat .pq-failed")).to_have_count(2)  # asked again, failed again, in its own message

    # Filters: empty years by default, a reversed range refused, an active filter shown as a badge with the
    # panel closed and on the answer.
    page.get_by_role("button", name=re.compile("^筛选条件")).click()
    expect(page.get_by_label("起始年份")).to_have_value("")
    page.get_by_label("起始年份").fill("2026")
    page.get_by_label("截止年份").fill("2025")
    page.get_by_label("截止年份").blur()
    _send(page, RARE_EARTH_Q)
    expect(page.locator("#pq-ask-status")).to_contain_text("年份范围无效")
    page.get_by_label("截止年份").fill("")
    page.get_by_label("起始年份").fill("2025")
    page.get_by_label("起始年份").blur()
    page.get_by_role("button", name=re.compile("^筛选条件")).click()
    expect(page.locator("#pq-filter-badge")).to_contain_text("已启用筛选：年份 2025 年起")
    _send(page, RARE_EARTH_Q)
    expect(page.locator("#pq-chat .pq-turn").last.locator(".pq-filter-note")).to_contain_text("年份 2025 年起")
    _shot(page, size, "chat-filtered")
    assert _serious_axe_violations(page) == []

    # The document browser: a catalogue row opens the document whole; its measure tree jumps in the text.
    page.get_by_role("tab", name="文件浏览").click()
    catalogue = page.locator("#pq-catalogue")
    for title in server["titles"]:
        expect(catalogue).to_contain_text(title)
    service = server["service"]
    hohhot = next(d for d in service.store.documents.values() if d.meta.script == "traditional")
    catalogue.get_by_text(hohhot.meta.title).click()
    view = page.locator("#pq-doc-view")
    last = [c for c in service.store.chunks_of(hohhot.meta.doc_id) if c.piece <= 1][-1]
    expect(view.locator(".pq-doc-text")).to_contain_text(last.text.replace("\n", "")[-20:])  # whole, to its end
    links = view.locator("nav a")
    assert links.count() > 5
    assert not links.filter(has_text=re.compile(r"^(\d+[.、．])\s*\1")).count()  # no "24. 24.强化…"
    target_link = links.nth(links.count() - 1)
    target = page.locator(f"#{target_link.get_attribute('href')[1:]}")
    target_link.click()
    assert _in_view(page, target)
    _shot(page, size, "document")
    assert _serious_axe_violations(page) == []


def test_widget_on_desktop_and_phone(server: dict, sized: tuple[str, Page]) -> None:
    size, page = sized
    page.goto(f"{server['base']}/widget")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    _refuses_empty_and_too_long(page, "#pq-input", "#pq-input-msg")
    if size == "phone":
        expect(page.locator(".pq-kbd-hint")).to_be_hidden()  # no Shift+Enter advice without a keyboard

    page.locator("#pq-input").fill(RARE_EARTH_Q)
    page.locator("#pq-send").click()
    bot = page.locator("#pq-messages .pq-msg-bot").nth(1)  # after the greeting
    cite = bot.locator("button.cite").first
    cite.wait_for()
    box = cite.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    cite.click()
    mark = bot.locator(".pq-excerpt-text mark").first
    expect(mark).to_contain_text("稀土产业产值达到1000亿元")
    assert _in_view(page, mark)
    expect(page.locator("#pq-announce")).to_contain_text("已展开来源 [1]")
    expect(bot.locator(".pq-source-title").first).to_have_text("《加快实施创新驱…实施意见》")
    _shot(page, size, "widget-citation-open")

    page.locator("#pq-input").fill(ABSTAIN_Q)
    page.locator("#pq-send").click()
    declined = page.locator("#pq-messages .pq-msg-bot").last
    expect(declined.locator(".pq-notice-title")).to_have_text("未找到答案")
    expect(declined.locator(".pq-doubt")).not_to_be_empty()
    expect(declined).not_to_contain_text("以下条文可能相关")  # the related passages are listed once
    expect(declined.locator(".pq-sources-label")).to_have_text("相关条文（非答案）")

    page.locator("#pq-input").fill(FAIL_Q)
    page.locator("#pq-send").click()
    failed = page.locator("#pq-messages .pq-error").last
    expect(failed.locator(".pq-reqid")).to_contain_text("请求编号：")
    expect(failed.locator(".pq-retry")).to_be_visible()
    expect(bot.locator(".pq-answer")).to_contain_text("1000亿元")
    _shot(page, size, "widget-failure")
    assert _serious_axe_violations(page) == []


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
