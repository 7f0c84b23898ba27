"""Numbering families of Chinese policy texts and numerals: how measures are numbered, how readers cite a
measure ("二、(三) 2.", "第十二条"), and how a question refers to one ("第5条", "(三)", "measure 24")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from corpus.lang.text import normalize_width, to_simplified

CN_DIGITS = "零〇○一二三四五六七八九十百千"
_CN = f"[{CN_DIGITS}]+"
_CIRCLED = "①-⑳"

# (family, marker at the start of a segment), most specific first. Traditional 條/節/章 too: chunking reads
# the original text. `md_article` is a Markdown article list ("* 1 …", "* 7.1" for 第七條之一).
MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"第\s*({_CN}|\d+)\s*章\s*")),
    ("part", re.compile(rf"第\s*({_CN}|\d+)\s*[节節]\s*")),
    # 第七條之一, and 第 12-1 條 as some law corpora write it
    ("article", re.compile(rf"第\s*({_CN}|\d+)\s*(?:[-－]\s*(\d+)\s*)?[条條](?:之({_CN}|\d+))?\s*")),
    ("md_article", re.compile(r"[*＊]\s+(\d{1,4})(?:\.(\d{1,2}))?\s+")),
    # 一、 with an optional pinyin gloss before the mark: "一(yī)、"
    ("cn", re.compile(rf"({_CN})(?:[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+[)）])?[、.．]\s*")),
    ("cn_paren", re.compile(rf"[(（]({_CN})[)）]\s*")),
    ("cn_paren_ideograph", re.compile(r"([㈠-㈩])\s*")),  # ㈠ is (一) as one character
    ("num", re.compile(r"(\d{1,3})[.．、](?![\d.．])\s*")),
    ("num_paren", re.compile(r"[(（](\d{1,3})[)）]\s*")),
    ("circled", re.compile(rf"([{_CIRCLED}])\s*")),
    ("shi", re.compile(rf"({_CN})(?:是|要)(?![的否])")),
    ("annex", re.compile(r"附\s*件\s*(\d*)\s*[:：]?\s*")),
]
FAMILY_PATTERNS = dict(MARKERS)
# Spellings of one family: "* 7" is 第七条 written as a Markdown list, ㈠ is (一).
FAMILY_ALIAS = {"md_article": "article", "cn_paren_ideograph": "cn_paren"}


def marker_numbers(family: str, m: re.Match[str]) -> tuple[str, str | None]:
    """(number, sub-number) as written: "7", "1" for 第七条之一 / 第 7-1 條 / "* 7.1"."""
    if family == "article":
        return m.group(1), m.group(2) or m.group(3)
    if family == "md_article":
        return m.group(1), m.group(2)
    if family == "cn_paren_ideograph":
        return "一二三四五六七八九十"[ord(m.group(1)) - ord("㈠")], None
    return m.group(1), None
# Chapter headings written without their number ("总 则", "附 则"): a heading of the chapter family.
UNNUMBERED_CHAPTER = re.compile(r"^(?:总\s*则|總\s*則|附\s*则|附\s*則|分\s*则|分\s*則)$")
# Measures a scrape flattened into one line: a number right after a sentence end or a closing parenthesis
# ("…成效。 17.引导企业…", "…通知如下。 一、各地自查"), never a decimal such as "1.5万吨".
INLINE_NUM = re.compile(r"(?<=[。；;)）])\s*(?:(\d{1,3})[.．、](?![\d.．])|(?<=\s)([一二三四五六七八九十]{1,3})、)")


# Items enumerated inside one passage: "（一）…（二）…", "一、…二、…", "1.…2.…".
ENUMERATION = re.compile(r"(?:[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d{1,2}[.．、](?!\d))")


def starts_with_marker(line: str) -> bool:
    """Whether the line opens with a measure number of any family."""
    text = line.strip()
    return any(p.match(text) for _, p in MARKERS)


def strip_marker(text: str) -> str:
    """The text without the numbering marker it starts with: "(六)吸引和培育创新人才" → "吸引和培育创新人才"."""
    for _, pattern in MARKERS:
        m = pattern.match(text)
        if m:
            return text[m.end():]
    return text


def cn_to_int(text: str) -> int:
    """A Chinese numeral (一 … 九十九, 一百…, 二○二六), digits or a circled digit → int."""
    text = text.strip()
    if text.isdecimal():  # not isdigit(): "③".isdigit() is True
        return int(text)
    if len(text) == 1 and "①" <= text <= "⑳":
        return ord(text) - ord("①") + 1
    values = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "○": 0, "两": 2, "兩": 2}
    if all(ch in values for ch in text) and len(text) > 1:  # 二〇二六: digit by digit
        return int("".join(str(values[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in "百千":
            total += (current or 1) * (100 if ch == "百" else 1000)
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = values.get(ch, 0)
    return total + current


def label(family: str, raw: str, sub: str | None = None) -> str:
    """The marker as readers write it, in one canonical form whatever the document's punctuation."""
    if family in ("article", "md_article"):
        return f"第{raw}条" + (f"之{sub}" if sub else "")
    return {
        "chapter": f"第{raw}章", "part": f"第{raw}节", "cn": f"{raw}、", "cn_paren": f"({raw})",
        "num": f"{raw}.", "num_paren": f"({raw})", "circled": raw, "shi": f"{raw}是", "annex": f"附件{raw}",
    }.get(family, raw)


