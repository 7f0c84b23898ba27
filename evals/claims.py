"""Cut an answer into the claims the groundedness metrics score, and read the parts of a claim they check.

A claim is one sentence, clause or list item of the answer, together with the [n] citation markers
written inside it or immediately after it. The markers are removed from the claim text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.lang.numbers import quantities
from corpus.lang.text import normalize_for_search

# [1]  [1][2]  [1, 2]  ［3］ – the answer's pointers into its citations list (1-based).
MARKER = re.compile(r"[\[［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]］]")
# Markers opening a segment belong to the claim before it ("…亿元。[1]", "…亿元。”[1]").
_LEADING_MARKERS = re.compile(r"^[\s”\"’'」』）)]*(?:" + MARKER.pattern + r"\s*)+")

_CN_NUM = "一二三四五六七八九十"
# Enumeration labels become claim boundaries and are dropped from the text. A label only counts in
# list position (start of text or after punctuation/space), so 统一是 or 第5(1)项 stay words.
_ENUM_ANYWHERE = re.compile(
    r"(?:^|(?<=[\s。！？；!?;:：,，、]))"
    rf"(?:[{_CN_NUM}]{{1,3}}是|[（(]\s*(?:[{_CN_NUM}]{{1,3}}|\d{{1,2}})\s*[）)]|[{_CN_NUM}]{{1,3}}、|\d{{1,2}}、"
    rf"|第[{_CN_NUM}]{{1,3}}(?=[,，、]))"
)
# "1." and bullets only at the start of a line (or after a colon/semicolon), so "by 5. The" keeps its 5.
_ENUM_LINE = re.compile(r"(?:^|(?<=[\n:：;；。]))[ \t]*(?:\d{1,2}[.．](?!\d)|[-*•·](?=\s))")
# Sentence ends. An ASCII full stop ends a sentence only before space, a marker or the end.
_BOUNDARY = re.compile(
    r"[。！？；!?;\n]+|(?<!\be\.g)(?<!\bi\.e)(?<!\bNo)(?<!\bvs)(?<!\bArt)\.(?=[\s\[［]|$)"
)
_EDGE_PUNCT = " \t,，、:：;；.。!！?？-—“”\"‘’'「」『』…"

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_UNIT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|\d+(?:\.\d+)?|[a-z]+|%")

# "根据《title》measure：" / "According to 《title》measure:" — the source named before the fact, cut off
# as its own piece so it neither dilutes the fact's support nor hides a list label inside the measure path.
_SOURCE_LEAD = re.compile(
    r"(?:根据|另据|依据|按照|(?:also,\s*)?according to)\s*《[^》\n]*》[^,，:：。\n]{0,40}[,，:：]",
    re.IGNORECASE,
)
_LEAD_VERB = re.compile(r"^(?:根据|另据|依据|按照|(?:also,\s*)?according to)\s*(?=《)", re.IGNORECASE)
# A lead-in names the source and states nothing: 根据《…》： / 按照《…》的规定， / "According to the Plan:".
_LEAD_IN = re.compile(
    r"^(?:根据|另据|依据|按照|参照|对照|据|结合)?\s*《[^》]*》(?:的)?(?:相关|有关)?"
    r"(?:规定|要求|内容|明确|提出|指出|显示|表明)?\s*[,，:：]?$"
)

# Organisation names: two characters of name, then an organisational suffix (longest suffixes first).
# Whether a claim's organisation is backed is decided by corpus.grounding.unsupported_organisations (the
# product guard's rule); this finer reading only tells lead-ins from statements and names what that rule
# flagged, since the guard's regex cannot tell where a name starts (牵头单位为市商务局 → 商务局).
_ORG = re.compile(
    r"[\u4e00-\u9fff]{2}(?P<suffix>管委会|政府|中心|公司|集团|局|委|办|部|厅|院)"
    r"(?![门署分长公理法事学员托士校件属])"  # 部门, 部署, 局长, 办公, 办法, 委员, 委托, 院士 … are not names
)
# Words that end in an organisational suffix but name no organisation (布局, 全部, 举办, 市中心 …).
_NOT_ORG = frozenset((
    "布局", "格局", "大局", "全局", "开局", "结局", "僵局", "时局", "政局", "当局",
    "全部", "内部", "外部", "局部", "东部", "西部", "南部", "北部", "中部", "干部", "头部", "底部", "顶部",
    "举办", "创办", "开办", "承办", "主办", "督办", "协办", "兴办", "合办", "包办", "代办", "帮办",
    "市中心", "城中心", "镇中心", "好局", "总部",
))
# Function words that can precede a name without belonging to it (由国资委牵头 → 国资委).
_ORG_LEAD = frozenset("由为是和与及同向对在将把被经请的或并等即如")
# An administrative level right before the suffix names the body by level alone: 包头市委 → 市委.
_LEVEL = frozenset("市省区县旗盟镇乡州国")


@dataclass(frozen=True)
class Claim:
    text: str
    citations: tuple[int, ...]


def marker_numbers(text: str) -> list[int]:
    """Every citation number written in `text`, in order (``[1][2]`` and ``[1, 2]`` both give 1, 2)."""
    return [int(n) for m in MARKER.finditer(text) for n in re.split(r"\s*[,，、]\s*", m.group(1))]


def strip_markers(text: str) -> str:
    """`text` without its [n] citation markers."""
    return MARKER.sub("", text)


def units(text: str) -> list[str]:
    """The comparable units of `text` after normalize_for_search: each CJK character, each number
    (decimals kept whole), each Latin word, and %. Punctuation and spaces are dropped."""
    return _UNIT.findall(_THOUSANDS.sub("", normalize_for_search(text)))


def organisations(text: str) -> list[str]:
    """Organisation mentions in `text` (Simplified form): the suffix (局/委/办/部/厅/院/中心/公司/集团/
    政府/管委会) with the two characters of name before it, e.g. 市工信局 → 工信局, or with just the
    administrative level when that is all the name says (包头市委 → 市委, 县区政府 → 区政府)."""
    found = []
    for m in _ORG.finditer(normalize_for_search(text)):
        name, suffix = m.group(0), m.group("suffix")
        if name[-2:] in _NOT_ORG or name[-3:] in _NOT_ORG:
            continue
        head = name[: -len(suffix)]
        if head[-1] in _LEVEL:
            name = head[-1] + suffix
        elif suffix == "政府":  # 强化政府引导: the government in general, not a named body
            name = suffix
        elif name[0] in _ORG_LEAD:
            name = name[1:]
        found.append(name)
    return found


def _is_lead_in(raw: str, text: str) -> bool:
    """`raw` is the segment as cut (trailing punctuation kept), `text` the cleaned claim text. A segment
    ending in a colon or comma was cut off by a list that follows: it introduces, it does not state."""
    if quantities(text):
        return False
    introduces = strip_markers(raw).rstrip().endswith((":", "：", ",", "，"))
    return bool(_LEAD_IN.match(text)) or (introduces and not organisations(text))


def _segments(answer: str) -> list[str]:
    """The answer cut at sentence ends, list labels (removed) and around source lead-ins."""
    def cut(part: str) -> list[str]:
        return _BOUNDARY.split(_ENUM_LINE.sub("\n", _ENUM_ANYWHERE.sub("\n", part)))

    out, pos = [], 0
    for m in _SOURCE_LEAD.finditer(answer):
        out += [*cut(answer[pos:m.start()]), m.group(0)]
        pos = m.end()
    return out + cut(answer[pos:])


def split_claims(answer: str) -> list[Claim]:
    """The answer's claims in order. Boundaries: 。！？；!?; newlines, English full stops, enumeration
    labels (一是/二是, （一）, (1), 1., 1、, bullets; dropped from the text), and the end of a source
    lead-in such as 根据《…》…：. A claim carries the markers inside it plus those right after its
    terminator ("…亿元。[1]" → (1,)). Empty claims and number-free lead-ins (根据《…》：, or a clause
    ending in a colon or comma before a list) are left out; a kept lead-in loses its 根据/According to."""
    pieces: list[tuple[str, list[int]]] = []
    for segment in _segments(answer):
        leading = _LEADING_MARKERS.match(segment)
        if leading and pieces:
            pieces[-1][1].extend(marker_numbers(leading.group(0)))
            segment = segment[leading.end():]
        if segment.strip():
            pieces.append((segment, marker_numbers(segment)))
    claims = []
    for segment, numbers in pieces:
        claim_text = re.sub(r"\s+", " ", strip_markers(segment)).strip(_EDGE_PUNCT)
        if not units(claim_text) or _is_lead_in(segment, claim_text):
            continue
        # A kept lead-in ("根据《2024年要点》：") is scored on the source it names, not on the verb.
        claims.append(Claim(_LEAD_VERB.sub("", claim_text), tuple(dict.fromkeys(numbers))))
    return claims
