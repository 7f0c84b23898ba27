"""Judge: do the retrieved passages answer the question? An ordered list of named rules, each a general
test that question-answering systems make, none fitted to a corpus:

1. `retrieved` — something was found;
2. `measure_exists` — a measure the question names by number exists among the passages;
3. per passage, `places_and_years` — every place the question names is stated by the passage or is its
   document's place (or contains it, or lies inside it), and every year (and a month named with it) is stated
   by the passage or its document's record (one of them, when the question compares several);
4. `specific_words` — the question's specific words, weighted by how rare they are in general Chinese
   (jieba's IDF), are stated in a passage (or spelled by its document's romanised title); the words that ask
   are not among them, the answer type tests what they ask for;
5. `answer_type` — that passage holds what the question expects: a figure (in the asked unit), a date or
   period, an organisation, items, or a statement.

Rules 3 to 5 are applied to each candidate passage: the passages that pass are the ones an answer may
cite, in retrieval order. The first rule that fails gives the verdict and its reason, which reach the user."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from corpus.lang.dates import TIME_EXPRESSION, month_forms, year_forms
from corpus.lang.numbering import measure_match
from corpus.lang.numbers import figures, states_figure_in
from corpus.lang.orgs import names_organisation
from corpus.lang.places import division_codes, nested
from corpus.lang.sentences import sentences
from corpus.lang.text import normalize_for_search
from corpus.lang.words import rare_weight
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import DATE, FIGURE, ITEMS, ORGANISATION, TASKS, QueryAnalysis, names_document, romanised_title

CANDIDATES = 5  # passages judged: the retriever's top five hold the right passage ~95% of the time


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    rule: str  # the rule that decided ("ok" when every rule passed)
    reason: str  # for the user, in plain words
    confidence: float
    passages: tuple[Hit, ...] = ()  # the passages that answer, best first


@dataclass(frozen=True)
class Context:
    """What every rule reads: the analysis, the candidate passages and their documents' records."""

    analysis: QueryAnalysis
    hits: Sequence[Hit]
    store: IndexStore
    record_text: dict[str, str] = field(default_factory=dict)  # doc_id → normalised title, issuer, region
    spelled_titles: dict[str, str] = field(default_factory=dict)  # doc_id → a romanised title's letters

    def evidence(self, hit: Hit) -> str:
        return f"{hit.chunk.search_text} {self.record_text.get(hit.chunk.doc_id, '')}"


def _record(store: IndexStore, doc_id: str) -> str:
    meta = store.document(doc_id).meta
    return normalize_for_search(f"{meta.title} {meta.issuer} {meta.region} {' '.join(meta.aliases)} "
                                f"{meta.doc_number or ''}")


# --- rules over the whole candidate set ------------------------------------------------------------------

def retrieved(ctx: Context) -> str | None:
    return None if ctx.hits else "nothing was retrieved"


def measure_exists(ctx: Context) -> str | None:
    """A measure named by number is among the passages, in the document the question names if it names one
    ("地方制度法第八十九條" is not answered by another law's 第八十九条)."""
    refs = ctx.analysis.measures
    if not refs or ctx.analysis.english:
        return None
    # The retriever boosts a named document into the candidates: only theirs need reading.
    docs = {h.chunk.doc_id for h in ctx.hits}
    named = {d for d in docs if names_document(ctx.analysis, ctx.store.document(d).meta)}
    if not any(measure_match(refs, h.chunk.measure) and (not named or h.chunk.doc_id in named) for h in ctx.hits):
        return "the documents have no measure with that number" if not named else \
            "the document the question names has no measure with that number"
    return None


SET_RULES: list[Callable[[Context], str | None]] = [retrieved, measure_exists]


# --- rules per passage ------------------------------------------------------------------------------------

def coverage(ctx: Context, hit: Hit) -> float:
    """Share of the question's specific-word weight that the passage (with its headings and its document's
    record) states. A measure the question names by number ("第16项") is one of its specific terms, stated
    by a passage with that number."""
    terms = ctx.analysis.terms
    number = rare_weight() if ctx.analysis.measures else 0.0  # as specific as a rare word
    total = sum(t.weight for t in terms) + number
    if not total:
        return 1.0
    text = ctx.evidence(hit)
    title = ctx.spelled_titles.get(hit.chunk.doc_id, "")
    stated = sum(t.weight for t in terms if t.stated_in(text) or t.spelled_by(title))
    stated += number if number and measure_match(ctx.analysis.measures, hit.chunk.measure) else 0.0
    return stated / total


def has_answer_type(analysis: QueryAnalysis, text: str, has_units: bool = False, numbered: bool = False) -> bool:
    """Whether `text` holds what the question expects; a numbered measure may stand for a list (its items are
    its siblings or children, which the items composer gathers)."""
    kind = analysis.answer_type
    if kind == FIGURE or analysis.unit:
        # With two figures asked ("多少个…?其中多少项?") each part holds one of them, in its own unit.
        one_unit = analysis.unit and analysis.asked == 1
        return states_figure_in(text, analysis.unit) if one_unit else bool(figures(text))
    if kind == DATE:
        return bool(TIME_EXPRESSION.search(normalize_for_search(text)))
    if kind == ORGANISATION:
        return has_units or names_organisation(normalize_for_search(text))
    if kind in (ITEMS, TASKS):
        return len(sentences(text)) >= 2 or has_units or numbered
    return True


