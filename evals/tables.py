"""Precision and recall of the officials' tables against hand-checked gold (evals/gold/tables.json): the
responsibility matrix of two documents (a row = measure, unit as written, lead or not) and the targets of two
(a row = measure, figure as written). `python -m evals.tables` prints the table the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.catalog import DEFAULT_CATALOG, DEFAULT_DOCUMENTS
from corpus.ingest import ingest_files
from corpus.matrix import assignments
from corpus.targets import targets

GOLD = Path(__file__).resolve().parent / "gold" / "tables.json"


def _pr(found: set, gold: set) -> dict[str, float | int]:
    hit = len(found & gold)
    return {"gold": len(gold), "found": len(found), "precision": hit / len(found) if found else 1.0,
            "recall": hit / len(gold) if gold else 1.0, "missed": sorted(gold - found)[:5],
            "extra": sorted(found - gold)[:5]}


def score(corpus_dir: Path = DEFAULT_DOCUMENTS, catalog: Path = DEFAULT_CATALOG) -> dict[str, dict]:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    files = sorted({*gold["matrix"], *gold["targets"]})
    result = ingest_files([corpus_dir / f for f in files], catalog)
    by_file = {d.meta.source_file: [c for c in result.chunks if c.doc_id == d.meta.doc_id] for d in result.documents}
    out = {}
    for name, rows in gold["matrix"].items():
        want = {(r["measure"], u, lead) for r in rows for lead, key in ((True, "lead"), (False, "responsible"))
                for u in r[key]}
        got = {(a.chunk.measure, a.unit, a.lead) for a in assignments(by_file[name])}
        out[f"matrix {name}"] = _pr(got, want)
    for name, rows in gold["targets"].items():
        out[f"targets {name}"] = _pr({(t.chunk.measure, t.figure) for t in targets(by_file[name])},
                                     {tuple(r) for r in rows})
    return out


if __name__ == "__main__":
    print("| table | gold rows | extracted | precision | recall |\n|---|---|---|---|---|")
    for table, s in score().items():
        print(f"| {table} | {s['gold']} | {s['found']} | {s['precision']:.3f} | {s['recall']:.3f} |")
    for table, s in score().items():
        if s["missed"] or s["extra"]:
            print(f"{table}: missed {s['missed']} extra {s['extra']}")
