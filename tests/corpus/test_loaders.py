"""corpus.loaders: every supported file type reads to the same plain-text shape, and every bad file
fails with a BadDocument whose reason tells the user what is wrong."""

from __future__ import annotations

import io
import os
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from corpus.errors import BadDocument
from corpus.loaders import SUPPORTED_SUFFIXES, load_text

# Traditional characters, full-width letters and half-width brackets must all come back untouched.
CHINESE = "一、总体要求\n到2025年，稀土產業規模顯著擴大。\n(一)基本原则：ＡＢＣ１２３。"


def _pdf(path: Path, pages: list[list[str]], font: str = "STSong-Light") -> Path:
    if font == "STSong-Light":
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        pdf.setFont(font, 14)
        y = 780
        for line in lines:
            if line.startswith("@footer "):  # drawn at the bottom centre, like a real page number
                pdf.drawString(290, 40, line.removeprefix("@footer "))
            else:
                pdf.drawString(72, y, line)
                y -= 24
        pdf.showPage()
    pdf.save()
    return path


def test_supported_suffixes():
    assert frozenset({".txt", ".md", ".html", ".htm", ".docx", ".pdf"}) == SUPPORTED_SUFFIXES


# --- plain text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_txt_round_trips_chinese_in_each_encoding(tmp_path, encoding):
    path = tmp_path / "doc.txt"
    path.write_bytes(CHINESE.encode(encoding))
    text = load_text(path)
    assert text == CHINESE
    assert not text.startswith("\ufeff")


def test_txt_normalises_line_ends_and_trailing_space_but_keeps_indent(tmp_path):
    path = tmp_path / "doc.txt"
    path.write_bytes("标题  \r\n\r\n\r\n\r\n　　正文第一段。\t\r第二段。\r\n".encode())
    assert load_text(path) == "标题\n\n　　正文第一段。\n第二段。"


def test_uppercase_suffix_is_accepted(tmp_path):
    path = tmp_path / "DOC.TXT"
    path.write_text("稀土", encoding="utf-8")
    assert load_text(path) == "稀土"


# --- markdown -----------------------------------------------------------------------------------


