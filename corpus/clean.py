"""Remove the web-page debris that scraped policy documents carry, keeping every policy sentence.

Rules are about kinds of debris seen on government and news portals (breadcrumbs, source and
editor credits, comment boxes, map widgets, share bars, mojibake), not about particular documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A whole line that is page chrome. Anchored at the line start and short, so a policy sentence that
# merely mentions 来源 or 编辑 is never dropped.
_JUNK_LINE = re.compile(
    r"""^(?:
        (?:首页|当前位置|您的位置|您现在的位置|首頁|當前位置)\s*[:：]?\s*.*?[>＞»›].*      # breadcrumb
      | [(（]?\s*(?:来源|來源|信息来源|文章来源|稿源)\s*[:：][^。]{0,40}[)）]?                # source credit
      | (?:时间|發布時間|发布时间|发布日期|浏览次数|阅读次数|热度|熱度|字号|字體|点击数)\s*[:：].{0,40}
      | (?:热度|熱度)\s*[:：]?
      | [(（]?\s*(?:见习编辑|责任编辑|编辑|编审|校对|一读|一审|二审|三审|审核|作者|记者)\s*[:：].{0,120}
      | (?:请先登录|請先登錄|发表评论|發表評論|我要评论|网友评论|分享到|打印本页|关闭窗口|【打印】|【关闭】).{0,40}
      | 发布|發布|评论|新媒体引导图|扫一扫.{0,20}|上一篇.{0,80}|下一篇.{0,80}
      | [①②③]?\s*(?:凡本网注明|鉴于本网发布|本网所有|版权所有|版權所有).*
      | (?:相关解读链接|相關解讀鏈接|点击跳转原文链接|點擊跳轉原文鏈接|原文链接|相关链接)\s*[:：].{0,120}
      | (?:信息公开选项|信息公開選項)\s*[:：].{0,20}
      | (?:baidu|map|百度地图|地图|google\s*maps?)
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
# "?" runs left where a GBK character could not be decoded; a lone ASCII "?" next to CJK text is the
# same damage (Chinese prose uses the full-width "？").
_MOJIBAKE = re.compile(r"\s*\?{2,}|\ufffd+|(?<=[\u4e00-\u9fff\d.、])\?|\?(?=[\u4e00-\u9fff])|\s\?$")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")


@dataclass
class CleanResult:
    text: str
    removed_lines: list[str] = field(default_factory=list)
    repaired_lines: int = 0


def clean_text(raw: str) -> CleanResult:
    """Cleaned text: one paragraph a line, no blank lines, debris lines dropped and listed."""
    kept: list[str] = []
    removed: list[str] = []
    repaired = 0
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = _SPACES.sub(" ", line).strip()
        if not stripped:
            continue
        if _JUNK_LINE.match(stripped):
            removed.append(stripped)
            continue
        fixed = _MOJIBAKE.sub("", stripped).strip()
        repaired += fixed != stripped
        if fixed:
            kept.append(fixed)
    return CleanResult(text="\n".join(kept), removed_lines=removed, repaired_lines=repaired)
