"""The responsibility matrix of a document: its measures × the units their notes name, the role in each cell as
the note words it (牵头 / 责任 / 配合 …). Units are merged as readers write them within the document (市科技局,
科技局 and 包头市科学技术局 are one column), each column named by its fullest spelling in the document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.lang.orgs import LEAD_LABEL, RESPONSIBLE_LABEL, unit_key
from corpus.lang.text import normalize_for_search
from corpus.model import Chunk

LEAD, RESPONSIBLE = "牵头", "负责"


@dataclass(frozen=True)
class Assignment:
    chunk: Chunk
    unit: str  # as this measure writes it
    key: str  # unit_key: equal for the same office within one document
    role: str  # 牵头, or the measure's own word for the others (责任, 配合, 参与 …; 负责 when it has none)
    lead: bool


@dataclass(frozen=True)
class Matrix:
    doc_id: str
    title: str
    units: tuple[str, ...]  # column names, in order of first appearance
    rows: tuple[tuple[Chunk, dict[str, str]], ...]  # (measure, column name → role), in document order


def role_words(chunk: Chunk) -> tuple[str, str]:
    """(lead word, other word) as the measure's unit note labels them ("牵头", "配合")."""
    text = chunk.text
    lead = LEAD_LABEL.search(text)
    other = RESPONSIBLE_LABEL.search(text)
    return (lead.group(0)[:2] if lead else LEAD), (other.group(0)[:2] if other else RESPONSIBLE)


def assignments(chunks: Sequence[Chunk]) -> list[Assignment]:
    """Every (measure, unit, role) the unit notes of `chunks` state, in document order; a measure split in
    pieces counts once."""
    out = []
    for chunk in chunks:
        if chunk.piece != 1:
            continue
        lead_word, other_word = role_words(chunk)
        for lead, units in ((True, chunk.lead_units), (False, chunk.responsible_units)):
            for unit in units:
                key = unit_key(normalize_for_search(unit))
                if len(key) >= 2:
                    out.append(Assignment(chunk, unit, key, lead_word if lead else other_word, lead))
    return out


def column_names(found: Sequence[Assignment]) -> dict[str, str]:
    """unit key → the fullest spelling the document gives it (市科技局 over 科技局)."""
    names: dict[str, str] = {}
    for a in found:
        if len(a.unit) > len(names.get(a.key, "")):
            names[a.key] = a.unit
    return names


def matrix(doc_id: str, title: str, chunks: Sequence[Chunk]) -> Matrix:
    found = assignments(chunks)
    names = column_names(found)
    rows: dict[str, tuple[Chunk, dict[str, str]]] = {}
    for a in found:
        cells = rows.setdefault(a.chunk.chunk_id, (a.chunk, {}))[1]
        cells.setdefault(names[a.key], a.role)  # a unit named twice keeps its first role
    return Matrix(doc_id, title, tuple(dict.fromkeys(names[a.key] for a in found)), tuple(rows.values()))
