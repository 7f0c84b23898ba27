"""A question asked inside a conversation: resolve it into a standalone question (rules, then an LLM's rewrite
when one is configured and the rewrite passes its check), answer that with the one-question pipeline, and
return, beside the answer, the question answered and the context the client sends back next time. The
server keeps nothing: the conversation travels with the client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.answer import rewrite
from app.answer.followup import CLARIFY, STANDALONE, Resolution, Resolver, context_of
from app.answer.model import Answer, Thread
from app.answer.pipeline import LLMConfig, ask
from index.store import IndexStore
from retriever.hybrid import Filters, Retriever


def resolve(question: str, history: Sequence[tuple[str, str]], context: Thread | None, retriever: Retriever,
            store: IndexStore, llm: LLMConfig | None = None) -> tuple[Resolution, Thread]:
    """The resolution of `question` and the conversation state it was resolved against."""
    if not history and context is None:
        return Resolution(question, STANDALONE), Thread()  # a question on its own: nothing to resolve
    resolver = Resolver(store, retriever.analyse)
    thread = resolver.thread(history, context)
    resolution = resolver.resolve(question, thread)
    # Only a question the rules found to be a follow-up is rewritten: a topic switch never meets the model.
    if llm and resolution.form != STANDALONE:
        rewritten = rewrite.rewrite(question, history, thread, store, retriever.analyse, llm)
        if rewritten:
            resolution = Resolution(rewritten, "llm", resolution.doc_ids)
    return resolution, thread


def converse(question: str, history: Sequence[tuple[str, str]], context: Thread | None, retriever: Retriever,
             store: IndexStore, *, top_k: int, min_coverage: float, min_translated: float = 0.0,
             filters: Filters | None = None, llm: LLMConfig | None = None) -> Answer:
    """The answer to `question` in its conversation, with the question answered and the context to send back;
    a question back when the follow-up cannot be resolved."""
    resolution, thread = resolve(question, history, context, retriever, store, llm)
    if resolution.form == CLARIFY:
        return Answer(resolution.clarify, [], False, 0.0, mode="clarify", reason="the question's reference is unclear",
                      rule="followup_clarify", resolved="", followup=CLARIFY, context=thread)
    if resolution.doc_ids and not (filters and filters.doc_ids):  # the user's own choice of documents wins
        filters = replace(filters or Filters(), doc_ids=resolution.doc_ids)
    answer = ask(resolution.question, retriever, store, top_k=top_k, min_coverage=min_coverage,
                 min_translated=min_translated, filters=filters, llm=llm)
    answer.resolved = resolution.display if resolution.inherited else ""
    answer.followup = resolution.form
    answer.context = context_of(thread, resolution, [c.hit.chunk for c in answer.citations], answer.abstained)
    return answer
