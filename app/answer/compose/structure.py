"""Answers read off a document's structure rather than quoted from one passage: how many measures it has (and
where its numbering skips), and whether it is still in force. Each cites the passages its figure comes from:
a count cites the first and last measures counted; a period cites the passage or title that states it."""

from __future__ import annotations

import datetime as dt
import re
from itertools import pairwise

from app.answer.compose import Draft, Silent
from app.answer.compose.cite import where
from app.answer.compose.items import item_line
from app.answer.compose.scope import named_documents
from corpus.lang.numbering import cn_to_int, measure_path
from corpus.model import MEASURE, Chunk
from corpus.validity import EXPIRED, HORIZON_YEAR, IN_FORCE, NOT_YET
from index.store import IndexStore
from retriever.hybrid import Hit
from retriever.query import QueryAnalysis

COUNT, VALIDITY = "count", "validity"  # answer types (corpus/lang/data/answer_types.yaml)
SHOWN = 5
PART = re.compile(r"第([一二三四五六七八九十\d]+)(?:部分|章|节|大项)")  # "第三部分有几项任务": that part only


def measures(store: IndexStore, doc_id: str) -> list[Chunk]:
    """The document's numbered measures, each once, in reading order (annexes and split pieces aside)."""
    return [c for c in store.chunks_of(doc_id) if c.kind == MEASURE and c.piece == 1 and c.measure
            and not c.measure.startswith("附件")]


def numbering_gaps(chunks: list[Chunk]) -> list[int]:
    """Numbers a run of one numbering level skips ("1. 2. 3. 5." skips 4), for a list numbered straight through."""
    last = [measure_path(c.measure)[-1] for c in chunks if measure_path(c.measure)]
    numbers = [int(n) for _, n in last]
    if len({family for family, _ in last}) != 1 or numbers != sorted(set(numbers)):
        return []  # several families, or numbering that restarts under each parent
    return [n for n in range(numbers[0], numbers[-1]) if n not in set(numbers)]


def _part(chunk: Chunk) -> str:
    """The top-level part a chunk belongs to: the first step of its number path ("u3.9" → "u3")."""
    return chunk.chunk_id.split(":", 1)[-1].split(".")[0]


def part(store: IndexStore, doc_id: str, ordinal: int) -> list[Chunk]:
    """The measures of the document's `ordinal`-th top-level part (1-based), in reading order; [] if none."""
    found = measures(store, doc_id)
    parts = list(dict.fromkeys(_part(c) for c in found))
    return [c for c in found if _part(c) == parts[ordinal - 1]] if 0 < ordinal <= len(parts) else []


class CountComposer:
    name = "count"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != COUNT:
            return None
        docs = named_documents(analysis, passages, store)
        named = PART.search(analysis.original)
        if len(docs) != 1:
            return None
        found = part(store, docs[0], cn_to_int(named.group(1))) if named else measures(store, docs[0])
        if not found:
            return None
        gaps = numbering_gaps(found)
        shown = found[:SHOWN]
        cited = tuple(Hit(c, 0.0, 0.0, 0.0, 0) for c in shown)
        # A part is named by its heading: its ordinal is the question's word, not the document's.
        where_ = f"“{found[0].heading_path[0]}”部分" if named and found[0].heading_path else ""
        lines = [f"《{found[0].title}》{where_}按编号共有{len(found)}条措施（条目）："]
        lines += [f"{item_line(c)}[{n}]" for n, c in enumerate(shown, 1)]
        counted = [f"共有{len(found)}条"]  # the number of measures the answer returns in `items`
        if len(found) > SHOWN:
            lines.append("……其余各条见回答的 items 字段。")
        if gaps:
            # Named by the measures on either side, which `items` returns: no number the answer cannot back.
            paths = [measure_path(c.measure) for c in found]
            skips = [f"{a.measure}之后为{b.measure}" for (a, pa), (b, pb) in pairwise(zip(found, paths, strict=True))
                     if pa and pb and pb[-1][1] - pa[-1][1] > 1]
            lines.append(f"注意：编号不连续（{'，'.join(skips)}），可能是原文的章节标题或缺漏。")
        every = tuple((Hit(c, 0.0, 0.0, 0.0, 0), item_line(c)) for c in found)
        return Draft("\n".join(lines), cited, self.name, tuple(item_line(c) for c in shown), every, tuple(counted))


_STATUS = {EXPIRED: "已到期", IN_FORCE: "在有效期内", NOT_YET: "尚未施行"}


class ValidityComposer:
    name = "validity"

    def compose(self, analysis: QueryAnalysis, passages: list[Hit], store: IndexStore) -> Draft | None:
        if analysis.answer_type != VALIDITY:
            return None
        # Several documents of the named place or year: the question asks of one, the best retrieved.
        docs = named_documents(analysis, passages, store)[:1]
        chunks = store.chunks_of(docs[0]) if docs else []
        if not chunks:
            return None
        period = store.period(docs[0])
        title = store.document(docs[0]).meta.title
        if period is None:
            raise Silent(self.name, f"{title} states no period of validity or date of effect")
        source = next((c for c in chunks if c.chunk_id == period.chunk_id), chunks[0])  # the title: any passage
        status = period.status(dt.date.today())
        if period.basis == HORIZON_YEAR:
            text = (f"《{title}》未载明实施期或有效期；其目标年份为“{period.stated}”[1]"
                    f"{'，该年份已过' if status == EXPIRED else ''}。")
        elif period.chunk_id is None:
            text = f"《{title}》实施期为{period.stated}（见标题）[1]，{_STATUS.get(status, '')}。"
        else:
            text = f"根据{where(source)}：“{period.stated}”[1]。按此，该文件{_STATUS.get(status, '有效期未载明')}。"
        return Draft(text, (Hit(source, 0.0, 0.0, 0.0, 0),), self.name, (period.stated,))
