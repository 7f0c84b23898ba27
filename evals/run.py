"""Run the question set against the service and report: `policy-qa eval` (see evals/README.md).

For each question the target is asked POST /api/search (top_k 10, retrieval metrics) and POST /api/ask
(answer metrics), each call timed. The target is anything speaking that contract: a base URL (httpx), a
ready client with `.post` (FastAPI TestClient, httpx.Client), or a callable `(path, payload) -> dict`.
In-process runs can add a naive baseline measured in the same run: RecursiveCharacterTextSplitter
500/50 over the raw corpus files + the same embedder + FAISS flat, answering with its top 3 passages.

Writes out_dir/results.json, out_dir/report.md, out_dir/metrics.png and out_dir/latency.png."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.lang.text import normalize_width
from evals.dataset import SETS, Question, is_relevant, load_questions
from evals.metrics import AnswerScore, aggregate, latency_summary, score_answer

SEARCH_TOP_K = 10
BASELINE_TOP = 3  # passages the baseline "answer" concatenates

Post = Callable[[str, dict[str, Any]], Mapping[str, Any]]
Target = str | Post | Any  # base URL, callable, or a client with .post(path, json=...)

# (key in the aggregate, column in the report table and the bar plot)
COLUMNS = [
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("mrr@10", "MRR@10"), ("context_precision", "context precision"),
    ("fact_recall", "fact recall"), ("faithfulness", "faithfulness"), ("numeric_faithfulness", "numeric faithfulness"),
    ("citation_correctness", "citation correctness"), ("unanswerable_accuracy", "abstention accuracy"),
    ("false_abstention_rate", "false abstention"),
]


# --- targets ---------------------------------------------------------------------------------------

def _poster(target: Target) -> tuple[Post, Callable[[], None]]:
    """A `(path, payload) -> response dict` function for the target, and how to close what it opened."""
    if isinstance(target, str):
        import httpx

        http = httpx.Client(base_url=target.rstrip("/"), timeout=60.0)
        return _json_post(http), http.close
    if hasattr(target, "post"):
        return _json_post(target), lambda: None
    if callable(target):
        return target, lambda: None
    raise TypeError(f"unsupported eval target: {target!r}")


def _doc_ids(target: Target) -> dict[str, str]:
    """File name → document id, from the target's GET /api/documents."""
    if isinstance(target, str):
        import httpx

        documents = httpx.get(f"{target.rstrip('/')}/api/documents", timeout=60.0).json()
    elif hasattr(target, "get"):
        documents = target.get("/api/documents").json()
    else:
        documents = target("/api/documents", {})
    return {d["source_file"]: d["doc_id"] for d in documents}


def _json_post(client: Any) -> Post:
    def post(path: str, payload: dict[str, Any]) -> Mapping[str, Any]:
        response = client.post(path, json=payload)
        if response.status_code != 200:
            raise ValueError(f"{path} returned {response.status_code}: {response.text[:200]}")
        return response.json()
    return post


# --- the baseline ----------------------------------------------------------------------------------

@dataclass
class Baseline:
    """Naive RAG: fixed-size chunks of the raw files, dense flat search, top passages as the answer."""

    texts: list[str]
    sources: list[str]
    embedder: Any
    index: Any

    def search(self, question: str, k: int = SEARCH_TOP_K) -> list[tuple[int, float]]:
        scores, ids = self.index.search(self.embedder.embed_queries([question]), min(k, len(self.texts)))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def answer(self, ranked: Sequence[tuple[int, float]]) -> dict[str, Any]:
        """/api/ask-shaped response: the top passages, each followed by its [n]; it never abstains."""
        top = list(ranked[:BASELINE_TOP])
        citations = [{"n": n, "chunk_id": f"baseline:{i}", "doc_id": self.sources[i], "title": self.sources[i],
                      "measure": "", "text": self.texts[i], "score": s} for n, (i, s) in enumerate(top, 1)]
        return {"answer": "\n".join(f"{c['text']}[{c['n']}]" for c in citations), "citations": citations,
                "abstained": False, "confidence": top[0][1] if top else 0.0}

    def gold_ids(self, q: Question) -> list[str]:
        """A baseline chunk has no measure id: it is relevant when it contains the first gold fact."""
        facts = [normalize_width(f) for f in q.facts[:1]]
        return [f"baseline:{i}" for i, t in enumerate(self.texts) if facts and all(f in normalize_width(t)
                                                                                   for f in facts)]


