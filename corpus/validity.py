"""A document's period of validity, read from its own text: a span in its title or text (2021—2023年), "有效期
至…", "自…起施行" with or without "有效期N年", else the year its targets are set for (到2027年). Which of those
an answer may call "已到期" is decided here once: only a period the document states, never a target year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.lang.dates import HORIZON, PERIOD_SPAN, SELF_EFFECTIVE, VALID_FOR, VALID_UNTIL, dates
from corpus.lang.numbering import cn_to_int
from corpus.lang.text import to_simplified
from corpus.model import Chunk

SPAN, UNTIL, TERM, EFFECTIVE, HORIZON_YEAR = "span", "until", "term", "effective", "horizon"
IN_FORCE, EXPIRED, NOT_YET, UNKNOWN = "in_force", "expired", "not_yet_in_force", "unknown"


@dataclass(frozen=True)
class Period:
    start: str | None  # ISO date
    end: str | None  # ISO date, inclusive
    stated: str  # the words that state it, as the document writes them
    basis: str  # SPAN, UNTIL, TERM, EFFECTIVE or HORIZON_YEAR
    chunk_id: str | None = None  # the passage that states it (None: the title)

    @property
    def ends(self) -> bool:
        """Whether the document itself says it ends (a target year is no end of validity)."""
        return self.end is not None and self.basis != HORIZON_YEAR

    def status(self, on: dt.date) -> str:
        if self.start and on < dt.date.fromisoformat(self.start):
            return NOT_YET
        if self.ends and on > dt.date.fromisoformat(self.end or ""):
            return EXPIRED
        return IN_FORCE if self.start or self.ends else UNKNOWN


def in_force(found: Period | None, on: dt.date) -> bool:
    """Whether a document may be in force on `on`: not known to have expired or to start later (a document
    stating no period is kept; it is no one's to drop)."""
    return found is None or found.status(on) in (IN_FORCE, UNKNOWN)

def _verbatim(text: str, simplified: str, start: int, end: int) -> str:
    # OpenCC maps character for character here; when it did not, the Simplified words are shown.
    return text[start:end] if len(text) == len(simplified) else simplified[start:end]


def _plus_years(iso: str, years: int) -> str:
    d = dt.date.fromisoformat(iso)
    try:
        return (d.replace(year=d.year + years) - dt.timedelta(days=1)).isoformat()
    except ValueError:  # 29 February
        return (d.replace(year=d.year + years, day=28)).isoformat()


def _own(chunk: Chunk) -> Period | None:
    """The period a passage states of its own document."""
    simple = to_simplified(chunk.text)
    effective = SELF_EFFECTIVE.search(simple)
    start = dates(effective.group("date"))[0] if effective and dates(effective.group("date")) else None
    until = VALID_UNTIL.search(simple)
    if until:
        end = dates(until.group("date"))[0] if dates(until.group("date")) else (
            f"{until.group('y')}-12-31" if until.group("y") else None)
        if end:
            lo = effective.start() if effective else until.start()
            return Period(start, end, _verbatim(chunk.text, simple, lo, until.end()), UNTIL, chunk.chunk_id)
    term = VALID_FOR.search(simple)
    if start and term and effective and term.start() - effective.end() < 12:
        n = term.group("n")
        end = _plus_years(start, int(n) if n.isdigit() else cn_to_int(n))
        return Period(start, end, _verbatim(chunk.text, simple, effective.start(), term.end()), TERM, chunk.chunk_id)
    if start and effective:
        return Period(start, None, _verbatim(chunk.text, simple, effective.start(), effective.end()), EFFECTIVE,
                      chunk.chunk_id)
    return None


def period(title: str, chunks: Sequence[Chunk]) -> Period | None:
    """The document's period: what its own sentences state, else a span in its title, else the latest year its
    targets are set for; None when it states none."""
    for chunk in reversed(chunks):  # closing articles state it
        found = _own(chunk)
        if found:
            return found
    span = PERIOD_SPAN.search(to_simplified(title))
    if span and span.group("a") < span.group("b"):
        return Period(f"{span.group('a')}-01-01", f"{span.group('b')}-12-31", span.group(0), SPAN)
    horizons = [(int(m.group("y")), c, m) for c in chunks for m in HORIZON.finditer(to_simplified(c.text))]
    if horizons:
        year, chunk, m = max(horizons, key=lambda h: h[0])
        return Period(None, f"{year}-12-31", _verbatim(chunk.text, to_simplified(chunk.text), m.start(), m.end()),
                      HORIZON_YEAR, chunk.chunk_id)
    return None
