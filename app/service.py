"""The question-answering service: one object the HTTP API, the CLI and the Gradio UI all call."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.answer import extractive, generative, guard, metadata
from app.answer.evidence import assess
from app.answer.intent import classify
from app.answer.model import Answer, Citation
from app.settings import Settings
from corpus.ingest import discover, ingest_files
from corpus.numbers import asked_unit, states_figure_in
from index.build import SERVING, build_index, current_build, read_pointer, write_pointer
from index.embedders import Embedder, make_embedder
from index.store import IndexStore, load_build, load_index
from retriever.hybrid import Filters, Hit, Retriever
from retriever.query import QueryAnalysis, analyse
from retriever.rerank import CrossEncoderReranker

log = logging.getLogger("policy_qa.service")

ABSTAIN_TEXT = "未在已收录的政策文件中找到能回答该问题的内容。"
ABSTAIN_TEXT_EN = "The indexed policy documents do not answer this question."


def _abstention(analysis: QueryAnalysis, related: list[Hit], confidence: float, reason: str) -> Answer:
    """The no-answer reply: says so, and lists the closest passages as related, not as an answer."""
    lines = [ABSTAIN_TEXT_EN if analysis.english else ABSTAIN_TEXT]
    if related:
        lines.append("Related passages (not an answer):" if analysis.english else "以下条文可能相关，仅供参考：")
        lines += [f"[{n}] {extractive.where(h.chunk)}" for n, h in enumerate(related, 1)]
    return Answer("\n".join(lines), [Citation(n, h) for n, h in enumerate(related, 1)], True, confidence,
                  notes=[reason])


def build_from_corpus(settings: Settings, embedder: Embedder, paths: list[Path] | None = None,
                      show_progress: bool = True) -> Path:
    """Ingest the corpus and build a new current index; returns the build directory."""
    result = ingest_files(discover(paths or [settings.corpus_dir]), settings.catalog, settings.chunker_config())
    return build_index(result.documents, result.chunks, embedder, settings.index_dir,
                       vector_store=settings.vector_store_config(), show_progress=show_progress)


@dataclass(frozen=True)
class _Engine:
    store: IndexStore
    retriever: Retriever


class QAService:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, build_if_missing: bool = True) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedder)
        self.reranker = CrossEncoderReranker(settings.reranker) if settings.reranker else None
        if build_if_missing and current_build(settings.index_dir) is None:
            log.info("no index in %s: building it from %s", settings.index_dir, settings.corpus_dir)
            build_from_corpus(settings, self.embedder)
        self._reload_lock = threading.Lock()
        # Only announcements made after this point are followed: an older one may name an older build.
        self._seen_announcement = self._announcement()
        self._engine = self._load()

    def _load(self, build: Path | None = None) -> _Engine:
        """The given build, or the current one, with its retriever."""
        config = self.settings.vector_store_config()
        store = (load_build(build, self.embedder, config) if build
                 else load_index(self.settings.index_dir, self.embedder, config))
        return _Engine(store, Retriever(store, self.embedder, self.settings.retrieval_config(), self.reranker))

    @property
    def store(self) -> IndexStore:
        return self._engine.store

    def reload(self) -> IndexStore:
        """Swap in the current index on disk; requests already running finish on the old one.
        A damaged new index raises and the old one keeps serving. The other workers of this server
        are told through the SERVING pointer and follow within `reload_poll_s`."""
        with self._reload_lock:
            engine = self._load()
            self._engine = engine
            write_pointer(self.settings.index_dir, SERVING, engine.store.path.name)
            self._seen_announcement = self._announcement()
            return engine.store

    def _announcement(self) -> tuple[int, int] | None:
        try:
            stat = (self.settings.index_dir / SERVING).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_ino

    def follow_reload(self) -> bool:
        """Serve the build another worker reloaded onto, if it announced one since we last looked.
        A stat when nothing changed; True if the index was swapped."""
        announcement = self._announcement()
        if announcement is None or announcement == self._seen_announcement:
            return False
        with self._reload_lock:
            self._seen_announcement = announcement  # a build we fail to load is not retried every poll
            build = read_pointer(self.settings.index_dir, SERVING)
            if build is None or build == self._engine.store.path:
                return False
            self._engine = self._load(build)
            log.info("reloaded onto %s, announced by another worker", build.name)
            return True

    def search(self, query: str, top_k: int = 5, filters: Filters | None = None) -> list[Hit]:
        return self._engine.retriever.search(query, top_k, filters)

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None) -> Answer:
        engine = self._engine  # one index for the whole request, even if a reload happens meanwhile
        top_k = top_k or self.settings.top_k
        analysis = analyse(question)
        hits = engine.retriever.search(question, max(top_k, 5), filters)
        evidence = assess(analysis, hits, engine.store, self.settings.abstain_min_dense,
                          self.settings.abstain_min_coverage)
        intent = classify(question)
        # "这份文件的文号是什么" shares no content word with any passage; when everything retrieved is one
        # document (a one-document corpus, or a filter) and the question names nothing it lacks, its
        # record answers.
        one_document = len({h.chunk.doc_id for h in hits}) == 1 and not evidence.missing
        about_document = (intent.metadata and (evidence.answerable or one_document)
                          and metadata.compose(question, analysis, hits[:top_k], engine.store))
        if not evidence.answerable and not about_document:
            return _abstention(analysis, hits[: min(3, top_k)], evidence.confidence, evidence.reason)
        text, cited = about_document or extractive.compose(analysis, intent, hits[:top_k])
        # A question asking for a figure in some unit (多少亿美元, 几家) is not answered by a figure in another.
        unit = asked_unit(question)
        if unit and not states_figure_in(text, unit):
            return _abstention(analysis, hits[: min(3, top_k)], evidence.confidence * 0.3,
                               f"the passages answering this state no figure in {unit}")
        answer = Answer(text, [Citation(n, h) for n, h in enumerate(cited, 1)], False, evidence.confidence)
        if self.settings.llm_base_url:
            return self._generative(question, hits[:top_k], answer, unit)
        return answer

    def _generative(self, question: str, hits: list[Hit], fallback: Answer, unit: str | None) -> Answer:
        try:
            text = generative.generate(question, hits, self.settings.llm_base_url, self.settings.llm_model,
                                       self.settings.llm_api_key, self.settings.llm_timeout_s)
        except generative.LLMError as exc:
            log.warning("LLM unavailable, extractive answer returned: %s", exc)
            fallback.notes.append(f"llm failed: {exc}")
            return fallback
        checked = guard.check(text, {n: h.chunk.text for n, h in enumerate(hits, 1)})
        if not checked.usable or (unit and not states_figure_in(checked.text, unit)):
            log.warning("generated answer failed the grounding guard: %s", checked.dropped or f"no figure in {unit}")
            fallback.notes.append(f"guard rejected the generated answer ({len(checked.dropped)} sentence(s))")
            return fallback
        used = sorted({int(n) for n in guard.MARKER.findall(checked.text)})
        renumber = {old: new for new, old in enumerate(used, 1)}
        text = guard.MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", checked.text)
        return Answer(text, [Citation(renumber[n], hits[n - 1]) for n in used], False, fallback.confidence,
                      mode="generative", notes=[f"guard dropped: {s}" for s, _ in checked.dropped])

    def ask_stream(self, question: str, top_k: int | None = None,
                   filters: Filters | None = None) -> Iterator[tuple[str, object]]:
        """("citations", answer) first, then ("delta", text piece)…, then ("done", answer)."""
        answer = self.ask(question, top_k, filters)
        yield "citations", answer
        for piece in re.split(r"(?<=[。！？\n])", answer.answer):
            if piece:
                yield "delta", piece
        yield "done", answer
