"""Dates as documents and portals write them: 2024年1月15日, 二○一二年一月九日, 2024-01-15, 2024/1/15,
2024.01.15; the forms a year takes (2026, 二〇二六); and what a question asking "when / how long" expects."""

from __future__ import annotations

import datetime as dt
import re

from corpus.lang.numbering import cn_to_int

_CN_DIGIT = "〇○零一二三四五六七八九"
_CN_NUM = "〇○零一二三四五六七八九十"
DATE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    rf"|(?P<cy>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<cm>[{_CN_NUM}]{{1,3}})\s*月\s*(?P<cd>[{_CN_NUM}]{{1,3}})\s*日"
    r"|(?<!\d)(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})(?!\d)")
# A date on a line of its own, as a signature or under the title: the issue date, unlike dates in the
# text ("有效期至2027年12月31日").
_OWN_LINE = re.compile(rf"^\s*[(（]?\s*(?:{DATE.pattern})\s*[)）]?\s*$", re.M)
# What answers "when / how long / by what deadline": a date, a year, a period or a time limit.
TIME_EXPRESSION = re.compile(
    rf"{DATE.pattern}|\d{{4}}\s*年|[{_CN_DIGIT}]{{4}}\s*年|\d+\s*(?:个)?(?:工作日|日|天|个月|月|年|周|小时)(?:内|以内|之内)?"
    rf"|[{_CN_NUM}两]+\s*(?:个)?(?:工作日|日|天|个月|月|年|周|小时)(?:内|以内|之内)?"
    r"|之日起|起施行|起实施|起执行|届满|期限|有效期|每年|每季度|每月|年底|年末|年内|月底|前完成")


def _iso(m: re.Match[str]) -> str | None:
    if m.group("y"):
        y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    elif m.group("cy"):
        y, mo, d = cn_to_int(m.group("cy")), cn_to_int(m.group("cm")), cn_to_int(m.group("cd"))
    else:
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def dates(text: str) -> list[str]:
    """ISO forms of the valid dates in `text`, in order."""
    return [iso for m in DATE.finditer(text) if (iso := _iso(m))]


def own_line_dates(text: str) -> list[str]:
    """ISO forms of the dates standing on lines of their own (signature, under the title)."""
    return [iso for m in _OWN_LINE.finditer(text) if (iso := _iso(m))]


def date_forms(iso: str) -> list[str]:
    """How a passage may write a date, most complete first; month and day alone last (a news lead's
    "5月15日")."""
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return []
    cn = year_forms(d.year)[1]
    return [f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month:02d}月{d.day:02d}日", d.isoformat(),
            f"{cn}年{_cn_small(d.month)}月{_cn_small(d.day)}日", f"{d.month}月{d.day}日"]


def _cn_small(n: int) -> str:
    """1–999 in Chinese numerals as read aloud: 十二, 一百零五, 一百一十四."""
    digits = "〇一二三四五六七八九"
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        tail = "" if not rest else ("零" + digits[rest] if rest < 10 else
                                    digits[rest // 10] + "十" + ("" if rest % 10 == 0 else digits[rest % 10]))
        return digits[hundreds] + "百" + tail
    if n < 10:
        return digits[n]
    return ("" if n < 20 else digits[n // 10]) + "十" + ("" if n % 10 == 0 else digits[n % 10])


ROC_OFFSET = 1911  # 中华民国 year 1 is 1912: Taiwan's laws date by it (中华民国一百零五年 is 2016)


def year_forms(year: int) -> list[str]:
    """2026 as documents write it: digits, or Chinese digits with any of the zeros 〇 ○ 零; and in the ROC
    calendar (民国105年, 一百零五年)."""
    digits = "".join("〇一二三四五六七八九"[int(d)] for d in str(year))
    forms = [str(year), digits, digits.replace("〇", "○"), digits.replace("〇", "零")]
    if year > ROC_OFFSET:
        roc = year - ROC_OFFSET
        forms += [f"民国{roc}年", f"{_cn_small(roc)}年"]
    return forms


YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(1[0-2]|0?[1-9])\s*月")


def years(text: str) -> list[int]:
    return [int(y) for y in YEAR.findall(text)]


def months(text: str) -> list[tuple[int, int]]:
    """The (year, month) pairs a text names: "2020年3月" → (2020, 3)."""
    return [(int(y), int(m)) for y, m in _MONTH.findall(text)]


def month_forms(month: int) -> list[str]:
    return [f"{month}月", f"{month:02d}月", f"{_cn_small(month)}月"]


# A document's own period, as its text states it (matched on Simplified text; the document's own sentence
# starts with 本: "本条例自2022年3月1日起施行", "本办法…有效期至2030年8月31日", "有效期3年").
_Y = r"(?:19|20)\d{2}"
PERIOD_SPAN = re.compile(rf"(?P<a>{_Y})\s*年?\s*[-—–~至到]\s*(?P<b>{_Y})\s*年")
SELF_EFFECTIVE = re.compile(r"本[\u4e00-\u9fff]{1,6}?自\s*(?P<date>[^，。；,;]{6,16}?)\s*起(?:施行|实施|执行|生效)")
VALID_UNTIL = re.compile(rf"有效期(?:至|到|截至)\s*(?P<date>[^，。；,;]{{5,16}}?日|(?P<y>{_Y})\s*年(?:底|末)?)")
VALID_FOR = re.compile(r"有效期(?:为|是)?\s*(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,2})\s*年")
HORIZON = re.compile(rf"到\s*(?P<y>{_Y})\s*年")