def test_md_strips_markup_and_keeps_measure_numbering(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text(
        "# 关于加快稀土产业发展的意见\n\n"
        "## 一、总体要求\n\n"
        "到**2025年**，稀土产业*显著*提升，详见[工信部通知](https://www.miit.gov.cn/a.html)。\n"
        "![示意图](chart.png)\n"
        "```\n"
        "(一)基本原则\n"
        "```\n"
        "1.提升稀土原料生产能力。\n"
        "2\\.完善产业链条。\n",
        encoding="utf-8",
    )
    lines = load_text(path).split("\n")
    assert lines[0] == "关于加快稀土产业发展的意见"
    assert "一、总体要求" in lines
    assert "到2025年，稀土产业显著提升，详见工信部通知。" in lines
    assert "(一)基本原则" in lines
    assert "1.提升稀土原料生产能力。" in lines
    assert "2.完善产业链条。" in lines
    text = "\n".join(lines)
    for markup in ("#", "**", "](", "chart.png", "示意图", "```"):
        assert markup not in text


# --- html ---------------------------------------------------------------------------------------


def test_html_keeps_body_lines_and_drops_page_chrome(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        """<!DOCTYPE html><html><head><meta charset="utf-8"><title>中国政府网</title>
<script>var tracker = "稀土统计脚本";</script><style>p { color: red }</style></head>
<body><nav><a href="/">首页</a> | <a href="/zc">政策</a></nav>
<div class="article"><h1>关于加快稀土产业发展的意见</h1>
<p>一、总体要求</p>
<p>到2025年，稀土原料生产能力<b>显著</b>提升。<br>产业结构持续优化。</p>
<table><tr><th>指标</th><th>目标</th></tr>
<tr><td>冶炼分离产能</td><td> 10万吨 </td></tr></table>
</div><footer>版权所有</footer></body></html>""",
        encoding="utf-8",
    )
    assert load_text(path).split("\n") == [
        "关于加快稀土产业发展的意见",
        "一、总体要求",
        "到2025年，稀土原料生产能力显著提升。",
        "产业结构持续优化。",
        "指标 目标",
        "冶炼分离产能 10万吨",
    ]


def test_htm_decodes_declared_gb2312_charset(tmp_path):
    path = tmp_path / "page.htm"
    markup = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'
    # 镕 is outside GB2312; real "gb2312" pages contain such characters, so GB18030 must decode them.
    markup += "<body><p>朱镕基同志关于稀土产业的批示。</p></body></html>"
    path.write_bytes(markup.encode("gb18030"))
    assert load_text(path) == "朱镕基同志关于稀土产业的批示。"


def test_html_source_line_break_inside_chinese_adds_no_space(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<p>关于加快稀土\n    产业发展的意见</p><p>Rare\nearth</p>", encoding="utf-8")
    assert load_text(path) == "关于加快稀土产业发展的意见\nRare earth"


# --- docx ---------------------------------------------------------------------------------------


def test_docx_reads_paragraphs_and_tables_in_document_order(tmp_path):
    document = docx.Document()
    document.add_heading("关于加快稀土产业发展的意见", level=1)
    document.add_paragraph("一、总体要求")
    document.add_paragraph("")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("指标", "目标"), ("冶炼分离产能", "10万吨")], strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    document.add_paragraph("1.提升稀土原料生产能力。")
    path = tmp_path / "doc.docx"
    document.save(str(path))
    assert load_text(path).split("\n") == [
        "关于加快稀土产业发展的意见",
        "一、总体要求",
        "指标 目标",
        "冶炼分离产能 10万吨",
        "1.提升稀土原料生产能力。",
    ]


# --- pdf ----------------------------------------------------------------------------------------


def test_pdf_rejoins_wrapped_chinese_sentences_and_drops_page_numbers(tmp_path):
    path = _pdf(
        tmp_path / "doc.pdf",
        [
            [
                "关于加快稀土产业发展的意见",
                "一、总体要求",
                "到2025年，稀土原料生产能力显著提升，产业结构持续",
                "优化，创新能力明显增强。",
                "1.提升稀土原料生产能力。加快推进稀土资源勘查开发，",
                "(一)基本原则",
                "@footer - 1 -",
            ],
            ["2.完善产业链条。", "@footer 2"],
        ],
    )
    assert load_text(path).split("\n") == [
        "关于加快稀土产业发展的意见",
        "一、总体要求",  # a short heading is not glued to the paragraph under it
        "到2025年，稀土原料生产能力显著提升，产业结构持续优化，创新能力明显增强。",
        "1.提升稀土原料生产能力。加快推进稀土资源勘查开发，",  # the next line starts a numbered item
        "(一)基本原则",
        "2.完善产业链条。",
    ]


def test_pdf_english_lines_are_not_joined(tmp_path):
    lines = ["Rare earth policy 2025", "Section 1 of the plan", "@footer 3"]
    path = _pdf(tmp_path / "doc.pdf", [lines], font="Helvetica")
    assert load_text(path) == "Rare earth policy 2025\nSection 1 of the plan"


def _encrypted_pdf(tmp_path: Path, user_password: str) -> Path:
    plain = _pdf(tmp_path / "plain.pdf", [["稀土产业发展意见。"]])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_pdf_encrypted_with_empty_password_is_read(tmp_path):
    assert load_text(_encrypted_pdf(tmp_path, "")) == "稀土产业发展意见。"


def test_pdf_encrypted_with_password_is_rejected(tmp_path):
    path = _encrypted_pdf(tmp_path, "secret")
    with pytest.raises(BadDocument) as caught:
        load_text(path)
    assert "encrypted" in caught.value.reason


def test_pdf_without_text_says_empty(tmp_path):
    path = _pdf(tmp_path / "scan.pdf", [[]])
    with pytest.raises(BadDocument) as caught:
        load_text(path)
    assert "empty document" in caught.value.reason


# --- bad input ----------------------------------------------------------------------------------


def _binary() -> bytes:
    return os.urandom(2048) + b"\x00\x00\x01\x02" + os.urandom(2048)


@pytest.mark.parametrize(
    ("name", "content", "reason_words"),
    [
        ("empty.txt", b"", ["empty document"]),
        ("blank.md", b"  \r\n\n\t", ["empty document"]),
        ("empty.html", b"<html><body><script>x()</script></body></html>", ["empty document"]),
        ("data.txt", None, ["not a text file", "binary"]),
        ("data.html", None, ["not a text file", "binary"]),
        ("notes.xyz", b"text", ["unsupported file type '.xyz'", ".docx", ".pdf"]),
        ("README", b"text", ["unsupported file type", "no extension"]),
        ("broken.docx", None, ["cannot read .docx"]),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), ["cannot read .docx", "legacy"]),
        ("broken.pdf", None, ["cannot read .pdf"]),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", ["cannot read .pdf"]),
    ],
)
def test_bad_files_raise_bad_document_with_reason(tmp_path, name, content, reason_words):
    path = tmp_path / name
    path.write_bytes(_binary() if content is None else content)
    with pytest.raises(BadDocument) as caught:
        load_text(path)
    assert caught.value.path == str(path)
    for word in reason_words:
        assert word in caught.value.reason
    assert str(path) in caught.value.message


def test_missing_file_raises_bad_document(tmp_path):
    path = tmp_path / "nowhere" / "doc.txt"
    with pytest.raises(BadDocument) as caught:
        load_text(path)
    assert caught.value.reason == "file not found"


def test_corrupt_docx_zip_with_wrong_contents(tmp_path):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not-xml")
    path = tmp_path / "fake.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(BadDocument) as caught:
        load_text(path)
    assert caught.value.reason.startswith("cannot read .docx: ")