def build_baseline(corpus_dir: Path, embedder: Any, cache_dir: Path | None = None) -> Baseline:
    """Split every file of `corpus_dir` 500/50 and index the pieces flat. With `cache_dir`, piece vectors
    are cached by model and content (index.cache), so a re-run embeds nothing."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from index.build import embed_texts
    from index.cache import EmbeddingCache, content_key

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    texts, sources = [], []
    for f in sorted(p for p in Path(corpus_dir).glob("*") if p.is_file()):
        for t in splitter.split_text(f.read_text(encoding="utf-8")):
            texts.append(t)
            sources.append(f.stem)
    if not texts:
        raise ValueError(f"no corpus files in {corpus_dir}")
    cache = EmbeddingCache(cache_dir, embedder.model_id)
    vectors, embedded = embed_texts(texts, embedder, cache, show_progress=False)
    if embedded:
        cache.save(keep={content_key(t) for t in texts})
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return Baseline(texts, sources, embedder, index)


# --- running ---------------------------------------------------------------------------------------

def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = call()
    return out, (time.perf_counter() - t) * 1000


def _record(q: Question, gold_ids: Sequence[str]) -> dict[str, Any]:
    """What `score_answer` reads; `gold_ids` are the retrieved passages that are gold (none: a miss)."""
    return {"id": q.id, "lang": q.lang, "type": q.kind, "split": q.split, "answerable": q.answerable,
            "gold_facts": list(q.facts),
            "gold_chunk_ids": (list(gold_ids) or ["<no gold passage retrieved>"]) if q.answerable else []}


def gold_ids(q: Question, hits: Sequence[Mapping[str, Any]], doc_ids: Mapping[str, str]) -> list[str]:
    return [h["chunk_id"] for h in hits if any(is_relevant(g, h, doc_ids) for g in q.gold)]


def _row(q: Question, response: Mapping[str, Any], score: AnswerScore, search_ms: float, ask_ms: float,
         ranked: Sequence[str]) -> dict[str, Any]:
    return {"id": q.id, "question": q.question, "lang": q.lang, "type": q.kind, "split": q.split,
            "answerable": q.answerable, "reason": response.get("reason", ""),
            "answer": response.get("answer", ""), "ranked_ids": list(ranked),
            "citations": [c.get("chunk_id") for c in response.get("citations") or []],
            "search_ms": search_ms, "ask_ms": ask_ms, "scores": asdict(score)}


def _latency(samples: Sequence[float]) -> dict[str, float] | None:
    if not samples:
        return None
    s = latency_summary(samples)
    return {"p50": s.p50, "p95": s.p95, "mean": s.mean, "n": s.n}


def _evaluate_target(post: Post, questions: Sequence[Question],
                     doc_ids: Mapping[str, str]) -> tuple[list[AnswerScore], list[dict]]:
    scores, rows = [], []
    for q in questions:
        hits, search_ms = _timed(lambda q=q: post("/api/search", {"query": q.question, "top_k": SEARCH_TOP_K}))
        response, ask_ms = _timed(lambda q=q: post("/api/ask", {"question": q.question}))
        ranked = [h["chunk_id"] for h in hits.get("hits", [])]
        record = _record(q, gold_ids(q, hits.get("hits", []), doc_ids))
        score = score_answer(record, response, ranked_ids=ranked, latency_ms=ask_ms)
        scores.append(score)
        rows.append(_row(q, response, score, search_ms, ask_ms, ranked))
    return scores, rows


def _evaluate_baseline(baseline: Baseline, questions: Sequence[Question]) -> tuple[list[AnswerScore], list[dict]]:
    scores, rows = [], []
    for q in questions:
        ranked, ms = _timed(lambda q=q: baseline.search(q.question))
        response = baseline.answer(ranked)
        ids = [f"baseline:{i}" for i, _ in ranked]
        score = score_answer(_record(q, [i for i in baseline.gold_ids(q) if i in ids]), response, ranked_ids=ids,
                             latency_ms=ms)
        scores.append(score)
        rows.append(_row(q, response, score, ms, ms, ids))
    return scores, rows


def _system_result(scores: list[AnswerScore], rows: list[dict], endpoints: dict[str, str]) -> dict[str, Any]:
    agg = aggregate(scores)
    agg["latency_ms"] = {name: _latency([r[key] for r in rows]) for name, key in endpoints.items()}
    groups: dict[str, dict[str, Any]] = {"type": {}, "lang": {}, "split": {}}
    for field, by in groups.items():
        for value in sorted({getattr(s, field) for s in scores}):
            sub = aggregate([s for s in scores if getattr(s, field) == value])
            sub.pop("latency_ms", None)
            by[value] = sub
    # Calibration vs held-out, by kind and by language: a gap between the halves is a defect to explain.
    by_split: dict[str, dict[str, dict[str, Any]]] = {"type": {}, "lang": {}}
    for field, by in by_split.items():
        for split in sorted({s.split for s in scores}):
            for value in sorted({getattr(s, field) for s in scores}):
                sub = [s for s in scores if s.split == split and getattr(s, field) == value]
                if sub:
                    by.setdefault(value, {})[split] = aggregate(sub)
    return {"aggregate": agg, "by_type": groups["type"], "by_lang": groups["lang"], "by_split": groups["split"],
            "by_split_type": by_split["type"], "by_split_lang": by_split["lang"], "questions": rows}


def run_eval(target: Target, questions: Sequence[Question], out_dir: Path, baseline: bool | Baseline = True, *,
             doc_ids: Mapping[str, str] | None = None, corpus_dir: Path | None = None, embedder: Any = None,
             cache_dir: Path | None = None, name: str = "") -> dict[str, Any]:
    """Evaluate `target` (URL, client with .post, or callable) on `questions`; write the report to `out_dir`
    and return the results. `doc_ids` maps the gold's file names to the service's document ids (default:
    asked of the target's GET /api/documents). `baseline` may be a ready Baseline, or True to build one from
    `corpus_dir` with `embedder` (both required then: it runs in-process; `cache_dir` keeps its vectors)."""
    post, close = _poster(target)
    try:
        if doc_ids is None:
            doc_ids = _doc_ids(target)
        scores, rows = _evaluate_target(post, questions, doc_ids)
    finally:
        close()
    results: dict[str, Any] = {
        "name": name, "n_questions": len(questions), "search_top_k": SEARCH_TOP_K,
        "systems": {"system": _system_result(scores, rows, {"/api/search": "search_ms", "/api/ask": "ask_ms"})},
    }
    if baseline is True:
        if corpus_dir is None or embedder is None:
            raise ValueError("the baseline needs corpus_dir and embedder (it is built in-process)")
        baseline = build_baseline(corpus_dir, embedder, cache_dir)
    if isinstance(baseline, Baseline):
        b_scores, b_rows = _evaluate_baseline(baseline, questions)
        results["systems"]["baseline"] = _system_result(b_scores, b_rows, {"/api/ask": "ask_ms"})
        results["systems"]["baseline"]["description"] = (
            "RecursiveCharacterTextSplitter(500, 50) over the raw corpus files + same embedder + faiss "
            f"IndexFlatIP; answer = top {BASELINE_TOP} passages; latency = in-process search, no HTTP")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(render_report(results), encoding="utf-8")
    plot(results, out_dir)
    return results


# --- report ----------------------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return (text[:limit] + "…" if len(text) > limit else text).replace("|", "\\|")


def table_rows(results: Mapping[str, Any]) -> list[str]:
    """The headline table: one row per system."""
    head = ["system", *(label for _, label in COLUMNS), "/api/ask p50 ms", "/api/ask p95 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, system in results["systems"].items():
        agg = system["aggregate"]
        ask = agg["latency_ms"].get("/api/ask") or {}
        ms = ["–" if ask.get(p) is None else f"{ask[p]:.1f}" for p in ("p50", "p95")]
        lines.append("| " + " | ".join([name, *(_fmt(agg[key]) for key, _ in COLUMNS), *ms]) + " |")
    return lines


def _breakdown(title: str, groups: Mapping[str, Mapping[str, Any]]) -> list[str]:
    keys = [("n", "n"), ("hit@5", "hit@5"), ("mrr@10", "MRR@10"), ("fact_recall", "fact recall"),
            ("faithfulness", "faithfulness"), ("numeric_faithfulness", "numeric"),
            ("citation_correctness", "citation correctness"), ("unanswerable_accuracy", "abstention accuracy"),
            ("false_abstention_rate", "false abstention")]
    lines = [f"| {title} | " + " | ".join(label for _, label in keys) + " |", "|" + "---|" * (len(keys) + 1)]
    for value, agg in groups.items():
        lines.append(f"| {value} | " + " | ".join(_fmt(agg[k]) for k, _ in keys) + " |")
    return lines


def _why(scores: Mapping[str, Any]) -> str:
    for claim in scores.get("claims", []):
        if claim["supported"]:
            continue
        support = claim["support"]
        reasons = [f"number {n}" for n in support["unsupported_numbers"]]
        reasons += [f"organisation {o}" for o in support["unsupported_orgs"]]
        reasons.append(f"lexical {support['lexical']:.2f}")
        return f"{_cell(claim['claim']['text'], 60)} ({', '.join(reasons)})"
    return ""


def render_report(results: Mapping[str, Any]) -> str:
    system = results["systems"]["system"]
    agg = system["aggregate"]
    lat = agg["latency_ms"]
    lines = [f"# policy-qa evaluation{': ' + results['name'] if results.get('name') else ''}", "",
             "## Calibration vs held-out", "",
             "Thresholds, weights and word lists are fitted on the calibration half only.", "",
             *split_table(system), "", *split_breakdown("kind", system["by_split_type"]), "",
             *split_breakdown("language", system["by_split_lang"]), "",
             "## All questions", "",
             f"{results['n_questions']} questions ({agg['n_answerable']} answerable, {agg['n_unanswerable']} "
             f"unanswerable). Metric definitions: evals/README.md. Retrieval from /api/search top "
             f"{results['search_top_k']}; answer metrics from /api/ask.", "", *table_rows(results), ""]
    if "baseline" in results["systems"]:
        lines += [f"baseline: {results['systems']['baseline']['description']}.", ""]
    search = lat.get("/api/search") or {}
    if search:
        lines += [f"/api/search latency: p50 {search['p50']:.1f} ms, p95 {search['p95']:.1f} ms.", ""]
    below = sorted((r for r in system["questions"] if r["scores"]["faithfulness"] < 1.0),
                   key=lambda r: (r["scores"]["faithfulness"], r["id"]))
    lines += [
              "## System by question type", "", *_breakdown("type", system["by_type"]), "",
              "## System by language", "", *_breakdown("lang", system["by_lang"]), "",
              "## 10 least faithful system answers", "",
              f"{len(below)} of {len(system['questions'])} answers score below 1.0 (abstentions included: the "
              "cited lines of a refusal are claims too).", "",
              "| id | faithfulness | abstained | question | answer | first unsupported claim |",
              "|---|---|---|---|---|---|"]
    for r in below[:10]:
        lines.append(f"| {r['id']} | {r['scores']['faithfulness']:.3f} | {'yes' if r['scores']['abstained'] else 'no'}"
                     f" | {_cell(r['question'], 60)} | {_cell(r['answer'])} | {_why(r['scores'])} |")
    return "\n".join(lines) + "\n"


def plot(results: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """metrics.png (each metric, system vs baseline) and latency.png (histogram of call latencies)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = results["systems"]
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    x = np.arange(len(COLUMNS))
    for k, (name, system) in enumerate(systems.items()):
        values = [system["aggregate"][key] for key, _ in COLUMNS]
        ax.bar(x + k * width, [v if v is not None else 0.0 for v in values], width, label=name)
    ax.set_xticks(x + width * (len(systems) - 1) / 2, [label for _, label in COLUMNS], rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    metrics_png = _save(fig, ax, "score", "policy-qa evaluation", out_dir / "metrics.png")

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, system in systems.items():
        for label, key in (("/api/search", "search_ms"), ("/api/ask", "ask_ms")):
            if label not in system["aggregate"]["latency_ms"]:
                continue
            ax.hist([r[key] for r in system["questions"]], bins=30, alpha=0.55, label=f"{name} {label}")
    ax.set_xlabel("latency (ms)")
    latency_png = _save(fig, ax, "questions", "latency per call", out_dir / "latency.png")
    return [metrics_png, latency_png]


def _save(fig: Any, ax: Any, ylabel: str, title: str, path: Path) -> Path:
    import matplotlib.pyplot as plt

    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- command line ----------------------------------------------------------------------------------

def split_table(system: Mapping[str, Any]) -> list[str]:
    """The headline: every metric on the calibration and the held-out half, and the gap between them."""
    cal, held = (system["by_split"].get(s) or {} for s in ("calibration", "heldout"))
    lines = ["| metric | calibration | held-out | gap |", "|---|---|---|---|"]
    for key, label in SPLIT_METRICS:
        a, b = cal.get(key), held.get(key)
        gap = f"{a - b:+.3f}" if isinstance(a, float) and isinstance(b, float) else "–"
        lines.append(f"| {label} | {_fmt(a)} | {_fmt(b)} | {gap} |")
    return lines


def split_breakdown(title: str, groups: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Answers right (answerable) or declined (unanswerable), and fact recall (for lists: item recall, one
    fact per item), calibration / held-out, per kind or language."""
    lines = [f"| {title} | n cal / held | answers right cal | answers right held | fact (item) recall cal | "
             "fact (item) recall held | declined cal | declined held |", "|---|---|---|---|---|---|---|---|"]
    for value, halves in groups.items():
        c, h = halves.get("calibration") or {}, halves.get("heldout") or {}
        lines.append(f"| {value} | {c.get('n', 0)} / {h.get('n', 0)} | {_fmt(c.get('answers_right'))} | "
                     f"{_fmt(h.get('answers_right'))} | {_fmt(c.get('fact_recall'))} | {_fmt(h.get('fact_recall'))} | "
                     f"{_fmt(c.get('unanswerable_accuracy'))} | {_fmt(h.get('unanswerable_accuracy'))} |")
    return lines


SPLIT_METRICS = [("n", "questions"), ("answers_right", "answers right"), ("hit@1", "hit@1"), ("hit@5", "hit@5"),
                 ("mrr@10", "MRR@10"), ("fact_recall", "fact recall"),
                 ("unanswerable_accuracy", "unanswerable declined"), ("false_abstention_rate", "false abstention"),
                 ("numeric_faithfulness", "numeric faithfulness (guard's reading)"),
                 ("numbers_not_in_citations", "answers with a number not in citations (plain check)"),
                 ("heading_only", "answers that are a heading or lead-in alone")]


def set_settings(base: Any, name: str) -> Any:
    """The settings serving set `name` in-process: the bundled set from `base`, another from its own data dir
    beside it, over its own documents."""
    if name == "bundled":
        return base
    qset = SETS[name]
    return base.model_copy(update={
        "data_dir": base.data_dir / f"eval-{name}", "corpus_dir": qset.corpus_dir,
        "catalog": qset.catalog or base.data_dir / f"eval-{name}" / "no-catalog.yaml"})


def run_from_options(url: str | None = None, question_set: Path | str | None = None,
                     out_dir: Path = Path("eval-report"), limit: int | None = None, baseline: bool = True,
                     split: str | None = None) -> dict[str, Any]:
    """What `policy-qa eval` does. `question_set` is a set name ("bundled", "unseen"), a file, or None for
    every set. Without `url` each set's corpus is served in-process (FastAPI TestClient over the real app,
    rate limit raised), the bundled one from POLICY_QA_DATA_DIR and the others from their own data dirs
    beside it; with `url` one server speaking the contract is evaluated over HTTP, without baseline."""
    if url:
        import httpx

        path = SETS[question_set].path if isinstance(question_set, str) and question_set in SETS else question_set
        questions = load_questions(Path(path or SETS["bundled"].path), split)[:limit]
        try:
            return run_eval(url, questions, out_dir, baseline=False)
        except httpx.HTTPError as exc:
            raise OSError(f"cannot evaluate {url}: {exc}") from exc
    names = [question_set] if question_set in SETS else list(SETS) if question_set is None else None
    if names is None:
        raise ValueError(f"unknown question set {question_set!r}: one of {', '.join(SETS)}, or use --url")

    import logging

    from fastapi.testclient import TestClient

    from app.main import create_api
    from app.service import QAService
    from app.settings import Settings

    results: dict[str, Any] = {}
    embedder = None
    base = Settings(rate_limit_per_minute=100_000)
    for name in names:
        qset = SETS[name]
        settings = set_settings(base, name)
        service = QAService(settings, embedder)
        embedder = service.embedder
        questions = load_questions(qset.path, split)[:limit]
        with TestClient(create_api(settings, service)) as client:
            logging.getLogger("policy_qa").setLevel(logging.WARNING)  # no access line per eval request
            results[name] = run_eval(client, questions, Path(out_dir) / name, baseline=baseline, name=name,
                                     corpus_dir=qset.corpus_dir, embedder=embedder,
                                     cache_dir=base.data_dir / "eval-cache")
    return results
