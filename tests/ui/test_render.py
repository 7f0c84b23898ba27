"""How an answer is put before a reader, without a browser: the short label, the quoted sentence, the doubt
in plain Chinese, the filter note, the related passages listed once, and text kept inert."""

from __future__ import annotations

from app.answer.model import Answer, Citation
from app.present import citation_label, doubt, short_title
from app.schemas import AskResponse
from retriever.hybrid import Filters, Hit
from ui import render
from ui.chat import filters_of

TITLE = "关于加快实施创新驱动发展战略推进战略性新兴产业发展提质提效的实施意见"
TEXT = "加强稀土资源保护性开发。2024年,全市稀土产业产值达到1000亿元以上。"


def _hit(text: str = TEXT, measure: str = "24.", heading: str = "24.强化政策支持") -> Hit:
    from corpus.model import Chunk

    chunk = Chunk("d:u24", "d", TITLE, measure, (heading,), "measure", text, text, 0, len(text))
    return Hit(chunk, 1.0, 0.9, 1.0, 1)


def _response(answer: Answer, filtered: bool = False) -> AskResponse:
    return AskResponse.of(answer, None, 0.7, filtered=filtered)


def test_one_short_label_per_passage_with_measure_and_heading() -> None:
    assert short_title(TITLE) == "加快实施创新驱…实施意见"
    assert short_title("呼和浩特市工業科技創新能力提升三年行動計劃(2021-2023年)") == "呼和浩特市工業…行動計劃"
    assert short_title(TITLE, ("2026年包头市委一号文件", "包头市委一号文件")) == "包头市委一号文件"
    assert citation_label(_hit().chunk) == "《加快实施创新驱…实施意见》24.强化政策支持"  # not "24. 24.强化…"


def test_answer_quotes_its_sentence_and_keeps_the_full_stop_with_the_marker() -> None:
    answer = Answer("2024年,全市稀土产业产值达到1000亿元以上[1]。", [Citation(1, _hit())], False, 0.93)
    resp = _response(answer)
    a, b = resp.citations[0].highlight
    assert TEXT[a:b] == "2024年,全市稀土产业产值达到1000亿元以上。"
    html = render.answer_html(resp, 3, {}, "")
    assert '<span class="pq-nowrap"><a class="pq-cite" href="#pq-s-3-1"' in html
    assert "[1]</a>。</span>" in html  # the full stop never starts a line alone
    assert html.index("pq-ev-quote") < html.index("pq-ev-meta")  # the sentence first, the record second
    assert "\n\n" not in html and "依据不足" not in html


def test_low_confidence_is_marked_in_plain_chinese() -> None:
    resp = _response(Answer("产值达到1000亿元[1]。", [Citation(1, _hit())], False, 0.5))
    assert resp.low_confidence and resp.doubt == "依据不够充分，请核对引用原文后再使用。"
    assert "⚠ <strong>依据不足</strong>" in render.answer_html(resp, 1, {}, "")


def test_declined_answer_says_why_and_lists_related_passages_once() -> None:
    text = "未在已收录的政策文件中找到能回答该问题的内容。\n以下条文可能相关，仅供参考：\n[1] 《…》24.强化政策支持"
    answer = Answer(text, [Citation(1, _hit())], True, 0.1, reason="the passages do not mention 广州",
                    rule="places_and_years")
    resp = _response(answer, filtered=True)
    assert not resp.low_confidence  # a declined answer is not also "low confidence"
    assert resp.doubt == "相关条文没有提到问题中的广州。本次检索已按筛选条件限定范围，放宽筛选后可能找到答案。"
    html = render.answer_html(resp, 1, {}, "已按筛选条件检索：年份 2025 年起")
    assert "未找到答案" in html and "以下条文可能相关" not in html and html.count("<li ") == 1
    assert "相关条文（非答案" in html and "已按筛选条件检索：年份 2025 年起" in html
    assert "相关条文（非答案）" in render.copy_text(resp, {})


def test_corpus_and_user_text_stay_inert_and_apostrophes_single() -> None:
    hit = _hit(text="含有<script>alert(1)</script>的条文。")
    resp = _response(Answer("Baotou's <b>target</b>[1]", [Citation(1, hit)], False, 0.9))
    html = render.answer_html(resp, 1, {}, "")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Baotou's &lt;b&gt;" in html  # no "&#x27;" for the chat to show literally
    assert '&quot; onmouseover=&quot;y"' in render.failure_html("失败", "abc", 'x" onmouseover="y')


def test_filters_refuse_bad_years_and_a_reversed_range() -> None:
    assert filters_of(None, None, None, "", None) == Filters()  # empty boxes mean no limit
    assert filters_of(None, None, None, "2026", "2025") == "年份范围无效：起始年份 2026 晚于截止年份 2025。"
    assert filters_of(None, None, None, "20245", None) == "年份应在 1900–2100 之间。"
    assert filters_of(None, None, None, "二〇二四", None) == "年份应为四位数字，如 2024。"
    assert render.filter_summary(Filters(("d",), year_from=2025), {"d": "某文件"}) == "文件《某文件》；年份 2025 年起"


def test_doubt_is_empty_for_a_confident_answer() -> None:
    assert doubt(Answer("产值达到1000亿元[1]。", [Citation(1, _hit())], False, 0.9), 0.7) == ""
