"""Question sets and their gold answers.

A gold passage is (document file, verbatim span and/or measure path as readers cite it), never a chunk id,
so a chunker change does not rewrite the gold. Every set is split once into a **calibration** half (what
thresholds, weights and word lists may be fitted on) and a **held-out** half (only ever measured); the
split is stored in the file, stratified by kind and language (`assign_splits`)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.catalog import DEFAULT_CATALOG, DEFAULT_DOCUMENTS
from corpus.lang.numbering import measure_path
from corpus.lang.text import normalize_for_search

ROOT = Path(__file__).resolve().parent
KINDS = ("number", "date", "fact", "article", "units", "unit_tasks", "list", "metadata", "compare", "validity",
         "unanswerable")
SPLITS = ("calibration", "heldout")


@dataclass(frozen=True)
class Gold:
    doc: str  # the document's file name
    span: str | None = None  # verbatim text of the passage that answers
    measure: str | None = None  # its number path as readers cite it ("第十二条", "二、(三)")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str  # "zh" or "en"
    script: str  # "simplified", "traditional" or "latin"
    kind: str
    answerable: bool
    split: str
    gold: tuple[Gold, ...] = ()
    facts: tuple[str, ...] = ()

    @property
    def docs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.doc for g in self.gold))


@dataclass(frozen=True)
class QuestionSet:
    name: str
    path: Path
    corpus_dir: Path
    catalog: Path | None  # None: every document's metadata is inferred from its text


SETS = {
    "bundled": QuestionSet("bundled", ROOT / "sets" / "bundled.jsonl", DEFAULT_DOCUMENTS, DEFAULT_CATALOG),
    "unseen": QuestionSet("unseen", ROOT / "sets" / "unseen.jsonl", ROOT / "unseen" / "documents", None),
}


def question_from_dict(row: Mapping[str, Any]) -> Question:
    gold = tuple(Gold(g["doc"], g.get("span"), g.get("measure")) for g in row.get("gold", ()))
    return Question(row["id"], row["question"], row["lang"], row["script"], row["kind"], bool(row["answerable"]),
                    row.get("split", "calibration"), gold, tuple(row.get("facts", ())))


def load_questions(path: Path = SETS["bundled"].path, split: str | None = None) -> list[Question]:
    """The questions of a set file, optionally of one split only."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [question_from_dict(r) for r in rows]
    return [q for q in questions if split is None or q.split == split]


def assign_splits(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with a `split`: within each (kind, language) stratum, questions ordered by a hash of their id
    alternate between calibration and held-out, so both halves have the same mix and the assignment does
    not depend on file order. Rows that already have a split keep it."""
    strata: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        strata[(row["kind"], row["lang"])].append(row)
    out = []
    for key in sorted(strata):
        members = strata[key]
        fixed = [r for r in members if r.get("split") in SPLITS]
        counts = {s: sum(r["split"] == s for r in fixed) for s in SPLITS}
        for row in sorted((r for r in members if r.get("split") not in SPLITS),
                          key=lambda r: hashlib.sha1(r["id"].encode()).hexdigest()):
            split = min(SPLITS, key=lambda s: (counts[s], SPLITS.index(s)))
            counts[split] += 1
            row = {**row, "split": split}
            out.append(row)
        out.extend(fixed)
    order = {r["id"]: i for i, r in enumerate(rows)}
    return sorted(out, key=lambda r: order[r["id"]])


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split())


def measure_matches(gold_measure: str, measure: str) -> bool:
    """The gold path is a contiguous run of the passage's path: "第十二条" matches "第二章 第十二条 (一)"."""
    want, have = measure_path(gold_measure), measure_path(measure)
    n = len(want)
    return bool(want) and any(have[i:i + n] == want for i in range(len(have) - n + 1))


def is_relevant(gold: Gold, hit: Mapping[str, Any], doc_ids: Mapping[str, str]) -> bool:
    """Whether a retrieved passage (a /api/search hit or an /api/ask citation) is a gold passage.
    `doc_ids` maps file names to the service's document ids."""
    if doc_ids.get(gold.doc) != hit.get("doc_id"):
        return False
    if gold.span:
        return _compact(gold.span) in _compact(hit.get("text", ""))
    return bool(gold.measure) and measure_matches(gold.measure, hit.get("measure", ""))
