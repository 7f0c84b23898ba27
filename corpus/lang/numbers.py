"""Find the quantities a sentence states (numbers, percentages, amounts, years) in a comparable form.

Both the grounding guard and the evaluation suite ask "does every number in this answer occur in
a cited passage?"; they must agree on what a number is, so the rule lives here once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jieba

from corpus.lang.sentences import CITATION
from corpus.lang.text import normalize_for_search
from corpus.lang.words import ordered_list

_MAGNITUDE = {"十": 10, "百": 100, "千": 1_000, "万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_ARABIC = re.compile(r"(?<![0-9A-Za-z.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|％|‰)?\s*([十百千万萬亿億]*)")
_CN = "零〇一二两兩三四五六七八九十百千万萬亿億"
# Longest first (data/unit_words.txt) so 千瓦时 is not read as 千瓦 and 个百分点 not as 个; lazy magnitude:
# 万千瓦 is 万 + 千瓦.
_UNITS = {line.partition("=")[0]: line.partition("=")[2] or line for line in ordered_list("unit_words.txt")}
# "钱=元": a word a question asks a figure in, and the unit the documents state it in.
# Units (data/unit_words.txt) and the general counters: a Chinese numeral is a quantity only when one follows,
# so 一是 / 统一 / 十四五 stay words.
_COUNTERS = "个個种種类類项項名人座台吨噸元倍批条條所家次天周岁歲"
_UNIT_AFTER = "|".join(sorted(map(re.escape, set(_UNITS.values())), key=len, reverse=True))
_CN_QTY = re.compile(rf"([{_CN}]{{1,8}}(?:[点點][零〇一二三四五六七八九]{{1,4}})?)(?=[{_COUNTERS}%]|{_UNIT_AFTER})"
                     # "超千万" / "近百家": a bare magnitude after a word of approximation is a figure too
                     rf"|(?<=[超近约逾达破])([十百千万萬亿億]{{1,3}})")
# 百分之十五 is 15%, 四分之三 is 0.75, 千分之五 is 0.005.
_CN_FRACTION = re.compile(rf"([{_CN}]{{1,4}})分之([{_CN}点點.\d]{{1,8}})")
# What makes a number a label rather than a figure: an ordinal (第十九条), a document number (〔2011〕7号),
# a year or a session (第十届).
_LABEL_BEFORE = re.compile(r"(?:第|〔|\[|［|No\.?)\s*$")
_LABEL_AFTER = re.compile(r"^\s*(?:〕|\]|］|号|號|年(?!度?以?[内来])|届|批次|期(?!间))")


@dataclass(frozen=True)
class Quantity:
    value: float
    percent: bool
    surface: str
    start: int = -1  # where the surface begins in the text it was read from
    end: int = -1

    @property
    def key(self) -> tuple[float, bool]:
        return (round(self.value, 6), self.percent)


def _cn_value(text: str) -> float | None:
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in ("万", "萬", "亿", "億"):
            section = (section + (digit or 0)) * _MAGNITUDE[ch]
            total, section, digit = total + section, 0, None
        elif ch in _MAGNITUDE:
            section += (1 if digit is None else digit) * _MAGNITUDE[ch]
            digit = None
        else:
            return None
    value = total + section + (digit or 0)
    return float(value) if value else None


def quantities(text: str) -> list[Quantity]:
    """Quantities stated in `text`; citation markers such as [2] are not quantities."""
    text = CITATION.sub(" ", unicodedata.normalize("NFKC", text))
    found: list[Quantity] = []
    for m in _ARABIC.finditer(text):
        value = float(m.group(1).replace(",", ""))
        for ch in m.group(3):
            value *= _MAGNITUDE[ch]
        found.append(Quantity(value, bool(m.group(2)), m.group(0).strip(), m.start(), m.end()))
    fractions = []
    for m in _CN_FRACTION.finditer(text):
        whole, part = _cn_value(m.group(1)), _number(m.group(2))
        if whole and part is not None:
            percent = whole == 100
            fractions.append(Quantity(part if percent else part / whole, percent, m.group(0), m.start(), m.end()))
    found += fractions
    for m in _CN_QTY.finditer(text):
        if any(f.start <= m.start() < f.end for f in fractions):
            continue
        surface = m.group(1) or m.group(2)
        value = _number(surface)
        if value and not (len(surface) == 1 and value < 2):  # "一家" is wording, not a figure
            found.append(Quantity(value, text[m.end(): m.end() + 1] == "%", surface, m.start(), m.end()))
    return found


def _number(text: str) -> float | None:
    """一点二 → 1.2, 15 → 15, 十五 → 15."""
    text = text.replace("點", "点").replace(".", "点")
    whole, _, decimals = text.partition("点")
    if whole.isdecimal():
        value = float(whole)
    else:
        value = _cn_value(whole) if whole not in ("零", "〇") else 0.0
        if value is None:
            return None
    if decimals:
        digits = "".join(str(_CN_DIGIT[c]) if c in _CN_DIGIT else c for c in decimals)
        if not digits.isdecimal():
            return None
        value += float(f"0.{digits}")
    return value


def figures(text: str) -> list[Quantity]:
    """The quantities of `text` that are figures, not labels: an ordinal (第十九条), a document number
    (〔2011〕7号) or a year answers no "多少" question."""
    text = CITATION.sub(" ", unicodedata.normalize("NFKC", text))
    return [q for q in quantities(text)
            if not _LABEL_BEFORE.search(text[max(0, q.start - 4):q.start])
            and not _LABEL_AFTER.match(text[q.end:q.end + 4])]


def unsupported_quantities(answer: str, passages: list[str]) -> list[str]:
    """Surfaces of the answer's quantities that no passage states (empty list = fully supported)."""
    known = {q.key for passage in passages for q in quantities(passage)}
    return [q.surface for q in quantities(answer) if q.key not in known]


_UNIT_TOKEN = re.compile(rf"[十百千万亿]*?({'|'.join(map(re.escape, _UNITS))})")
_NUMERAL = r"(?:\d|[零〇一二两三四五六七八九十百千万亿])"


def asked_unit(question: str) -> str | None:
    """The unit a question wants its figure in, without magnitude ("多少亿美元" -> "美元"), or None.
    The words after 多少/几 must be the unit itself: "多少人才" asks about talent, not in 人."""
    words = [w for w in jieba.cut(normalize_for_search(question)) if w.strip()] + ["", ""]
    for i, word in enumerate(words[:-2]):
        if i and words[i - 1].endswith("哪"):
            continue  # "哪几项" asks which ones, not how many
        if word in ("多少", "几"):
            after = [words[i + 1] + words[i + 2], words[i + 1]]  # "个" + "百分点" is one unit
        elif word.startswith(("多少", "几")):  # jieba's "多少钱", "几家"
            rest = word.removeprefix("多少").removeprefix("几")
            after = [rest + words[i + 1], rest]
        else:
            continue
        unit = next((_UNITS[m.group(1)] for a in after if (m := _UNIT_TOKEN.fullmatch(a))), None)
        # 个 is the general counter: "多少个工作站" is answered by "3家" as well.
        if unit and unit != "个":
            return unit
    return None


def states_figure_in(text: str, unit: str) -> bool:
    """Whether `text` states a number in `unit` ("50亿美元" for 美元; "300亿元" is not one)."""
    return re.search(rf"{_NUMERAL}\s*[十百千万亿]*\s*{re.escape(unit)}", normalize_for_search(text)) is not None
