"""One question's way through: analyse (once) → retrieve → judge → compose → verify, and, when an LLM is
configured, a generated answer that the grounding guard checks before anyone sees it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.answer import generative, guard
from app.answer.compose import Draft, Silent, composers, document_composers
from app.answer.compose.cite import where
from app.answer.compose.record import RecordComposer
from app.answer.judge import CANDIDATES, SET_RULES, Verdict, judge
from app.answer.model import Answer, Citation
from app.answer.validity import expiry_note
from app.answer.verify import verify
from index.store import IndexStore
from retriever.hybrid import Filters, Hit, Retriever
from retriever.query import QueryAnalysis

log = logging.getLogger("policy_qa.answer")

ABSTAIN_TEXT = "未在已收录的政策文件中找到能回答该问题的内容。"
ABSTAIN_TEXT_EN = "The indexed policy documents do not answer this question."
RELATED = 3


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str
    timeout_s: float


def abstention(analysis: QueryAnalysis, related: list[Hit], verdict: Verdict) -> Answer:
    """The no-answer reply: says so and why, and lists the closest passages as related, not as an answer."""
    lines = [ABSTAIN_TEXT_EN if analysis.english else ABSTAIN_TEXT]
    if related:
        lines.append("Related passages (not an answer):" if analysis.english else "以下条文可能相关，仅供参考：")
        lines += [f"[{n}] {where(h.chunk)}" for n, h in enumerate(related, 1)]
    return Answer("\n".join(lines), [Citation(n, h) for n, h in enumerate(related, 1)], True, verdict.confidence,
                  notes=[verdict.reason], reason=verdict.reason, rule=verdict.rule)


def _answer(draft: Draft, verdict: Verdict) -> Answer:
    return Answer(draft.text, [Citation(n, h) for n, h in enumerate(draft.cited, 1)], False, verdict.confidence,
                  reason="ok", rule=draft.shape, items=list(draft.items))


def ask(question: str, retriever: Retriever, store: IndexStore, *, top_k: int, min_coverage: float,
        min_translated: float = 0.0, filters: Filters | None = None, llm: LLMConfig | None = None) -> Answer:
    analysis = retriever.analyse(question)
    hits = retriever.search(analysis, max(top_k, CANDIDATES), filters)
    verdict = judge(analysis, hits, store, min_coverage, min_translated)
    draft = None
    # A question about the document itself ("这份文件的文号") shares no words with its passages: the record
    # answers it when nothing it names is missing from the documents.
    if analysis.doc_facts and hits and verdict.rule not in {r.__name__ for r in SET_RULES}:
        draft = RecordComposer().compose(analysis, hits[:top_k], store)
        if draft is None and analysis.about_itself:
            # A 文号 or date quoted from the text would be another document's (a 印发 notice cites its superior's).
            return abstention(analysis, hits[:RELATED], Verdict(
                False, "document_record", "the document does not state what is asked about it", 0.2))
        if draft is not None:
            verdict = Verdict(True, "ok", "ok", max(verdict.confidence, 0.5), tuple(draft.cited))
    if draft is None and verdict.rule not in {r.__name__ for r in SET_RULES}:
        try:
            draft = next((d for c in document_composers() if (d := c.compose(analysis, hits[:top_k], store))), None)
        except Silent as silent:
            return abstention(analysis, hits[:RELATED], Verdict(False, silent.rule, silent.reason, 0.2))
        if draft is not None:
            verdict = Verdict(True, "ok", "ok", max(verdict.confidence, 0.5), tuple(draft.cited))
    if draft is None:
        if not verdict.answerable:
            return abstention(analysis, hits[:RELATED], verdict)
        passages = list(verdict.passages[:top_k])
        draft = next(d for c in composers() if (d := c.compose(analysis, passages, store)) is not None)
    problem = verify(draft, analysis)
    if problem:
        return abstention(analysis, hits[:RELATED], Verdict(False, "verify", problem, verdict.confidence * 0.5))
    answer = _answer(draft, verdict)
    if draft.shape != "validity":  # after verify: the document's own words for its period
        answer.answer += expiry_note([h.chunk.doc_id for h in draft.cited], store)
    if llm:
        return _generative(question, list(verdict.passages[:top_k]) or hits[:top_k], answer, analysis, llm)
    return answer


def _generative(question: str, hits: list[Hit], fallback: Answer, analysis: QueryAnalysis, llm: LLMConfig) -> Answer:
    try:
        text = generative.generate(question, hits, llm.base_url, llm.model, llm.api_key, llm.timeout_s)
    except generative.LLMError as exc:
        log.warning("LLM unavailable, extractive answer returned: %s", exc)
        fallback.notes.append(f"llm failed: {exc}")
        return fallback
    checked = guard.check(text, {n: h.chunk.text for n, h in enumerate(hits, 1)})
    used = sorted({int(n) for n in guard.MARKER.findall(checked.text)})
    draft = Draft(checked.text, tuple(hits[n - 1] for n in used), "generative", (checked.text,))
    problem = None if checked.usable else f"{len(checked.dropped)} sentence(s) not backed by their sources"
    problem = problem or verify(draft, analysis)
    if problem:
        log.warning("generated answer failed the grounding guard: %s", problem)
        fallback.notes.append(f"guard rejected the generated answer: {problem}")
        return fallback
    renumber = {old: new for new, old in enumerate(used, 1)}
    text = guard.MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", checked.text)
    return Answer(text, [Citation(renumber[n], hits[n - 1]) for n in used], False, fallback.confidence,
                  mode="generative", notes=[f"guard dropped: {s}" for s, _ in checked.dropped], reason="ok",
                  rule="generative")
