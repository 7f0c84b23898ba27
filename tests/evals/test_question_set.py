"""Validity of the question sets (evals/sets/*.jsonl) against the documents they are about: every gold span
and fact is in its document, every set is split into calibration and held-out halves of the same mix."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from corpus.catalog import load_catalog
from corpus.ingest import discover, ingest_files
from corpus.lang.text import normalize_for_search
from evals.dataset import KINDS, SETS, SPLITS, assign_splits, load_questions, measure_matches

FIELDS = {"id", "question", "lang", "script", "kind", "answerable", "split", "gold", "facts"}


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split())


@pytest.fixture(scope="module", params=list(SETS))
def qset(request):
    qset = SETS[request.param]
    rows = [json.loads(line) for line in qset.path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = ingest_files(discover([qset.corpus_dir]), qset.catalog or qset.corpus_dir / "none.yaml")
    return qset, rows, result


def test_schema(qset):
    _, rows, _ = qset
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert r["kind"] in KINDS and r["split"] in SPLITS and r["lang"] in ("zh", "en"), r["id"]
        assert r["answerable"] is (r["kind"] != "unanswerable"), r["id"]
        assert bool(r["gold"]) is r["answerable"] and bool(r["facts"]) is r["answerable"], r["id"]
        latin = sum(ch.isascii() and ch.isalpha() for ch in r["question"])
        cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in r["question"])
        assert (latin > 2 * cjk) is (r["lang"] == "en"), r["id"]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


def test_gold_spans_and_facts_are_in_their_documents(qset):
    _, rows, result = qset
    texts = {d.meta.source_file: _compact(d.text) for d in result.documents}
    for r in rows:
        docs = [texts[g["doc"]] for g in r["gold"]]
        for g in r["gold"]:
            assert g.get("span") or g.get("measure"), r["id"]
            if g.get("span"):
                assert _compact(g["span"]) in texts[g["doc"]], f"{r['id']}: span {g['span']!r}"
        for fact in r["facts"]:
            assert any(_compact(fact) in t for t in docs), f"{r['id']}: fact {fact!r}"


def test_gold_measures_exist_in_the_chunked_documents(qset):
    """A gold measure path names a measure the chunker finds in that document (or the span alone is gold)."""
    _, rows, result = qset
    files = {d.meta.doc_id: d.meta.source_file for d in result.documents}
    measures: dict[str, list[str]] = {}
    for c in result.chunks:
        measures.setdefault(files[c.doc_id], []).append(c.measure)
    found = total = 0
    for r in rows:
        for g in r["gold"]:
            if g.get("measure"):
                total += 1
                found += any(measure_matches(g["measure"], m) for m in measures[g["doc"]])
    assert total == 0 or found / total >= 0.9, f"{total - found} of {total} gold measures not found"


def test_splits_are_stratified_and_stable(qset):
    _, rows, _ = qset
    strata = Counter((r["kind"], r["lang"], r["split"]) for r in rows)
    for kind, lang in {(r["kind"], r["lang"]) for r in rows}:
        cal, held = strata[(kind, lang, "calibration")], strata[(kind, lang, "heldout")]
        assert abs(cal - held) <= 1, (kind, lang, cal, held)
    # Re-assigning keeps every split that is already stored.
    assert assign_splits(rows) == rows


def test_sets_cover_what_users_ask(qset):
    qset_, rows, result = qset
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["unanswerable"] >= 20 and kinds["list"] >= 10 and kinds["units"] + kinds["unit_tasks"] >= 15
    assert sum(r["lang"] == "en" for r in rows) >= 20
    per_doc = Counter(g["doc"] for r in rows for g in r["gold"])
    assert set(per_doc) == {d.meta.source_file for d in result.documents}, "every document has questions"
    assert load_questions(qset_.path, "heldout") and load_questions(qset_.path, "calibration")


def test_bundled_catalogue_covers_its_documents():
    catalog = load_catalog(SETS["bundled"].catalog)
    assert {m.source_file for m in catalog.values()} == {p.name for p in SETS["bundled"].corpus_dir.iterdir()}
