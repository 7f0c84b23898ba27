"""A question asked inside a conversation: resolve it into a standalone question (rules, then an LLM's rewrite
when one is configured and the rewrite passes its check), answer that with the one-question pipeline, and
return, beside the answer, the question answered and the context the client sends back next time. The
server keeps nothing: the conversation travels with the client."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from app.answer import rewrite
from app.answer.followup import CLARIFY, STANDALONE, Resolution, Resolver, context_of
from app.answer.model import Answer, Thread
from app.answer.pipeline import LLMConfig, ask
from index.store import IndexStore
from retriever.hybrid import Filters, Retriever

log = logging.getLogger("policy_qa.answer")


def resolve(question: str, history: Sequence[tuple[str, str]], context: Thread | None, retriever: Retriever,
            store: IndexStore, llm: LLMConfig | None = None) -> tuple[Resolution, Thread]:
    """The resolution of `question` and the conversation state it was resolved against."""
    if not history and context is None:
        return Resolution(question, STANDALONE), Thread()  # a question on its own: nothing to resolve
    resolver = Resolver(store, retriever.analyse)
    thread = resolver.thread(history, context)
    resolution = resolver.resolve(question, thread)
    if llm and resolution.form != STANDALONE:  # the rules found a follow-up, resolved or not
        rewritten = rewrite.rewrite(question, history, thread, store, retriever.analyse, llm)
        if rewritten:
            resolution = Resolution(rewritten, "llm", resolution.doc_ids)
    return resolution, thread


def converse(question: str, history: Sequence[tuple[str, str]], context: Thread | None, retriever: Retriever,
             store: IndexStore, *, top_k: int, min_coverage: float, filters: Filters | None = None,
             llm: LLMConfig | None = None) -> Answer:
    resolution, thread = resolve(question, history, context, retriever, store, llm)
    if resolution.form == CLARIFY:
        return Answer(resolution.clarify, [], False, 0.0, mode="clarify", reason="the question's reference is unclear",
                      rule="followup_clarify", resolved="", followup=CLARIFY, context=thread)
    if resolution.doc_ids and not (filters and filters.doc_ids):
        kept = filters or Filters()
        filters = Filters(resolution.doc_ids, kept.issuer, kept.region, kept.year_from, kept.year_to, kept.lead_unit)
    answer = ask(resolution.question, retriever, store, top_k=top_k, min_coverage=min_coverage, filters=filters,
                 llm=llm)
    answer.resolved = resolution.display if resolution.inherited else ""
    answer.followup = resolution.form
    answer.context = context_of(thread, resolution, [c.hit.chunk for c in answer.citations], answer.abstained)
    return answer
