"""The grounding guard: every sentence of a generated answer must be backed by the passages it cites."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.grounding import claim_problems
from corpus.lang.numbers import unsupported_quantities
from corpus.lang.sentences import CITATION

MARKER = CITATION
_SENTENCE = re.compile(r"[^。！？!?；;\n]+(?:[。！？!?；;]|\s*(?:\[\d+\])+)*")
MIN_SUPPORT = 0.6  # share of a sentence's character bigrams found in its cited passages
MIN_KEPT = 0.5  # below this share of sentences surviving, the extractive answer is returned instead


@dataclass
class GuardResult:
    text: str
    kept: int
    dropped: list[tuple[str, list[str]]] = field(default_factory=list)  # (sentence, problems)

    @property
    def usable(self) -> bool:
        total = self.kept + len(self.dropped)
        return self.kept > 0 and self.kept / total >= MIN_KEPT


def check(answer: str, passages: dict[int, str]) -> GuardResult:
    """Keep the sentences whose [n] markers point at passages that back them; drop the rest."""
    kept: list[str] = []
    dropped: list[tuple[str, list[str]]] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(answer)):
        if not sentence or not re.search(r"[\w\u4e00-\u9fff]", MARKER.sub("", sentence)):
            continue
        cited = [int(n) for n in MARKER.findall(sentence)]
        if not cited:
            dropped.append((sentence, ["no citation"]))
            continue
        if any(n not in passages for n in cited):
            dropped.append((sentence, [f"citation out of range: {cited}"]))
            continue
        problems = claim_problems(sentence, [passages[n] for n in cited], MIN_SUPPORT)
        (dropped.append((sentence, problems)) if problems else kept.append(sentence))
    text = "".join(kept)
    # Belt and braces: the rule the product promises, checked on the final text as a whole.
    if unsupported_quantities(text, list(passages.values())):
        return GuardResult("", 0, [*dropped, (text, ["unsupported number after assembly"])])
    return GuardResult(text, len(kept), dropped)