# A measure path as `label` writes it, read back: (family, number) per level. Articles of any form are
# "article"; 之一 makes 7.1 (第七条之一) distinct from 7.
_PATH_LABEL = re.compile(
    rf"第({_CN}|\d+)章|第({_CN}|\d+)节|第({_CN}|\d+)条(?:之({_CN}|\d+))?|({_CN})、|\(({_CN})\)|\((\d+)\)"
    rf"|(?<![\d.])(\d+)\.|([{_CIRCLED}])|({_CN})是|附件(\d*)")
_PATH_FAMILIES = ("chapter", "part", "article", None, "cn", "cn_paren", "num_paren", "num", "circled", "shi", "annex")


def measure_path(measure: str) -> list[tuple[str, float]]:
    """"第二章 第十二条 (一)" → [("chapter", 2), ("article", 12), ("cn_paren", 1)]."""
    return list(_measure_path(measure or ""))


@lru_cache(maxsize=1 << 16)  # a corpus repeats few labels, and a search reads one per candidate passage
def _measure_path(measure: str) -> tuple[tuple[str, float], ...]:
    path: list[tuple[str, float]] = []
    for m in _PATH_LABEL.finditer(to_simplified(normalize_width(measure or ""))):
        i = next(i for i, g in enumerate(m.groups()) if g is not None)
        family = _PATH_FAMILIES[i]
        number: float = cn_to_int(m.group(i + 1)) if m.group(i + 1) else 1
        if family == "article" and m.group(4):
            number += cn_to_int(m.group(4)) / 10
        path.append((family, number))
    return tuple(path)


@dataclass(frozen=True)
class MeasureRef:
    """A question's reference to a measure: its number and the family it names ("any" for 第N条 / item N)."""

    number: float  # 第二十四条之一 and Article 24-1 are 24.1, as measure_path numbers them
    family: str


_SUB = r"(?:\s*[-—－]\s*(?P<{}>\d))?"
_REF = re.compile(
    rf"第\s*(?P<n>[0-9]+|[一二三四五六七八九十百]+){_SUB.format('nsub')}\s*(?:条|條|项|項|点|點|款)"
    r"(?:\s*之\s*(?P<zhi>[一二三四五六七八九]|\d))?"
    rf"|(?:measure|item|article|point)\s*(?:no\.?\s*)?(?P<en>\d+){_SUB.format('ensub')}"
    r"|[(（](?P<paren>[一二三四五六七八九十]+|\d+)[)）]"
    r"|(?<![\d.])(?P<dot>\d{1,2})[.、](?![\d])"
    r"|(?P<shi>[一二三四五六七八九十])是"
    r"|(?P<cn>[一二三四五六七八九十]+)、",
    re.IGNORECASE,
)
_REF_FAMILY = {"n": "any", "en": "any", "paren": "paren", "dot": "num", "shi": "shi", "cn": "cn"}


def measure_refs(question: str) -> list[MeasureRef]:
    """The measures a question names by number."""
    refs = []
    for m in _REF.finditer(question):
        kind = next(k for k in _REF_FAMILY if m.group(k))
        if kind == "paren" and len(m.group(kind)) == 4:
            continue  # "(2016)" glosses a year: no list runs to item 2016
        sub = next((m.group(g) for g in ("nsub", "zhi", "ensub") if m.group(g)), None) if kind in ("n", "en") else None
        refs.append(MeasureRef(cn_to_int(m.group(kind)) + (cn_to_int(sub) / 10 if sub else 0), _REF_FAMILY[kind]))
    return refs


def measure_match(refs: list[MeasureRef], measure: str) -> int:
    """How many of the question's references this measure path satisfies (0 = none, or one clashes)."""
    path = measure_path(measure)
    if not path or not refs:
        return 0
    matched = 0
    for ref in refs:
        if ref.family == "any":
            ok = path[-1][1] == ref.number or any(f == "article" and n == ref.number for f, n in path)
        elif ref.family == "paren":
            ok = any(f in ("cn_paren", "num_paren") and n == ref.number for f, n in path)
        else:
            ok = any(f == ref.family and n == ref.number for f, n in path)
        matched += ok
    return matched if matched == len(refs) else 0
