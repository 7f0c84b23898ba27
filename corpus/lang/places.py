"""China's administrative divisions — provinces, prefectures and counties, with the national division codes
that say which lies in which — read from the table the `cpca` package ships (resources/adcodes.csv).

A question's place is judged against the places a document names: "四川" and a document of 剑阁县 are the
same place at two levels, "广州" and a document of 包头市 are not. The general dictionary cannot tell:
jieba tags 新建 (a district of 南昌) and 古镇 (a town) as place words, and neither knows what contains what."""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

_LEVEL_SUFFIX = re.compile(r"自治[区州县旗]$|特别行政区$|新区$|地区$|林区$|[省市县区旗盟]$")


def _resource(name: str) -> Path:
    # Located, not imported: the package's own matcher pulls in pandas, and only its tables are needed.
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the cpca package (China's division table) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / name


@lru_cache(maxsize=1)
def _nations() -> re.Pattern[str]:
    names = [line.strip() for line in _resource("56_nations.csv").read_text(encoding="utf-8").splitlines()]
    forms = {form for name in names if name for form in (name, name.removesuffix("族"))}
    return re.compile(f"(?:{'|'.join(sorted(forms, key=len, reverse=True))})+$")


def short_name(name: str) -> str:
    """The name as commonly written: 内蒙古自治区 → 内蒙古, 石柱土家族自治县 → 石柱, 浦东新区 → 浦东."""
    bare = _LEVEL_SUFFIX.sub("", name)
    if bare != name:
        stripped = _nations().sub("", bare)
        bare = stripped if len(stripped) >= 2 else bare  # 内蒙古自治区 is 内蒙古, not 内 + 蒙古族
    return bare


def _level(code: str) -> str:
    """The code's significant prefix: 510000 → "51" (province), 510800 → "5108", 510823 → "510823"."""
    code = code[:6]
    return code[:2] if code[2:] == "0000" else code[:4] if code[4:] == "00" else code


@lru_cache(maxsize=1)
def _divisions() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(full name → codes, short name → codes). `division_codes` reads short names of provinces and
    prefectures only (四川, 杭州, 包头): a county's short name is too often a plain word (新建, 城中, 和平)."""
    full: dict[str, set[str]] = {}
    short: dict[str, set[str]] = {}
    with _resource("adcodes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name, code = row["name"].strip(), _level(row["adcode"])
            full.setdefault(name, set()).add(code)
            bare = short_name(name)
            if len(bare) >= 2 and bare != name:
                short.setdefault(bare, set()).add(code)
    return ({k: frozenset(v) for k, v in full.items()}, {k: frozenset(v) for k, v in short.items()})


def division_codes(place: str) -> frozenset[str]:
    """The divisions a place name may be, read as `divisions_in` reads a text ("朝阳区" is a district of 北京
    and of 长春; "新建" alone is a plain word, not 新建区); empty if none."""
    full, short = _divisions()
    return full.get(place) or frozenset(c for c in short.get(place, ()) if len(c) <= 4)


def leading_division(word: str) -> str:
    """The longest division name `word` starts with ("四川省政府" → 四川省), or ""."""
    return next((word[:n] for n in range(len(word), 1, -1) if division_codes(word[:n])), "")


@lru_cache(maxsize=1)
def _sizes_by_first_character() -> dict[str, tuple[int, ...]]:
    """First character → the lengths of the names starting with it, longest first: a text is scanned only
    for the names that can start where it stands."""
    sizes: dict[str, set[int]] = {}
    for names in _divisions():
        for name in names:
            if len(name) >= 2:  # a one-character entry (重庆的"县") is no name in running text
                sizes.setdefault(name[0], set()).add(len(name))
    return {ch: tuple(sorted(found, reverse=True)) for ch, found in sizes.items()}


def divisions_in(text: str) -> frozenset[str]:
    """The divisions `text` names: any division by its full name, provinces and prefectures also by their
    short names; the longest name at each position wins (内蒙古自治区, not 内蒙古 + 自治区)."""
    sizes = _sizes_by_first_character()
    found: set[str] = set()
    i = 0
    while i < len(text):
        for size in sizes.get(text[i], ()):
            codes = division_codes(text[i:i + size]) if i + size <= len(text) else frozenset()
            if codes:
                found |= codes
                i += size
                break
        else:
            i += 1
    return frozenset(found)


def nested(codes: frozenset[str], others: frozenset[str]) -> bool:
    """Whether some division of `codes` contains or lies within some division of `others`."""
    return any(a.startswith(b) or b.startswith(a) for a in codes for b in others)


def most_specific(codes: frozenset[str]) -> frozenset[str]:
    """The divisions no other one lies within: "内蒙古自治区包头市" is a 包头 document, not any 内蒙古 one."""
    return frozenset(c for c in codes if not any(o != c and o.startswith(c) for o in codes))
