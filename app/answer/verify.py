"""Verify: the last check on every draft, whichever composer wrote it. Every number must be stated by the
passages the draft cites; a figure asked in a unit must be given in that unit; what is quoted must hold the
answer type the question expects; and a heading alone is no answer."""

from __future__ import annotations

import re

from app.answer.compose import Draft
from app.answer.compose.cite import heading_title
from app.answer.judge import has_answer_type
from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import states_figure_in, unsupported_quantities
from corpus.lang.text import normalize_for_search
from retriever.query import DATE, FIGURE, ORGANISATION, QueryAnalysis

_SENTENCE_END = re.compile(r"[。；;！？!?]\s*$")


def _compact(text: str) -> str:
    return "".join(normalize_for_search(text).split()).strip("。.;；:：…")


def verify(draft: Draft, analysis: QueryAnalysis) -> str | None:
    """Why the draft may not be shown, or None."""
    evidence = [f"{h.chunk.title} {h.chunk.measure} {' '.join(h.chunk.heading_path)} {h.chunk.text}"
                for h in draft.cited]
    # A list answer returns every item (`items`, each its passage's own words) and may count them.
    evidence += [f"{h.chunk.measure} {line}" for h, line in draft.items] + list(draft.counted)
    missing = unsupported_quantities(draft.text, evidence)
    if missing:
        return f"the answer states {', '.join(missing)}, which its sources do not"
    quoted = " ".join(draft.quotes)
    if draft.shape in ("quote", "units") and analysis.unit and not states_figure_in(quoted, analysis.unit):
        return f"the passages answering this state no figure in {analysis.unit}"
    if draft.shape == "quote" and analysis.answer_type in (FIGURE, DATE, ORGANISATION) \
            and not has_answer_type(analysis, quoted):
        return "the quoted passages do not state what the question asks for"
    # A heading quoted with its number ("2.自治区质监局各单位申请宣传申报单") is a heading all the same; a one-sentence
    # article ("第二條 本辦法之主管機關為本府經濟發展局。") is a statement, though the chunker titles it by itself.
    headings = {_compact(heading_title(h.chunk)) for h in draft.cited}
    if draft.quotes and draft.shape == "quote" and all(
            _compact(strip_marker(q)) in headings and not _SENTENCE_END.search(q) for q in draft.quotes):
        return "only a heading answers this"
    return None
