"""Is a sentence backed by passages? Shared by the answer guard (app/) and the scorer (evals/), so the
product refuses exactly what the evaluation would mark down."""

from __future__ import annotations

import re
from itertools import pairwise

from corpus.lang.numbers import unsupported_quantities
from corpus.lang.orgs import ORG_IN_TEXT
from corpus.lang.sentences import CITATION
from corpus.lang.text import normalize_for_search

_CONTENT = re.compile(r"[\u4e00-\u9fff]|[0-9]+(?:\.[0-9]+)?|[a-z]+")


def _units(text: str) -> list[str]:
    return _CONTENT.findall(normalize_for_search(CITATION.sub(" ", text)))


def bigrams(text: str) -> set[tuple[str, str]]:
    units = _units(text)
    return set(pairwise(units)) or {(u, "") for u in units}


def bigram_support(claim: str, passages: list[str]) -> float:
    """Share of the claim's character bigrams (CJK characters, numbers, Latin words) found in the passages:
    1.0 for a verbatim quote, low for invented text; order-insensitive across passages."""
    claim_grams = bigrams(claim)
    if not claim_grams:
        return 1.0
    passage_grams: set[tuple[str, str]] = set()
    for passage in passages:
        passage_grams |= bigrams(passage)
    return len(claim_grams & passage_grams) / len(claim_grams)


def organisations(text: str) -> list[str]:
    return [m.group(0) for m in ORG_IN_TEXT.finditer(normalize_for_search(CITATION.sub(" ", text)))]


def unsupported_organisations(claim: str, passages: list[str]) -> list[str]:
    """Organisations the claim names that no passage names. The regex cannot tell where a name starts
    ("牵头单位为市工信局"), so a name counts as found when some ending of it of 3+ characters is found."""
    joined = normalize_for_search(" ".join(passages))
    return [org for org in organisations(claim)
            if not any(org[i:] in joined for i in range(0, max(1, len(org) - 2)))]


def claim_problems(claim: str, passages: list[str], min_support: float) -> list[str]:
    """Why `claim` is not backed by `passages` (empty list = backed)."""
    problems = [f"number not in sources: {n}" for n in unsupported_quantities(claim, passages)]
    problems += [f"organisation not in sources: {o}" for o in unsupported_organisations(claim, passages)]
    support = bigram_support(claim, passages)
    if support < min_support:
        problems.append(f"wording not in sources (support {support:.2f})")
    return problems
