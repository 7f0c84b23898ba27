"""Validity of the development question set evals/questions.jsonl against the real ingested corpus."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus.ingest import discover, ingest_files
from corpus.text import normalize_width

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "evals" / "questions.jsonl"
HOHHOT = "hohhot-2021-industrial-innovation"

LANGS = {"zh", "zh-hant", "en"}
TYPES = {"target", "number", "lead_unit", "responsible_unit", "list", "metadata", "measure_lookup",
         "cross_doc", "unanswerable"}
FIELDS = {"id", "question", "lang", "type", "answerable", "gold_chunk_ids", "gold_facts", "doc_ids"}


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    with QUESTIONS.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def corpus():
    result = ingest_files(discover([ROOT / "corpus" / "documents"]))
    return {c.chunk_id: c for c in result.chunks}, {d.meta.doc_id for d in result.documents}


def test_schema(questions):
    for q in questions:
        assert set(q) == FIELDS, q.get("id")
        assert re.fullmatch(r"q\d{3}", q["id"]), q["id"]
        assert q["question"].strip(), q["id"]
        assert q["lang"] in LANGS, q["id"]
        assert q["type"] in TYPES, q["id"]
        assert q["answerable"] is (q["type"] != "unanswerable"), q["id"]
        assert isinstance(q["gold_chunk_ids"], list) and isinstance(q["gold_facts"], list), q["id"]
        if q["lang"] == "en":
            assert q["question"].isascii(), q["id"]
        else:
            assert re.search(r"[\u4e00-\u9fff]", q["question"]), q["id"]


def test_ids_unique_and_size(questions):
    ids = [q["id"] for q in questions]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(questions) >= 80
    assert len({q["question"] for q in questions}) == len(questions), "duplicate question text"


def test_unanswerable_have_no_gold(questions):
    unanswerable = [q for q in questions if not q["answerable"]]
    assert len(unanswerable) >= 12
    for q in unanswerable:
        assert q["gold_chunk_ids"] == [] and q["gold_facts"] == [], q["id"]


def test_answerable_have_gold(questions):
    for q in questions:
        if q["answerable"]:
            assert q["gold_chunk_ids"], q["id"]
            assert 1 <= len(q["gold_facts"]) <= 3, q["id"]
            assert len(set(q["gold_chunk_ids"])) == len(q["gold_chunk_ids"]), q["id"]


def test_gold_chunks_exist(questions, corpus):
    chunks, doc_ids = corpus
    for q in questions:
        for cid in q["gold_chunk_ids"]:
            assert cid in chunks, f"{q['id']}: unknown chunk {cid}"
        assert set(q["doc_ids"]) <= doc_ids, q["id"]
        if q["answerable"]:
            assert set(q["doc_ids"]) == {chunks[cid].doc_id for cid in q["gold_chunk_ids"]}, q["id"]


def test_gold_facts_verbatim_in_gold_chunks(questions, corpus):
    chunks, _ = corpus
    for q in questions:
        texts = [normalize_width(chunks[cid].text) for cid in q["gold_chunk_ids"]]
        for fact in q["gold_facts"]:
            assert fact.strip() == fact and fact, q["id"]
            assert any(normalize_width(fact) in t for t in texts), \
                f"{q['id']}: fact {fact!r} not in gold chunks"


def test_category_minimums(questions, corpus):
    chunks, doc_ids = corpus
    types = Counter(q["type"] for q in questions)
    assert set(types) == TYPES, f"missing types: {TYPES - set(types)}"
    # exact targets and numbers are the largest group
    assert types["target"] + types["number"] == max(
        types["target"] + types["number"], *(n for t, n in types.items() if t not in ("target", "number")))
    assert types["lead_unit"] >= 3 and types["responsible_unit"] >= 3
    assert types["metadata"] >= 5 and types["measure_lookup"] >= 5 and types["list"] >= 5

    hohhot_zh = [q for q in questions if q["lang"] == "zh" and HOHHOT in q["doc_ids"] and q["answerable"]]
    assert len(hohhot_zh) >= 10
    english = [q for q in questions if q["lang"] == "en"]
    assert len(english) >= 12
    assert {d for q in english for d in q["doc_ids"]} == doc_ids, "English must cover every document"

    cross = [q for q in questions if q["type"] == "cross_doc"]
    assert len(cross) >= 6
    for q in cross:
        docs = [chunks[cid].doc_id for cid in q["gold_chunk_ids"]]
        assert len(set(docs)) >= 2, q["id"]
        # every document's gold chunk supplies at least one of the facts
        for cid in q["gold_chunk_ids"]:
            text = normalize_width(chunks[cid].text)
            assert any(normalize_width(f) in text for f in q["gold_facts"]), \
                f"{q['id']}: {cid} supplies no fact"


def test_documents_spread(questions, corpus):
    _, doc_ids = corpus
    per_doc = Counter(d for q in questions if q["answerable"] for d in q["doc_ids"])
    assert set(per_doc) == doc_ids
    assert min(per_doc.values()) >= 15
    # lead/responsible-unit questions only where the ingest parses units
    with_units = {"baotou-2024-emerging-industries", "baotou-2022-hitech-zones"}
    for q in questions:
        if q["type"] in ("lead_unit", "responsible_unit"):
            assert set(q["doc_ids"]) <= with_units, q["id"]


def test_unit_facts_match_parsed_units(questions, corpus):
    """Lead/responsible-unit facts are among the units the ingest parsed from the gold chunk."""
    chunks, _ = corpus
    for q in questions:
        if q["type"] not in ("lead_unit", "responsible_unit"):
            continue
        field = "lead_units" if q["type"] == "lead_unit" else "responsible_units"
        units = [normalize_width(u) for cid in q["gold_chunk_ids"] for u in getattr(chunks[cid], field)]
        for fact in q["gold_facts"]:
            assert any(normalize_width(fact) in u for u in units), f"{q['id']}: {fact!r} not in {field}"
