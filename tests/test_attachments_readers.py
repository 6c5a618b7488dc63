"""Each format's reader on files built here: the text laid out as the format lays it out."""

from __future__ import annotations

import pytest

from parsers.attachments import Format, read_attachment
from parsers.attachments.title import split_title
from parsers.attachments.worddoc import strip_fields
from parsers.records import ArchiveMember, AttachmentStatus
from tests import filemaker as fm
from tests.pdfmaker import make_cjk_pdf

TEXTBOX = (
    "<w:p><w:r><mc:AlternateContent><mc:Choice Requires='wps'>"
    "<w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent></mc:Choice>"
    "<mc:Fallback><w:txbxContent><w:p><w:r><w:t>框内文字</w:t></w:r></w:p></w:txbxContent></mc:Fallback>"
    "</mc:AlternateContent></w:r></w:p>"
)
RUNS = (
    "<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='420'/></w:tabs></w:pPr>"
    "<w:r><w:t>甲</w:t></w:r><w:r><w:tab/><w:t>乙</w:t><w:br/><w:t>丙</w:t></w:r>"
    "<w:r><w:instrText> PAGEREF _Toc1 \\h </w:instrText></w:r><w:r><w:delText>删去</w:delText></w:r></w:p>"
)

DOCX_CASES = [
    ("paragraphs", fm.paragraph("第一段。") + fm.paragraph("  ") + fm.paragraph("第二段。"), "第一段。\n第二段。"),
    ("table rows", fm.table([["项目", "要求"], ["无菌", "是"]]), "项目\t要求\n无菌\t是"),
    (
        "cell paragraphs joined",
        "<w:tbl><w:tr><w:tc>" + fm.paragraph("取") + fm.paragraph("栓") + "</w:tc>"
        "<w:tc>" + fm.paragraph("是") + "</w:tc></w:tr></w:tbl>",
        "取 栓\t是",
    ),
    (
        "nested table",
        "<w:tbl><w:tr><w:tc>"
        + fm.table([["内1", "内2"]])
        + "</w:tc><w:tc>"
        + fm.paragraph("外")
        + "</w:tc></w:tr></w:tbl>",
        "内1\t内2\t外",
    ),
    ("text box read once", TEXTBOX, "框内文字"),
    ("tabs, breaks, no field codes or deletions", RUNS, "甲\t乙\n丙"),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in DOCX_CASES], ids=[c[0] for c in DOCX_CASES])
def test_attachments_docx_lays_out_paragraphs_and_tables(body: str, expected: str) -> None:
    assert read_attachment(fm.docx(body)).text == expected


def test_attachments_docx_follows_the_package_relationship() -> None:
    data = fm.zip_of(
        {
            "[Content_Types].xml": fm.CONTENT_TYPES,
            "_rels/.rels": (
                f"<Relationships xmlns='{fm.PKG_RELS}'><Relationship Id='r' Type='{fm.R_NS}/officeDocument' "
                "Target='/word/document2.xml'/></Relationships>"
            ).encode(),
            "word/document.xml": f"<w:document xmlns:w='{fm.W_NS}'/>".encode(),
            "word/document2.xml": f"<w:document xmlns:w='{fm.W_NS}'><w:body>{fm.paragraph('正文。')}</w:body></w:document>".encode(),
        }
    )
    assert read_attachment(data).text == "正文。"


def test_attachments_xlsx_reads_shared_strings_row_by_row() -> None:
    data = fm.xlsx([[["名称", "剂量"], ["疫苗", 3], ["", 2.5]], [["第二表"]]])
    assert read_attachment(data).text == "名称\t剂量\n疫苗\t3\n\t2.5\n\n第二表"


def test_attachments_xlsx_keeps_a_skipped_column_empty() -> None:
    sheet = (
        f"<worksheet xmlns='{fm.S_NS}'><sheetData><row r='1'><c r='A1' t='inlineStr'><is><t>甲</t></is></c>"
        "<c r='C1'><v>7</v></c></row></sheetData></worksheet>"
    )
    data = fm.zip_of(
        {
            "xl/workbook.xml": f"<workbook xmlns='{fm.S_NS}' xmlns:r='{fm.R_NS}'><sheets><sheet name='a' sheetId='1' "
            "r:id='rId1'/></sheets></workbook>".encode(),
            "xl/_rels/workbook.xml.rels": f"<Relationships xmlns='{fm.PKG_RELS}'><Relationship Id='rId1' Type='x' "
            "Target='/xl/worksheets/s.xml'/></Relationships>".encode(),
            "xl/worksheets/s.xml": sheet.encode(),
        }
    )
    assert read_attachment(data).text == "甲\t\t7"


def test_attachments_xls_reads_cells_numbers_as_typed() -> None:
    record = read_attachment(fm.xls([["品种", "数量"], ["疫苗", 3], ["抗体", 2.5]]), "目录.xls")
    assert (record.format, record.text) == (Format.XLS, "品种\t数量\n疫苗\t3\n抗体\t2.5")


