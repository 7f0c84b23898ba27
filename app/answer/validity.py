"""What an answer says about the period of the plans it cites: "该计划实施期为2021-2023年，已到期" when a cited
document's own period has ended (corpus.validity; a target year is no end of validity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from corpus.validity import EXPIRED
from index.store import IndexStore


def expiry_note(doc_ids: Iterable[str], store: IndexStore, on: dt.date | None = None) -> str:
    """One line per cited document whose period has ended on `on` (today), or ""."""
    notes = []
    for doc_id in dict.fromkeys(doc_ids):
        period = store.period(doc_id)
        if period and period.status(on or dt.date.today()) == EXPIRED:
            title = store.document(doc_id).meta.title
            notes.append(f"（注意：《{title}》实施期为{period.stated.strip('，。 ')}，已到期。）"
                         if period.basis == "span" else
                         f"（注意：《{title}》载明“{period.stated}”，已到期。）")
    return "".join("\n" + n for n in notes)
