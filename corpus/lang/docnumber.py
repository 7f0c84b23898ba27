"""文号, the number of an official document: 包府发〔2022〕50号, 沪府办发 〔2025〕 17號, and the Taiwan form
府授經能字第1130123456號."""

from __future__ import annotations

import re

from corpus.lang.text import normalize_width

_BRACKET_OPEN, _BRACKET_CLOSE = r"[〔\[［【(（﹝]", r"[〕\]］】)）﹞]"
DOC_NUMBER = re.compile(
    rf"[\u4e00-\u9fff]{{1,10}}\s*{_BRACKET_OPEN}\s*(\d{{4}})\s*{_BRACKET_CLOSE}\s*(?:第\s*)?(\d{{1,4}})\s*[号號]"
    r"|(?:(?![年月日〇○零一二三四五六七八九十])[\u4e00-\u9fff]){1,8}字第\s*(\d{1,12})\s*[号號]")


def find_doc_number(text: str) -> re.Match[str] | None:
    return DOC_NUMBER.search(text)


def doc_number_key(text: str) -> tuple[str, ...] | None:
    """(year, number) or (number,) of the first 文号 in `text`, comparable whatever its brackets and spaces."""
    m = DOC_NUMBER.search(normalize_width(text))
    if not m:
        return None
    return (m.group(1), m.group(2)) if m.group(1) else (m.group(3),)