def _place_of(ctx: Context, hit: Hit, place: str) -> bool:
    """Whether a place the question names is the passage's: stated by it, or the place of its document (or
    containing it, or inside it: a 剑阁县 notice is a 四川 one). A document that names no division
    contradicts no place."""
    if normalize_for_search(place) in ctx.evidence(hit):
        return True
    own = ctx.store.places(hit.chunk.doc_id)
    return not own or nested(division_codes(place), own)


def places_and_years(ctx: Context, hit: Hit) -> str | None:
    """Every place the question names is the document's, and every year is stated by this passage or its
    document's record. A year merely inside a plan's period (2025 in a 2023-2027 plan) does not make the
    plan's 2027 target an answer about 2025; the document's own year counts."""
    text = ctx.evidence(hit)
    own = ctx.store.document(hit.chunk.doc_id).meta.year
    places = [p for p in ctx.analysis.places if not _place_of(ctx, hit, p)]
    years = [f"{y}年" for y in ctx.analysis.years if y != own and not any(f in text for f in year_forms(y))]
    # A month named with its year ("2020年3月审批了几个") is stated too: February's figure is no answer.
    issued = ctx.store.document(hit.chunk.doc_id).meta.issue_date or ""
    months = [f"{y}年{m}月" for y, m in ctx.analysis.months if not issued.startswith(f"{y}-{m:02d}")
              and not any(f in text for f in month_forms(m))]
    # A question naming several places or years compares them ("包头2024年和2026年的文件…"): a passage
    # answers for one of them.
    missing = [*_all_or_none(places, ctx.analysis.places), *_all_or_none(years, ctx.analysis.years),
               *_all_or_none(months, ctx.analysis.months)]
    return f"the passages do not mention {', '.join(missing)}" if missing else None


def _all_or_none(missing: list[str], named: Sequence[object]) -> list[str]:
    return missing if len(named) == 1 or len(missing) == len(named) else []


def translated(ctx: Context, hit: Hit) -> float:
    """Share of an English question's dictionary-translated weight that the passage states (1.0 when none)."""
    terms = ctx.analysis.translated
    total = sum(t.weight for t in terms)
    text = ctx.evidence(hit)
    return sum(t.weight for t in terms if t.stated_in(text)) / total if total else 1.0


def answering(ctx: Context, hit: Hit, min_coverage: float, min_translated: float = 0.0) -> tuple[str, float, str]:
    """(the rule the passage fails, or "ok"; its coverage; the reason)."""
    missing = places_and_years(ctx, hit)
    if missing:
        return "places_and_years", 0.0, missing
    cov = coverage(ctx, hit)
    if cov < min_coverage:
        return "specific_words", cov, f"the passages state {cov:.0%} of what the question asks about"
    if (share := translated(ctx, hit)) < min_translated:
        return "specific_words", cov, f"the passages state {share:.0%} of the question's words in translation"
    units = bool(hit.chunk.lead_units or hit.chunk.responsible_units)
    if not has_answer_type(ctx.analysis, hit.chunk.text, units, bool(hit.chunk.measure)):
        wanted = _TYPE_WORDS.get(ctx.analysis.answer_type, "answer")
        return "answer_type", cov, f"no passage states the {wanted} asked for"
    return "ok", cov, "ok"


_TYPE_WORDS = {FIGURE: "figure", DATE: "date or period", ORGANISATION: "organisation", ITEMS: "items"}


def judge(analysis: QueryAnalysis, hits: Sequence[Hit], store: IndexStore, min_coverage: float,
          min_translated: float = 0.0) -> Verdict:
    """The verdict on the candidates; `min_coverage` and `min_translated` are settings.abstain_min_coverage
    and abstain_min_translated (fitted on the calibration halves by evals.calibrate)."""
    candidates = list(hits[:CANDIDATES])
    docs = {h.chunk.doc_id for h in candidates}
    ctx = Context(analysis, candidates, store, {d: _record(store, d) for d in docs},
                  {d: romanised_title(store.document(d).meta) for d in docs})
    dense = candidates[0].dense if candidates else 0.0
    for rule in SET_RULES:
        reason = rule(ctx)
        if reason:
            return Verdict(False, rule.__name__, reason, round(0.3 * max(dense, 0.0), 3))
    judged = [(hit, *answering(ctx, hit, min_coverage, min_translated)) for hit in candidates]
    passing = tuple(hit for hit, rule, _, _ in judged if rule == "ok")
    if not passing:
        # The reason of the passage that came closest (the top one on a tie).
        _, rule, cov, reason = max(judged, key=lambda j: j[2])
        return Verdict(False, rule, reason, round(0.5 * cov, 3))
    cov = max(c for _, rule, c, _ in judged if rule == "ok")
    confidence = round(min(1.0, 0.5 + 0.5 * cov) * (1.0 if passing[0] is candidates[0] else 0.9), 3)
    return Verdict(True, "ok", "ok", confidence, passing)
