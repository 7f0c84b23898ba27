"""Validity of the conversation set (evals/sets/conversations.jsonl): every gold span and fact is in its
document, it is big enough and switches topic often enough to measure what the issue asks, and both halves
hold every kind of follow-up."""

from __future__ import annotations

from collections import Counter

from corpus.ingest import discover, ingest_files
from corpus.lang.text import normalize_for_search
from evals.conversations import load_conversations
from evals.dataset import SETS, SPLITS


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split())


def test_gold_spans_and_facts_are_in_their_documents():
    texts = {}
    for qset in (SETS["bundled"], SETS["unseen"]):  # the cleaned text, as the question sets are checked
        result = ingest_files(discover([qset.corpus_dir]), qset.catalog or qset.corpus_dir / "none.yaml")
        texts |= {d.meta.source_file: _compact(d.text) for d in result.documents}
    for c in load_conversations():
        for i, turn in enumerate(c["turns"]):
            where = f"{c['id']}/{i}"
            assert bool(turn["gold"]) is turn["answerable"] and bool(turn["facts"]) is turn["answerable"], where
            for g in turn["gold"]:
                assert _compact(g["span"]) in texts[g["doc"]], f"{where}: span {g['span']!r}"
            for fact in turn["facts"]:
                assert any(_compact(fact) in texts[g["doc"]] for g in turn["gold"]), f"{where}: fact {fact!r}"


def test_the_set_measures_follow_ups_and_switches_on_both_halves():
    conversations = load_conversations()
    later = [t for c in conversations for t in c["turns"][1:]]
    assert len(conversations) >= 60 and all(2 <= len(c["turns"]) <= 3 for c in conversations)
    assert sum(bool(t.get("switch")) for t in later) >= 0.25 * len(later)
    assert all(c["turns"][0]["followup"] == "standalone" and not c["turns"][0].get("switch") for c in conversations)
    halves = {s: Counter(c["kind"] for c in conversations if c["split"] == s) for s in SPLITS}
    assert set(halves["heldout"]) >= {"aspect", "next", "doc", "measure", "switch"}
    assert abs(sum(halves["calibration"].values()) - sum(halves["heldout"].values())) <= 6
