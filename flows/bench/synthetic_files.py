"""The smallest DOCX and text PDF a reader accepts, for the synthetic site of `bench pipeline --attachments`.

A DOCX is a zip of [Content_Types].xml, its relationships and word/document.xml (w:p/w:r/w:t paragraphs);
a PDF shows CJK text through a Type0 font with a ToUnicode map (no font embedded: extraction needs none).
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_TYPES = b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>"
_FONT = (
    "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
    "/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>"
)
_CID_FONT = (
    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light /CIDToGIDMap /Identity "
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
)


def docx(paragraphs: list[str]) -> bytes:
    """A DOCX holding these paragraphs."""
    body = "".join(f"<w:p><w:r><w:t xml:space='preserve'>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = f"<?xml version='1.0' encoding='UTF-8'?><w:document xmlns:w='{_W}'><w:body>{body}</w:body></w:document>"
    rels = f"<Relationships xmlns='{_RELS}'><Relationship Id='rId1' Type='{_OFFICE}' Target='word/document.xml'/>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", rels + "</Relationships>")
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def pdf(lines: list[str], per_page: int = 40) -> bytes:
    """A PDF showing these lines, `per_page` a page."""
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    codes = sorted({ord(c) for line in lines for c in line if ord(c) <= 0xFFFF})
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /PW def /CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + _bfchars(codes)
        + "endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    kids = " ".join(f"{6 + 2 * n} 0 R" for n in range(len(pages)))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>",
        _FONT,
        _CID_FONT,
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}\nendstream",
    ]
    for n, page in enumerate(pages):
        shown = " ".join(f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in page)
        stream = f"BT /F1 12 Tf 16 TL 72 760 Td {shown} ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {7 + 2 * n} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream.encode())} >>\nstream\n{stream}\nendstream")
    return pdf_bytes(objects)


def _bfchars(codes: list[int]) -> str:
    """The ToUnicode map's entries, at most 100 a block (the format's limit)."""
    blocks = [codes[i : i + 100] for i in range(0, len(codes), 100)]
    return "".join(
        f"{len(block)} beginbfchar\n" + "".join(f"<{c:04X}> <{c:04X}>\n" for c in block) + "endbfchar\n"
        for block in blocks
    )


def pdf_bytes(objects: list[str]) -> bytes:
    """A PDF file of these objects (object 1 the catalogue), with its cross-reference table and trailer."""
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    return out + f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
