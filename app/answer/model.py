"""What an answer is, inside the service (the HTTP models mirror it in app/schemas.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from retriever.hybrid import Hit


@dataclass(frozen=True)
class Citation:
    n: int
    hit: Hit


@dataclass(frozen=True)
class Thread:
    """What a conversation is about after an answer; the client sends it back with the next question."""

    question: str = ""  # the standalone question last answered
    doc_ids: tuple[str, ...] = ()
    chunk_ids: tuple[str, ...] = ()  # the measures the answer cited


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    abstained: bool
    confidence: float
    mode: str = "extractive"  # or "generative"
    notes: list[str] = field(default_factory=list)  # why the guard dropped text, why we abstained
    reason: str = "ok"  # the judge's or verifier's reason, in plain words, when abstained
    rule: str = ""  # the rule that refused, or the composer that answered
    items: list[tuple[Hit, str]] = field(default_factory=list)  # a list answer's every item, beyond those shown
    resolved: str = ""  # the standalone question answered, when a follow-up was resolved from the conversation
    followup: str = "standalone"  # how the question leaned on the conversation (app/answer/followup.py)
    context: Thread = field(default_factory=Thread)
