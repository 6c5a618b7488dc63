"""Attachment files built for the tests: DOCX, XLSX, XLS, OFD, zip bombs, encrypted PDFs and Office files.

Each builder writes the smallest file its format's reader accepts, so a test states its case in a few lines.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFD_NS = "http://www.ofdspec.org/2016"
MB = 1 << 20
CONTENT_TYPES = b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>"


def zip_of(members: dict[str, bytes]) -> bytes:
    """A deflated zip of these members, in this order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space='preserve'>{escape(text)}</w:t></w:r></w:p>"


def table(rows: list[list[str]]) -> str:
    cells = ("".join(f"<w:tc>{paragraph(cell)}</w:tc>" for cell in row) for row in rows)
    return "<w:tbl>" + "".join(f"<w:tr>{row}</w:tr>" for row in cells) + "</w:tbl>"


def docx(body_xml: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A DOCX whose body is this WordprocessingML (paragraph(), table() or raw XML)."""
    document = (
        f"<?xml version='1.0' encoding='UTF-8'?><w:document xmlns:w='{W_NS}' "
        "xmlns:mc='http://schemas.openxmlformats.org/markup-compatibility/2006'>"
        f"<w:body>{body_xml}</w:body></w:document>"
    )
    rels = (
        f"<Relationships xmlns='{PKG_RELS}'><Relationship Id='rId1' "
        f"Type='{R_NS}/officeDocument' Target='word/document.xml'/></Relationships>"
    )
    members = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": rels.encode(),
        "word/document.xml": document.encode(),
    }
    return zip_of({**members, **(extra or {})})


def xlsx(sheets: list[list[list[str | float]]]) -> bytes:
    """An XLSX: strings go to the shared-strings part, numbers stay in their cells."""
    shared: list[str] = []
    parts: dict[str, bytes] = {}
    for number, rows in enumerate(sheets, 1):
        xml_rows = []
        for r, row in enumerate(rows, 1):
            cells = []
            for c, value in enumerate(row):
                ref = f"{chr(65 + c)}{r}"
                if isinstance(value, str):
                    shared.append(value)
                    cells.append(f"<c r='{ref}' t='s'><v>{len(shared) - 1}</v></c>")
                else:
                    cells.append(f"<c r='{ref}'><v>{value}</v></c>")
            xml_rows.append(f"<row r='{r}'>{''.join(cells)}</row>")
        parts[f"xl/worksheets/sheet{number}.xml"] = (
            f"<worksheet xmlns='{S_NS}'><sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
        ).encode()
    sheet_list = "".join(f"<sheet name='S{n}' sheetId='{n}' r:id='rId{n}'/>" for n in range(1, len(sheets) + 1))
    workbook = f"<workbook xmlns='{S_NS}' xmlns:r='{R_NS}'><sheets>{sheet_list}</sheets></workbook>"
    rels = "".join(
        f"<Relationship Id='rId{n}' Type='{R_NS}/worksheet' Target='worksheets/sheet{n}.xml'/>"
        for n in range(1, len(sheets) + 1)
    )
    strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in shared)
    return zip_of(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": f"<Relationships xmlns='{PKG_RELS}'>{rels}</Relationships>".encode(),
            "xl/sharedStrings.xml": f"<sst xmlns='{S_NS}'>{strings}</sst>".encode(),
            **parts,
        }
    )


def xls(rows: list[list[str | float]]) -> bytes:
    """An Excel 97-2003 workbook of one sheet (written by xlwt)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("表1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ofd(pages: list[list[tuple[float, float, str]]], *, size: float = 5.0) -> bytes:
    """A minimal OFD: OFD.xml → Doc_0/Document.xml → one Content.xml a page, a TextObject per (x, y, text).

    Each object's Boundary carries its position; its TextCode sits at X=0 and its baseline at Y=size.
    """
    entry = (
        f"<ofd:OFD xmlns:ofd='{OFD_NS}' Version='1.0' DocType='OFD'><ofd:DocBody>"
        "<ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
        "</ofd:DocBody></ofd:OFD>"
    )
    page_list = "".join(f"<ofd:Page ID='{n + 1}' BaseLoc='Pages/Page_{n}/Content.xml'/>" for n in range(len(pages)))
    document = (
        f"<ofd:Document xmlns:ofd='{OFD_NS}'><ofd:CommonData><ofd:MaxUnitID>99</ofd:MaxUnitID>"
        "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
        f"<ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
    )
    members = {"OFD.xml": entry.encode(), "Doc_0/Document.xml": document.encode()}
    for n, objects in enumerate(pages):
        texts = "".join(
            f"<ofd:TextObject ID='{i + 10}' Boundary='{x} {y - size} 150 {size * 1.4}' Font='1' Size='{size}'>"
            f"<ofd:TextCode X='0' Y='{size}'>{escape(text)}</ofd:TextCode></ofd:TextObject>"
            for i, (x, y, text) in enumerate(objects)
        )
        members[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f"<ofd:Page xmlns:ofd='{OFD_NS}'><ofd:Content><ofd:Layer ID='2'>{texts}</ofd:Layer></ofd:Content></ofd:Page>"
        ).encode()
    return zip_of(members)


def zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Write a member of `size` zero bytes in 1 MB chunks (deflated, it takes about size / 1000 bytes)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=size > 0x7FFFFFFF) as member:
        chunk = bytes(MB)
        for start in range(0, size, MB):
            member.write(chunk[: min(MB, size - start)])


def docx_bomb(inflated: int, *, declared: int | None = None) -> bytes:
    """A DOCX whose word/document.xml inflates to `inflated` zero bytes; `declared` makes it lie about its size."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        zeros_member(archive, "word/document.xml", inflated)
    data = out.getvalue()
    return lie_about_size(data, "word/document.xml", declared) if declared is not None else data


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with one member's uncompressed size rewritten (local header and central directory)."""
    patched = bytearray(data)
    local = patched.find(b"PK\x03\x04" + b"", 0)
    while local >= 0:
        name_len = struct.unpack_from("<H", patched, local + 26)[0]
        if patched[local + 30 : local + 30 + name_len] == name.encode():
            struct.pack_into("<I", patched, local + 22, size)
        local = patched.find(b"PK\x03\x04", local + 4)
    central = patched.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", patched, central + 28)[0]
        if patched[central + 46 : central + 46 + name_len] == name.encode():
            struct.pack_into("<I", patched, central + 24, size)
        central = patched.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


def encrypted_pdf(pdf: bytes, *, user_password: str) -> bytes:
    """The PDF encrypted (AES-128) with this user password; an empty one opens without asking."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_office(data: bytes, password: str = "secret") -> bytes:
    """An OOXML file locked with a password: an OLE2 file holding EncryptionInfo and EncryptedPackage."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def rtf(paragraphs: Iterable[str]) -> bytes:
    """An RTF file as WPS and Word write Chinese: GBK bytes as \\'hh escapes, one \\par a paragraph."""
    body = "".join("".join(f"\\'{byte:02x}" for byte in text.encode("gbk")) + "\\par\n" for text in paragraphs)
    head = "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0\\fnil\\fcharset134 \\'cb\\'ce\\'cc\\'e5;}}"
    return (head + "{\\*\\generator WPS Office;}\n" + body + "}").encode("ascii")


REAL_CMDE = Path(__file__).with_name("fixtures") / "real" / "cmde.org.cn"
_BODY = "为推动生物医药产业高质量发展，支持创新药和医疗器械研发，现将有关事项通知如下。"


def corpus_files() -> dict[str, bytes]:
    """A benchmark corpus: the real CMDE files, a file of every other format, and the hostile files of the tests."""
    from tests.pdfmaker import make_cjk_pdf

    real = {path.name: path.read_bytes() for path in sorted(REAL_CMDE.iterdir()) if path.suffix != ".json"}
    doc = real["att_20240920_lnqszj_zqyjg.doc"]
    pdf = make_cjk_pdf([[f"第{page}部分", _BODY[page:] + _BODY[:page]] for page in range(3)])
    built = {
        "built/notice.docx": docx(
            paragraph("关于支持生物医药产业发展的通知")
            + paragraph(_BODY) * 20
            + table([["品种", "数量"], ["疫苗", "3"]])
        ),
        "built/catalogue.xlsx": xlsx([[["品种", "企业", "数量"]] + [["疫苗", "某公司", n] for n in range(200)]]),
        "built/catalogue.xls": xls([["品种", "企业", "数量"]] + [["疫苗", "某公司", n] for n in range(200)]),
        "built/notice.ofd": ofd(
            [[(20, 30 + 8 * n, f"{page}.{n} {_BODY[n:]}") for n in range(20)] for page in range(3)]
        ),
        "built/notice_rtf.doc": rtf(["关于支持生物医药产业发展的通知", _BODY]),
        "built/notice_html.doc": f"<html><body><p>{_BODY}</p></body></html>".encode("gbk"),
        "built/notice.wps": doc,
        "built/notice.pdf": pdf,
    }
    hostile = {
        "hostile/locked.pdf": encrypted_pdf(pdf, user_password="secret"),
        "hostile/locked.docx": encrypted_office(built["built/notice.docx"]),
        "hostile/bomb_declared.docx": docx_bomb(65 * MB),
        "hostile/bomb_lying.docx": docx_bomb(30 * MB, declared=1024),
        "hostile/nested.zip": zip_of({"inner.zip": zip_of({"a.doc": doc})}),
        "hostile/archive.rar": b"Rar!\x1a\x07\x00" + bytes(40),
        "hostile/empty.pdf": b"",
        **{f"hostile/half_{name}": data[: len(data) // 2] for name, data in real.items()},
    }
    return {**{f"real/{name}": data for name, data in real.items()}, **built, **hostile}


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1])
    for name, data in corpus_files().items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    print(f"{len(corpus_files())} files in {target}")
