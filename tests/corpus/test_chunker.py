"""The measure-number chunker on the five real documents and on small documents written here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.catalog import load_catalog
from corpus.chunker import chunk_document
from corpus.clean import clean_text
from corpus.ingest import discover, ingest_files
from corpus.model import INTRO, LEAD, MEASURE, PREAMBLE, DocumentMeta

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "corpus" / "documents"
SEED_JUNK = [  # lines the seeds' README lists as web debris
    "首页 > 行业资讯", "来源:江南娱乐-意甲尤文图斯亚", "热度:", "Baidu", "map", "请先登录 后发表评论~",
    "(见习编辑:曹靖宇;校对:李麒;一读:霍晓霞;一审:张燕青;二审:贾星慧;三审:王睿)", "新媒体引导图", "?????",
    "相关解读链接", "点击跳转原文链接", "信息公開選項",
]


@pytest.fixture(scope="module")
def corpus():
    result = ingest_files(discover([DOCS]))
    by_doc = {d.meta.doc_id: d for d in result.documents}
    chunks = {}
    for c in result.chunks:
        chunks.setdefault(c.doc_id, []).append(c)
    return result, by_doc, chunks


def _top_sections(chunks) -> set[str]:
    return {c.chunk_id.split(":")[1].split(".")[0] for c in chunks if c.kind in (MEASURE, INTRO)}


def test_top_level_section_counts(corpus):
    _, _, chunks = corpus
    assert len(_top_sections(chunks["baotou-2024-emerging-industries"])) == 7  # headings lost: 7 intros
    assert len(_top_sections(chunks["baotou-2026-innovation-efficiency"])) == 6
    assert len(_top_sections(chunks["baotou-2022-hitech-zones"])) == 8
    assert len(_top_sections(chunks["hohhot-2021-industrial-innovation"])) == 3
    assert len(_top_sections(chunks["chifeng-2023-hitech-zone"])) == 3


def _by_measure(chunks, measure):
    return [c for c in chunks if c.measure == measure]


def test_baotou_2024_measure_24_lead_units(corpus):
    _, _, chunks = corpus
    (m24,) = _by_measure(chunks["baotou-2024-emerging-industries"], "24.")
    assert m24.lead_units == ("市科技局", "财政局", "国资委", "金融办")
    assert m24.responsible_units == ("各旗县区", "稀土高新区")
    assert m24.heading_path[-1] == "24.强化政策支持"
    assert m24.text.startswith("24.强化政策支持。") and m24.text.endswith("稀土高新区)")


def test_baotou_2024_units_keep_parenthesised_company_whole(corpus):
    _, _, chunks = corpus
    (m1,) = _by_measure(chunks["baotou-2024-emerging-industries"], "1.")
    assert m1.lead_units == ("市工信局",)
    assert m1.responsible_units[-1] == "北方稀土(集团)公司"


def test_baotou_2024_section_target_intro_is_a_chunk(corpus):
    _, _, chunks = corpus
    intros = [c for c in chunks["baotou-2024-emerging-industries"] if c.kind == INTRO]
    assert len(intros) == 7
    assert any("2024年,全市稀土产业产值达到1000亿元以上" in c.text for c in intros)


def test_baotou_2024_numbering_gaps_are_reported(corpus):
    result, _, _ = corpus
    report = next(r for r in result.reports if r.doc_id == "baotou-2024-emerging-industries")
    gaps = " ".join(w for w in report.warnings if "gap" in w)
    for missing in ("4", "8", "13"):
        assert re.search(rf"measure {missing} missing", gaps)


def test_baotou_2026_run_in_headings_become_measures(corpus):
    _, _, chunks = corpus
    runin = _by_measure(chunks["baotou-2026-innovation-efficiency"], "二、(三) 提升旗帜型产业硬核实力")
    assert len(runin) == 1 and runin[0].text.startswith("提升旗帜型产业硬核实力。")
    (p14,) = _by_measure(chunks["baotou-2026-innovation-efficiency"], "五、(十四)")
    assert p14.heading_path == ("五、优化科技创新生态", "(十四)优化科技创新环境")


def test_baotou_2022_responsible_units_and_heading_lines(corpus):
    _, _, chunks = corpus
    (p3,) = _by_measure(chunks["baotou-2022-hitech-zones"], "二、(三)")
    assert p3.responsible_units == ("市科技局", "工信局", "财政局", "自然资源局", "稀土高新区管委会")
    assert "给予500万元资金支持" in p3.text
    assert _by_measure(chunks["baotou-2022-hitech-zones"], "八、(二十一)")


def test_hohhot_restarting_numbers_get_unique_paths(corpus):
    _, _, chunks = corpus
    hohhot = chunks["hohhot-2021-industrial-innovation"]
    ids = [c.chunk_id for c in hohhot]
    assert len(ids) == len(set(ids))
    (m,) = _by_measure(hohhot, "二、(三) 2.")
    assert m.text.startswith("2.建設獸用疫苗研發基地")  # original Traditional script kept
    assert "建设兽用疫苗研发基地" in m.search_text  # Simplified for search
    assert len([c for c in hohhot if c.measure.endswith(" 1.")]) == 7


def test_chifeng_yishi_items_and_annex(corpus):
    _, _, chunks = corpus
    chifeng = chunks["chifeng-2023-hitech-zone"]
    (x5,) = _by_measure(chifeng, "二、(一) 五是")
    assert x5.heading_path[-1] == "五是加速锂电池全产业链布局"
    (intro,) = [c for c in chifeng if c.measure == "二、(一)" and c.kind == INTRO]
    assert "到2027年工业产值达到1010亿元" in intro.text
    annex = [c for c in chifeng if c.kind == "annex"]
    assert annex and "赵志刚" in annex[0].text
    assert [c.kind for c in chifeng if c.kind == LEAD]  # the news summary is labelled, not a measure


def test_no_policy_sentence_is_lost(corpus):
    _, docs, chunks = corpus
    for doc_id, doc in docs.items():
        covered = " ".join(c.text for c in chunks[doc_id]) + " ".join(h for c in chunks[doc_id] for h in c.heading_path)
        for sentence in re.split(r"[。\n]", doc.text):
            sentence = sentence.strip()
            if len(sentence) >= 4:
                assert sentence in covered, f"{doc_id}: lost {sentence[:40]}"


def test_offsets_point_into_cleaned_text(corpus):
    result, docs, _ = corpus
    for c in result.chunks:
        assert docs[c.doc_id].text[c.start:c.end] == c.text


def test_junk_lines_do_not_survive(corpus):
    _, docs, _ = corpus
    for doc in docs.values():
        lines = doc.text.split("\n")
        for junk in SEED_JUNK:
            assert not any(line.strip() == junk or line.startswith(junk) for line in lines), junk
        assert "?" not in doc.text


def test_chunk_ids_stable_across_runs():
    first = [c.chunk_id for c in ingest_files(discover([DOCS])).chunks]
    second = [c.chunk_id for c in ingest_files(discover([DOCS])).chunks]
    assert first == second and len(first) == len(set(first))


def _meta(doc_id="t"):
    return DocumentMeta(doc_id=doc_id, title="测试文件", source_file="t.txt")


def test_long_measure_is_split_and_pieces_keep_metadata():
    sentence = "推进测试产业发展,年内建成测试平台5家。"
    text = "一、总体要求\n(一)加强测试。" + sentence * 60 + "(牵头单位:市科技局;责任单位:市财政局)"
    chunks = chunk_document(_meta(), clean_text(text).text).chunks
    pieces = [c for c in chunks if c.measure == "一、(一)"]
    assert len(pieces) > 1 and all(len(p.text) <= 700 for p in pieces)
    assert {p.chunk_id for p in pieces} == {f"t:s1.p1~{i}" for i in range(1, len(pieces) + 1)}
    assert all(p.lead_units == ("市科技局",) for p in pieces)


def test_article_and_chapter_numbering():
    text = "第一章 总则\n第一条 为了规范管理,制定本办法。\n第二条 本办法适用于全市。\n第二章 附则\n第三条 本办法自印发之日起施行。"  # noqa: E501
    chunks = chunk_document(_meta(), text).chunks
    assert [c.measure for c in chunks if c.kind == MEASURE] == ["第一章 第一条", "第一章 第二条", "第二章 第三条"]


def test_units_on_a_line_of_their_own_with_full_width_numbering():
    text = ("二、重点任务\n（一）壮大人工智能产业。\n1．建设算力基础设施。新增智能算力规模5000P以上。\n"
            "牵头单位：市经信局；配合单位：市发改委、市数据资源局。\n2．培育人工智能企业。人工智能核心企业达到500家。\n"
            "牵头单位：市科技局。\n（二）牵头推进集成电路产业。设计业营收年均增长20%。")
    chunks = {c.measure: c for c in chunk_document(_meta(), text).chunks if c.kind == MEASURE}
    assert set(chunks) == {"二、(一) 1.", "二、(一) 2.", "二、(二)"}
    first = chunks["二、(一) 1."]
    assert first.lead_units == ("市经信局",) and first.responsible_units == ("市发改委", "市数据资源局")
    assert chunks["二、(一) 2."].lead_units == ("市科技局",)
    assert chunks["二、(二)"].lead_units == ()  # 牵头推进 is a verb, not a label


def test_document_without_numbering_is_still_chunked_with_warning():
    result = chunk_document(_meta(), "这是一段没有编号的通知正文。请各单位认真落实。")
    assert result.chunks and result.chunks[0].kind == PREAMBLE
    assert any("no numbered measures" in w for w in result.warnings)


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\xff" * 50)
    (tmp_path / "notes.xyz").write_text("一、总体要求")
    (tmp_path / "good.txt").write_text("关于测试的通知\n一、总体要求\n(一)测试措施。年内建成测试平台5家。")
    result = ingest_files(discover([tmp_path]))
    errors = {r.source_file: r.error for r in result.reports}
    assert errors["empty.txt"] and "empty" in errors["empty.txt"]
    assert errors["binary.txt"] and "binary" in errors["binary.txt"]
    assert errors["notes.xyz"] and "unsupported" in errors["notes.xyz"]
    assert errors["good.txt"] is None and [d.meta.doc_id for d in result.documents] == ["good"]


def test_catalogue_lists_every_bundled_document():
    catalog = load_catalog()
    assert sorted(catalog) == sorted(p.name for p in DOCS.glob("*.txt"))
    assert catalog["002_d68d64c65f227d56.txt"].doc_number == "包府发〔2022〕50号"
    assert catalog["003_02a90ea1468dd27b.txt"].script == "traditional"
