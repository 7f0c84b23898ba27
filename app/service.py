"""The question-answering service: one object the HTTP API, the CLI and the Gradio UI all call."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.answer.conversation import converse
from app.answer.model import Answer, Thread
from app.answer.pipeline import LLMConfig
from app.engine import Engine, IndexHolder
from app.settings import Settings
from index.build import current_build
from index.embedders import Embedder, make_embedder
from index.ingest import build_from_corpus  # the CLI, UI and admin routes import it from here too
from index.store import IndexStore, load_build, load_index
from retriever.hybrid import Filters, Hit, Retriever
from retriever.rerank import CrossEncoderReranker

log = logging.getLogger("policy_qa.service")


class QAService:
    """The question-answering service: one object the HTTP API, the CLI and the Gradio UI all call."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, build_if_missing: bool = True) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedder)
        self.reranker = CrossEncoderReranker(settings.reranker) if settings.reranker else None
        if build_if_missing and current_build(settings.index_dir) is None:
            log.info("no index in %s: building it from %s", settings.index_dir, settings.corpus_dir)
            build_from_corpus(settings, self.embedder)
        self.index = IndexHolder(settings.index_dir, self._load)

    def _load(self, build: Path | None) -> Engine:
        """The given build, or the current one, with its retriever."""
        config = self.settings.vector_store_config()
        store = (load_build(build, self.embedder, config) if build
                 else load_index(self.settings.index_dir, self.embedder, config))
        return Engine(store, Retriever(store, self.embedder, self.settings.retrieval_config(), self.reranker))

    @property
    def store(self) -> IndexStore:
        return self.index.engine.store

    def reload(self) -> IndexStore:
        return self.index.reload()

    def follow_reload(self) -> bool:
        return self.index.follow_reload()

    def search(self, query: str, top_k: int = 5, filters: Filters | None = None) -> list[Hit]:
        return self.index.engine.retriever.search(query, top_k, filters)

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None,
            history: Sequence[tuple[str, str]] = (), context: Thread | None = None) -> Answer:
        """The answer to `question`; with a conversation (`history` turns as (role, text), and the `context`
        the previous answer returned) a follow-up is first resolved into a standalone question."""
        engine = self.index.engine  # one index for the whole request, even if a reload happens meanwhile
        s = self.settings
        llm = LLMConfig(s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout_s) if s.llm_base_url else None
        return converse(question, history, context, engine.retriever, engine.store, top_k=top_k or s.top_k,
                        min_coverage=s.abstain_min_coverage, min_translated=s.abstain_min_translated,
                        filters=filters, llm=llm)

    def ask_stream(self, question: str, top_k: int | None = None, filters: Filters | None = None,
                   history: Sequence[tuple[str, str]] = (),
                   context: Thread | None = None) -> Iterator[tuple[str, object]]:
        """("citations", answer) first, then ("delta", text piece)…, then ("done", answer)."""
        answer = self.ask(question, top_k, filters, history, context)
        yield "citations", answer
        for piece in re.split(r"(?<=[。！？\n])", answer.answer):
            if piece:
                yield "delta", piece
        yield "done", answer
