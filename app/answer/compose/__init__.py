"""Compose: one composer per answer shape, behind one Protocol. The pipeline asks each in order whether it
fits the question and the passages the judge let through; the first that fits writes the draft."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis


@dataclass(frozen=True)
class Draft:
    text: str  # with [n] markers, n counting from 1 over `cited`
    cited: tuple[Hit, ...]
    shape: str  # which composer wrote it
    quotes: tuple[str, ...] = ()  # the verbatim text quoted from the passages (what the verifier checks)
    items: tuple[tuple[Hit, str], ...] = ()  # a list answer's every item (passage, line), shown or not
    counted: tuple[str, ...] = ()  # counts the composer read off the structure ("共25项"), not off a passage


class Silent(Exception):
    """The question has this composer's shape and names its document, and the document does not state what is
    asked ("这份通知还有效吗?" of a notice that gives no period): a refusal with this reason, not another
    composer's nearest sentence."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule, self.reason = rule, reason


class Composer(Protocol):
    name: str

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        """A draft answer from `passages` (best first), or None when this shape does not fit; raises Silent when
        it fits and the document does not state the answer."""
        ...


def composers() -> list[Composer]:
    from app.answer.compose.items import ItemsComposer
    from app.answer.compose.quote import QuoteComposer
    from app.answer.compose.record import RecordComposer
    from app.answer.compose.tasks import TasksComposer
    from app.answer.compose.units import UnitsComposer

    return [RecordComposer(), UnitsComposer(), TasksComposer(), ItemsComposer(), QuoteComposer()]


def document_composers() -> list[Composer]:
    """Composers that answer from documents' structure (counts, validity, comparisons), tried on what was
    retrieved before the judge's passages: their answer is no one passage's sentence."""
    from app.answer.compose.compare import CompareComposer
    from app.answer.compose.structure import CountComposer, ValidityComposer

    return [CountComposer(), ValidityComposer(), CompareComposer()]
