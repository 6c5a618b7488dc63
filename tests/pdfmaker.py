"""A tiny PDF writer for fixtures: CJK text through a Type0 font with a ToUnicode map (no font embedded).

pypdf reads the text back through the ToUnicode map, which is all extraction needs. Run as a script to
rebuild tests/fixtures/pages/*.pdf from their line lists: `python tests/pdfmaker.py`.
"""

from __future__ import annotations

from pathlib import Path

from flows.bench.synthetic_files import pdf_bytes

_FONT = (
    "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
    "/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>"
)
_CID_FONT = (
    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light /CIDToGIDMap /Identity "
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
)


def _to_unicode(chars: set[str]) -> str:
    codes = sorted(ord(char) for char in chars if ord(char) <= 0xFFFF)
    chunks = [codes[index : index + 100] for index in range(0, len(codes), 100)]
    body = "".join(
        f"{len(chunk)} beginbfchar\n" + "".join(f"<{c:04X}> <{c:04X}>\n" for c in chunk) + "endbfchar\n"
        for chunk in chunks
    )
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CMapName /PW-UCS def /CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{body}endcmap CMapName currentdict /CMap defineresource pop end end"
    )


def _page_stream(lines: list[str]) -> str:
    shown = " ".join(f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in lines)
    return f"BT /F1 12 Tf 16 TL 72 760 Td {shown} ET"


def make_cjk_pdf(pages: list[list[str]]) -> bytes:
    """A valid PDF with one line of (CJK or ASCII) text per entry, one list per page."""
    chars = {char for page in pages for line in page for char in line}
    cmap = _to_unicode(chars)
    first_page = 6
    kids = " ".join(f"{first_page + 2 * index} 0 R" for index in range(len(pages)))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>",
        _FONT,
        _CID_FONT,
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}\nendstream",
    ]
    # Object 3 is the Type0 font; 4 its descendant; 5 the ToUnicode map.
    objects.insert(2, objects.pop(2))
    for index, lines in enumerate(pages):
        stream = _page_stream(lines)
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {first_page + 1 + 2 * index} 0 R >>"
        )
        objects.append(f"<< /Length {len(stream.encode())} >>\nstream\n{stream}\nendstream")
    return pdf_bytes(objects)


# The checked-in PDF fixtures, as the lines of each page (running header, body, page number).
PDF_FIXTURES: dict[str, list[list[str]]] = {
    "most_plan_pdf": [
        [
            "科学技术部文件",
            "关于印发生物医药创新发展行动计划的通知",
            "国科发高〔2024〕15号",
            "各省、自治区、直辖市科技厅（委、局），各有关单位：",
            "为推动生物医药产业高质量发展，加快培育新质生产力，",
            "现将《生物医药创新发展行动计划》印发给你们，请结合",
            "实际认真贯彻执行。",
            "— 1 —",
        ],
        [
            "科学技术部文件",
            "一、加强基础研究，支持创新药物和高端医疗器械的研发",
            "与转化，推动长三角、粤港澳大湾区建设生物医药创新",
            "高地。",
            "二、完善临床试验体系，提升审评审批效率。",
            "— 2 —",
        ],
        [
            "科学技术部文件",
            "三、强化资金保障，鼓励社会资本投入生物医药领域，支",
            "持企业开展国际合作。",
            "科学技术部",
            "2024年3月20日",
            "— 3 —",
        ],
    ],
}


def main() -> None:
    """Write every PDF fixture next to its gold sidecar."""
    folder = Path(__file__).with_name("fixtures") / "pages"
    for name, pages in PDF_FIXTURES.items():
        (folder / f"{name}.pdf").write_bytes(make_cjk_pdf(pages))


if __name__ == "__main__":
    main()
