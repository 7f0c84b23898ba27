"""How answers name what they cite: the document and the measure as readers cite them."""

from __future__ import annotations

from corpus.lang.numbering import strip_marker
from corpus.lang.numbers import quantities
from corpus.lang.sentences import looks_like_heading
from corpus.model import ANNEX, CLOSING, INTRO, LEAD, PREAMBLE, Chunk

_SECTION_NAMES = {INTRO: "引言", PREAMBLE: "前言", LEAD: "导语", CLOSING: "落款", ANNEX: "附件"}


def measure_name(chunk: Chunk) -> str:
    """"24.强化政策支持" when the measure has a heading, else its number path."""
    title = heading_title(chunk)
    # A title is short, without clauses or figures; anything else is an untitled article's own sentence.
    if chunk.measure.endswith(title):  # a run-in heading is its own measure path ("(三) 强化…赋能")
        return chunk.measure
    if chunk.measure and title and looks_like_heading(title, 20) and not quantities(title):
        return chunk.measure + title
    return chunk.measure


def where(chunk: Chunk) -> str:
    """"《title》24.强化政策支持": the document and the measure."""
    if chunk.kind != INTRO and chunk.kind in _SECTION_NAMES and not chunk.measure.startswith("附件"):
        return f"《{chunk.title}》{_SECTION_NAMES[chunk.kind]}"
    if chunk.kind == INTRO and chunk.measure == "引言":
        return f"《{chunk.title}》"  # the section's heading is lost: name the document only
    return f"《{chunk.title}》{measure_name(chunk)}"


def heading_title(chunk: Chunk) -> str:
    """The last heading without its number: "推动冶金产业转型升级" of "一是推动冶金产业转型升级"."""
    heading = chunk.heading_path[-1] if chunk.heading_path else ""
    return strip_marker(heading).strip() if chunk.measure else heading