def test_attachments_ofd_groups_text_codes_into_lines_by_baseline() -> None:
    page = [(80, 40.4, "指导思想。"), (20, 40, "（一）总体"), (20, 60, "二、主要任务")]
    record = read_attachment(fm.ofd([page, [(20, 30, "第二页正文。")]]))
    assert (record.status, record.pages) == (AttachmentStatus.OK, 2)
    assert record.text == "（一）总体 指导思想。\n二、主要任务第二页正文。"


def test_attachments_ofd_resolves_absolute_locations() -> None:
    data = fm.ofd([[(20, 30, "正文。")]])
    patched = fm.zip_of(
        {
            **{name: body for name, body in _members(data).items()},
            "Doc_0/Document.xml": _members(data)["Doc_0/Document.xml"].replace(
                b"BaseLoc='Pages/", b"BaseLoc='/Doc_0/Pages/"
            ),
        }
    )
    assert read_attachment(patched).text == "正文。"


def _members(data: bytes) -> dict[str, bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_attachments_rtf_decodes_gbk_escapes_and_skips_tables() -> None:
    record = read_attachment(fm.rtf(["关于生物医药的通知", "第一段。"]), "通知.doc")
    assert (record.format, record.text) == (Format.RTF, "关于生物医药的通知\n第一段。")


def test_attachments_rtf_reads_unicode_escapes_and_skips_their_fallback() -> None:
    data = b"{\\rtf1\\ansi\\uc1 \\u29983?\\u29289?{\\*\\bkmkstart x}\\par \\u-3913?}"
    assert read_attachment(data).text == "生物\n\uf0b7"


def test_attachments_pdf_gives_pages_and_drops_contents_entries() -> None:
    pages = [["目录：", "一、总则 .......... 3"], ["一、总则：", "为推动生物医药发展，制定本方案。"]]
    record = read_attachment(make_cjk_pdf(pages))
    assert (record.status, record.pages) == (AttachmentStatus.OK, 2)
    assert record.text == "目录：\n一、总则：\n为推动生物医药发展，制定本方案。"


def test_attachments_zip_is_listed_with_names_and_sizes_not_opened() -> None:
    inner = fm.zip_of({"a.doc": b"x" * 10})
    record = read_attachment(fm.zip_of({"附件1.docx": b"y" * 5, "nested.zip": inner}))
    assert record.status is AttachmentStatus.ARCHIVE and record.text == ""
    assert record.members == (
        ArchiveMember(name="附件1.docx", size=5),
        ArchiveMember(name="nested.zip", size=len(inner)),
    )
    assert record.reason == "ZIP archive of 2 files, not opened: 附件1.docx, nested.zip"


def test_attachments_zip_names_written_in_gbk_are_read() -> None:
    data = bytearray(fm.zip_of({"XXXX.doc": b"x"}))
    for at in (i for i in range(len(data)) if data.startswith(b"XXXX.doc", i)):
        data[at : at + 4] = "附件".encode("gbk")  # Chinese archivers write GBK names without the UTF-8 flag
    assert read_attachment(bytes(data)).members[0].name == "附件.doc"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "指导原则编号：XXXXXX\n椎间融合器技术审查指导原则\n(征求意见稿)\n发布日期XXXX 年 X 月\n一、前言",
            ("椎间融合器技术审查指导原则(征求意见稿)", "指导原则编号：XXXXXX\n发布日期XXXX 年 X 月\n一、前言"),
        ),
        (
            "附件2\n广东省促进生物医药产业\n高质量发展的若干措施\n一、总体要求",
            ("广东省促进生物医药产业高质量发展的若干措施", "附件2\n一、总体要求"),
        ),
        ("关于调整作息时间的通知\n各单位：", ("关于调整作息时间的通知", "各单位：")),
        (
            "本指导原则旨在指导申请人，同时也为审评提供参考。\n二",
            (None, "本指导原则旨在指导申请人，同时也为审评提供参考。\n二"),
        ),
        ("The plan supports biotech firms.\nMore.", (None, "The plan supports biotech firms.\nMore.")),
    ],
    ids=[
        "front matter and qualifier",
        "title on two lines",
        "时间 in a title",
        "a sentence first",
        "an English sentence",
    ],
)
def test_attachments_split_title(text: str, expected: tuple[str | None, str]) -> None:
    assert split_title(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('见\x13 HYPERLINK "x" \x14第三条\x15。', "见第三条。"),
        ("页\x13 PAGE \x15码", "页码"),
        ("\x13 IF \x13 PAGE \x14 2\x15 = 2 \x14外\x15层", "外层"),
        ("无域", "无域"),
    ],
    ids=["result kept", "no result", "nested", "none"],
)
def test_attachments_word_strip_fields(text: str, expected: str) -> None:
    assert strip_fields(text) == expected
