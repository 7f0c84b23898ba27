"""Hybrid retrieval over the real five-document index with the real embedder."""

from __future__ import annotations

import numpy as np
import pytest

from retriever.hybrid import Filters
from retriever.query import analyse, expand_english

pytestmark = pytest.mark.slow


def _top(service, query, k=1, filters=None):
    return [h.chunk.chunk_id for h in service.search(query, k, filters)]


def test_named_measure_found_first(service):
    assert _top(service, "包头2024年意见第24条讲了什么")[0] == "baotou-2024-emerging-industries:u7.24"
    assert _top(service, "呼和浩特行动计划二、(三)2.的内容")[0] == "hohhot-2021-industrial-innovation:s2.p3.2"


def test_simplified_question_finds_traditional_measure(service):
    hits = service.search("呼和浩特市战略性新兴产业产值目标是多少", 3)
    assert hits[0].chunk.chunk_id == "hohhot-2021-industrial-innovation:s1.p3.3"
    assert "產值達到500億元" in hits[0].chunk.text  # shown as written


def test_traditional_question_finds_simplified_measure(service):
    assert _top(service, "強化政策支持的牽頭單位有哪些")[0] == "baotou-2024-emerging-industries:u7.24"


def test_full_width_and_half_width_queries_match_the_same(service):
    assert _top(service, "包府发〔2022〕50号（二）发展目标", 3) == _top(service, "包府发[2022]50号(二)发展目标", 3)


def test_english_question_reaches_chinese_target(service):
    top5 = _top(service, "What is Baotou's 2024 target for rare earth industry output value?", 5)
    assert "baotou-2024-emerging-industries:u1.intro" in top5


def test_filters_restrict_documents_year_and_lead_unit(service):
    hits = service.search("产值目标", 10, Filters(doc_ids=("chifeng-2023-hitech-zone",)))
    assert hits and {h.chunk.doc_id for h in hits} == {"chifeng-2023-hitech-zone"}
    hits = service.search("科技创新", 10, Filters(year_from=2022, year_to=2022))
    assert hits and {h.chunk.doc_id for h in hits} == {"baotou-2022-hitech-zones"}
    hits = service.search("政策", 10, Filters(lead_unit="科技局"))
    assert hits and all(any("科技局" in u for u in h.chunk.lead_units) for h in hits)
    assert service.search("政策", 5, Filters(region="鄂尔多斯")) == []


def test_query_analysis_reads_structure():
    a = analyse("包府发〔2022〕50号第三条")
    assert a.doc_number == ("2022", "50") and a.measures[0].number == 3
    # The glossary gives the policy phrase (产值), the dictionary the subject (稀土): no industry is hand-listed.
    assert "产值" in expand_english("output value") and "稀土" not in expand_english("rare earth")
    assert {"稀土", "产值"} <= set(analyse("rare earth output value target").expansion.split())


def test_bm25_top_k_is_the_sorted_top_k_ties_by_position() -> None:
    from retriever.hybrid import top_k_positions

    scores = np.array([0.0, 3.0, 1.0, 1.0, 0.0, 5.0, 1.0, 0.0], dtype=np.float32)
    for k in range(1, 10):
        expected = np.argsort(-scores, kind="stable")[:k]
        assert sorted(top_k_positions(scores, k).tolist()) == sorted(expected.tolist())


def test_a_document_titled_by_its_romanised_file_name_is_named_in_chinese():
    """With no title line the file name is the title; "地方制度法" names taiwan_difang_zhidu_fa, a bare article
    number or a common word does not."""
    from corpus.model import DocumentMeta
    from retriever.query import names_document

    meta = DocumentMeta(doc_id="d", title="taiwan_difang_zhidu_fa", source_file="taiwan_difang_zhidu_fa.md")
    assert names_document(analyse("地方制度法第二十八條規定了什麼？"), meta)
    assert not names_document(analyse("第二十八条规定了什么？"), meta)
    assert not names_document(analyse("地方政府有哪些职责？"), meta)
    # four syllables shared with a long file name are a topic, not its name
    wenda = DocumentMeta(doc_id="w", title="shanghai_weilai_chanye_ruogan_cuoshi_wenda_2025", source_file="w.md")
    assert not names_document(analyse("未来产业实施意见的第14项任务是什么？"), wenda)
    assert names_document(analyse("上海未来产业若干措施问答说了什么？"), wenda)
