"""The development question set."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SET = Path(__file__).resolve().parent / "questions.jsonl"


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str
    type: str
    answerable: bool
    gold_chunk_ids: tuple[str, ...]
    gold_facts: tuple[str, ...]
    doc_ids: tuple[str, ...]


def load_questions(path: Path = DEFAULT_SET) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["id"], r["question"], r["lang"], r["type"], r["answerable"], tuple(r["gold_chunk_ids"]),
                     tuple(r["gold_facts"]), tuple(r.get("doc_ids", ()))) for r in rows]
