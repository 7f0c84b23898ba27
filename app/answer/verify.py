"""Verify: the last check on every draft, whichever composer wrote it. Every number must be stated by the
passages the draft cites; a figure asked in a unit must be given in that unit; what is quoted must hold the
answer type the question expects; and a heading alone is no answer."""

from __future__ import annotations

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title
from app.answer.judge import has_answer_type
from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import states_figure_in, unsupported_quantities
from corpus.lang.text import normalize_for_search
from retriever.query import DATE, FIGURE, ORGANISATION, QueryAnalysis


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split()).strip("。.;；:：…")


def verify(draft: Draft, analysis: QueryAnalysis) -> str | None:
    """Why the draft may not be shown, or None."""
    evidence = [f"{h.chunk.title} {h.chunk.measure} {' '.join(h.chunk.heading_path)} {h.chunk.text}"
                for h in draft.cited]
    missing = unsupported_quantities(draft.text, evidence)
    if missing:
        return f"the answer states {', '.join(missing)}, which its sources do not"
    quoted = " ".join(draft.quotes)
    if draft.shape in ("quote", "units") and analysis.unit and not states_figure_in(quoted, analysis.unit):
        return f"the passages answering this state no figure in {analysis.unit}"
    if draft.shape == "quote" and analysis.answer_type in (FIGURE, DATE, ORGANISATION) \
            and not has_answer_type(analysis, quoted):
        return "the quoted passages do not state what the question asks for"
    # Any heading of the cited passages, as titled ("强化政策支持") or as numbered ("2．四层以上…建筑").
    headings = {_compact(strip_marker(t)) for h in draft.cited for t in (heading_title(h.chunk), *h.chunk.heading_path)}
    if draft.quotes and draft.shape == "quote" and all(_compact(strip_marker(q)) in headings for q in draft.quotes):
        return "only a heading answers this"
    return None
