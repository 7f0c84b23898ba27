"""Numbering and metadata conventions of documents from other regions, each on a small text built here:
the chunker's paths, units and headings, and the metadata a reader would pick."""

from __future__ import annotations

from corpus.catalog import infer_meta
from corpus.chunker import chunk_document
from corpus.clean import clean_text
from corpus.model import DocumentMeta


def _doc(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _chunks(text: str):
    cleaned = clean_text(text).text
    return chunk_document(DocumentMeta(doc_id="d", title="t", source_file="d.txt"), cleaned).chunks


def _by_measure(text: str) -> dict[str, object]:
    return {c.measure: c for c in _chunks(text)}


def test_unit_lines_one_after_another_belong_to_the_measure():
    chunks = _by_measure(_doc(
        "一、加强组织领导",
        "建立联席会议制度，统筹推进各项工作。",
        "牵头单位：市发展改革委",
        "责任单位：市财政局、市科技局",
        "二、强化资金保障",
        "设立专项资金。",
        "牵头单位：市财政局",
    ))
    first = chunks["一、"]
    assert first.lead_units == ("市发展改革委",) and first.responsible_units == ("市财政局", "市科技局")
    assert set(chunks) == {"一、", "二、"}  # 责任单位 is not read as the heading of an item of its own


def test_a_cover_notice_does_not_parent_the_attached_regulation():
    chunks = _by_measure(_doc(
        "各区人民政府：",
        "一、请认真组织实施。",
        "二、执行中的问题请及时反馈。",
        "深圳市科技专家库管理办法",
        "第一条 为规范专家库管理，制定本办法。",
        "第二条 本办法自2025年1月1日起施行。",
    ))
    assert "第一条" in chunks and "第二条" in chunks
    assert not any(m.startswith("二、第") for m in chunks)
    assert chunks["第一条"].heading_path[0] == "深圳市科技专家库管理办法"


def test_unnumbered_chapter_headings_and_pinyin_glosses():
    chunks = _by_measure(_doc(
        "总 则",
        "第一条 为了保护湿地，制定本条例。",
        "第二条 本条例适用于本市。",
        "附 则",
        "第三条 本条例自公布之日起施行。",
    ))
    assert {"第一条", "第二条", "第三条"} <= set(chunks)
    assert chunks["第三条"].heading_path[0] == "附则"
    glossed = _by_measure(_doc(
        "一(yī)、总体要求",
        "坚持创新驱动。",
        "二(èr)、主要任务",
        "推进产业升级。",
    ))
    assert {"一、", "二、"} <= set(glossed)


def test_a_chapter_closes_the_article_before_it_even_when_the_first_chapter_heading_is_missing():
    chunks = _by_measure(_doc(
        "第一条 为了优化营商环境，制定本条例。",
        "第二条 符合下列条件的，应当免除相关责任：",
        "（一）符合改革方向；",
        "（二）勤勉尽责、未牟取私利。",
        "第二章  法律责任",
        "第三条 违反本条例规定的，依法处理。",
    ))
    assert "勤勉尽责" in chunks["第二条 (二)"].text and "法律责任" not in chunks["第二条 (二)"].text
    assert chunks["第二章 第三条"].heading_path[0] == "第二章法律责任"


def test_markdown_article_lists_with_explanatory_notes():
    chunks = _by_measure(_doc(
        "* 7 直轄市之設置，依本法規定。",
        "> 釋：照黨團協商條文通過。",
        "* 7.1 內政部基於全國國土合理規劃之需要，擬訂改制計畫。",
        "* 8 省政府受行政院指揮監督。",
    ))
    assert {"第7条", "第7条之1", "第8条"} <= set(chunks)
    assert "釋" in chunks["第7条"].text  # the note stays with its article
    assert "內政部" in chunks["第7条之1"].text


def test_article_numbers_alone_on_their_line_and_hyphenated_articles():
    chunks = _by_measure(_doc(
        "第 1 條",
        "為扶助中小企業之發展，特制定本條例。",
        "第 12-1 條",
        "政府應協助中小企業。",
    ))
    assert chunks["第1条"].text.endswith("特制定本條例。")
    assert "第12条之1" in chunks


def test_inline_section_numbers_after_a_sentence_end():
    chunks = _by_measure(_doc(
        "现就有关工作通知如下。 一、各地自查 各市要逐项自查。 二、部门自查 省级部门要深入自查。",
        "特此通知。",
    ))
    assert {"一、", "二、"} <= set(chunks)


def test_parenthesised_ideograph_items():
    chunks = _by_measure(_doc(
        "第五条 推广下列技术：",
        "㈠新型节能建筑体系；",
        "㈡可再生能源；",
    ))
    assert {"第五条 (一)", "第五条 (二)"} <= set(chunks)


def test_a_single_sentence_article_is_not_a_heading():
    chunks = _by_measure(_doc(
        "第二十四条 保护范围内执行国家环境噪声标准，白天控制在六十分贝以内。",
        "需要开展活动的，应当事先报告。",
    ))
    assert chunks["第二十四条"].heading_path[-1] == "第二十四条"
    assert "六十分贝" in chunks["第二十四条"].text


def test_metadata_is_the_documents_own():
    text = clean_text(_doc(
        "首页 > 政策文件",
        "【法宝引证码】 CLI.12.748997",
        "新余市人民政府办公室关于印发",
        "《新余市绿色建筑管理办法》的通知",
        "余府发〔2012〕3号",
        "各县区人民政府：",
        "根据《国务院关于印发节能减排综合性工作方案的通知》（国发〔2007〕15号），现将办法印发给你们。",
        "第一条 为推进绿色建筑发展，制定本办法。",
        "新余市人民政府办公室",
        "二○一二年一月九日",
    )).text
    meta = infer_meta("xinyu.txt", text)
    assert meta.title == "新余市人民政府办公室关于印发《新余市绿色建筑管理办法》的通知"  # joined, clutter skipped
    assert meta.doc_number == "余府发〔2012〕3号"  # not the 国发 number the notice cites
    assert meta.issue_date == "2012-01-09"  # the signature, in Chinese numerals
    assert meta.issuer == "新余市人民政府办公室"
    assert meta.region == "新余市"


def test_metadata_left_empty_rather_than_wrong():
    text = clean_text(_doc(
        "* 1 本法依憲法制定之。",
        "* 2 本法用詞之定義如下：一、地方自治團體。",
        "有效期至2027年12月31日。",
    )).text
    meta = infer_meta("local-act.md", text)
    assert meta.title == "local-act"  # no title line: the file's name, never a sentence of the text
    assert meta.doc_number is None and meta.issue_date is None and meta.issuer == ""


def test_portal_tables_and_long_issuers():
    cleaned = clean_text(_doc(
        "深圳经济特区人工智能产业促进条例",
        "发布日期：2022-09-05",
        "第一条 为了促进人工智能产业发展，制定本条例。",
        "深圳市人民代表大会常务委员会办公厅",
    ))
    meta = infer_meta("sz-ai.md", cleaned.text, cleaned.removed_lines)
    assert meta.published == "2022-09-05"  # from the portal line cleaning removed from the text
    assert meta.issuer == "深圳市人民代表大会常务委员会办公厅"  # longer than 12 characters
    assert meta.title == "深圳经济特区人工智能产业促进条例"


def test_labelled_and_markdown_titles():
    """A law database's "法規名稱：" line names the law; a page with no genre-ending title line is named by its
    Markdown heading, not by its file."""
    law = infer_meta("sme.md", clean_text(_doc("法規名稱：中小企業發展條例", "法規類別：法律", "第 1 條",
                                               "為協助中小企業。")).text)
    assert law.title == "中小企業發展條例"
    page = infer_meta("qa.md", clean_text(_doc("# 问答实录：《关于加快推动未来产业培育的若干措施》有关情况", "",
                                               "记者：未来产业的重点领域怎么确定？")).text)
    assert page.title == "问答实录：《关于加快推动未来产业培育的若干措施》有关情况"


def test_a_joint_document_is_signed_by_every_body_one_a_line():
    text = clean_text(_doc(
        "某七部门关于推动未来产业创新发展的实施意见",
        "一、总体要求。加快培育未来产业。",
        "工业和信息化部",
        "教育部",
        "科学技术部",
        "2024年1月18日",
    )).text
    meta = infer_meta("joint.md", text)
    assert meta.issuer == "工业和信息化部、教育部、科学技术部" and meta.issue_date == "2024-01-18"
