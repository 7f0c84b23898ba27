"""Records that flow from the corpus into the index: documents and their chunks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Chunk kinds. Only "measure" and "intro" carry numbered policy content; the rest stay searchable
# but are labelled so answers and rankings can treat them as context.
MEASURE = "measure"  # a numbered measure (leaf of the numbering tree), or a piece of one
INTRO = "intro"  # text of a numbered or implicit section before its first sub-measure (targets live here)
PREAMBLE = "preamble"  # cover letter, title block, opening paragraph before the first numbered section
ANNEX = "annex"  # 附件
LEAD = "lead"  # a news portal's summary before "原文如下"
CLOSING = "closing"  # signature, date and notes after the last measure
KINDS = (MEASURE, INTRO, PREAMBLE, ANNEX, LEAD, CLOSING)


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    title: str
    source_file: str
    issuer: str = ""
    doc_number: str | None = None
    issue_date: str | None = None  # ISO date
    published: str | None = None
    region: str = ""
    script: str = "simplified"
    title_en: str = ""
    issuer_en: str = ""
    region_en: str = ""
    summary_en: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def year(self) -> int | None:
        return int(self.issue_date[:4]) if self.issue_date else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentMeta:
        names = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in names}
        clean["aliases"] = tuple(clean.get("aliases") or ())
        return cls(**clean)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # doc_id + structural path: stable across rebuilds, never a counter
    doc_id: str
    title: str
    measure: str  # the number path as readers write it, e.g. "二、(三) 2."
    heading_path: tuple[str, ...]  # heading text of each level, outermost first
    kind: str
    text: str  # original script, exactly cleaned_text[start:end]
    search_text: str  # Simplified, normalised, heading path prepended
    start: int
    end: int
    lead_units: tuple[str, ...] = ()
    responsible_units: tuple[str, ...] = ()
    piece: int = 1  # 1-based piece number when a long measure was split
    pieces: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        data = dict(data)
        for key in ("heading_path", "lead_units", "responsible_units"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


@dataclass
class DocumentReport:
    """What `policy-qa ingest` prints for one document."""

    doc_id: str
    source_file: str
    measures: int = 0
    chunks: int = 0
    units_parsed: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
