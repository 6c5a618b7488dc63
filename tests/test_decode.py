"""decode_bytes and looks_binary: charset choice, bad bytes, binary data."""

from __future__ import annotations

import codecs

import pytest

from parsers.decode import canonical_encoding, decode_bytes, looks_binary

TEXT = "关于印发广东省培育未来生命健康产业集群行动计划的通知。朱镕基、生物医药产业。"  # 镕 is GBK, not GB2312


def html(charset: str, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    return f"<html><head>{meta}</head><body>{body}</body></html>"


def test_decode_meta_gb2312_decodes_gbk_bytes_as_gb18030() -> None:
    decoded = decode_bytes(html("gb2312").encode("gbk"))
    assert (decoded.encoding, decoded.bad_bytes) == ("gb18030", 0)
    assert TEXT in decoded.text


def test_decode_html5_meta_charset() -> None:
    data = f'<meta charset="GBK"><p>{TEXT}</p>'.encode("gbk")
    assert TEXT in decode_bytes(data).text


def test_decode_header_charset_wins_over_meta() -> None:
    data = html("utf-8").encode("gbk")
    decoded = decode_bytes(data, content_type="text/html; charset=GBK")
    assert decoded.encoding == "gb18030"
    assert TEXT in decoded.text


def test_decode_forced_encoding_wins_over_everything() -> None:
    data = html("utf-8").encode("gbk")
    assert TEXT in decode_bytes(data, content_type="text/html; charset=utf-8", forced="gbk").text


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_decode_bom_decides_and_is_dropped(bom: bytes, codec: str) -> None:
    decoded = decode_bytes(bom + TEXT.encode(codec), content_type="text/html; charset=gbk")
    assert decoded.text == TEXT


def test_decode_undeclared_utf8_is_tried_first() -> None:
    decoded = decode_bytes(TEXT.encode("utf-8"))
    assert (decoded.text, decoded.encoding) == (TEXT, "utf-8")


def test_decode_undeclared_gbk_is_detected() -> None:
    data = (TEXT * 20).encode("gbk")
    decoded = decode_bytes(data)
    assert decoded.text == TEXT * 20
    assert decoded.bad_bytes == 0


def test_decode_bad_bytes_are_replaced_and_counted() -> None:
    data = "生物医药".encode() + b"\xff\xfe" + "产业".encode()
    decoded = decode_bytes(data, forced="utf-8")
    assert decoded.text == "生物医药\ufffd\ufffd产业"
    assert decoded.bad_bytes == 2


def test_decode_truncated_gbk_does_not_raise() -> None:
    data = html("gbk").encode("gbk")[:-1] + b"\x81"
    decoded = decode_bytes(data)
    assert decoded.bad_bytes >= 1


def test_decode_utf8_bytes_beat_a_wrong_gb2312_meta() -> None:
    decoded = decode_bytes(html("gb2312").encode("utf-8"))
    assert decoded.encoding == "utf-8"
    assert TEXT in decoded.text


def test_decode_forced_encoding_is_not_second_guessed() -> None:
    assert decode_bytes(TEXT.encode("utf-8"), forced="gbk").encoding == "gb18030"


def test_decode_unknown_declared_charset_falls_through() -> None:
    data = html("x-no-such-charset").encode("utf-8")
    assert decode_bytes(data).encoding == "utf-8"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("UTF8", "utf-8"),
        ("big5", "big5"),
        ("nonsense", None),
        ("", None),
    ],
)
def test_decode_canonical_encoding(name: str, expected: str | None) -> None:
    assert canonical_encoding(name) == expected


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(32)) * 10, b"PK\x03\x04\x14\x00\x00\x00\x08\x00"],
)
def test_decode_looks_binary_detects_binary(data: bytes) -> None:
    assert looks_binary(data)


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        TEXT.encode("gbk"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        b"plain\ttext\r\n",
    ],
)
def test_decode_looks_binary_accepts_text(data: bytes) -> None:
    assert not looks_binary(data)


def test_decode_header_contradicted_by_the_bytes_gives_way_to_meta() -> None:
    page = '<html><head><meta charset="gbk"></head><body>生物医药产业</body></html>'.encode("gbk")
    decoded = decode_bytes(page, content_type="text/html; charset=utf-8")
    assert (decoded.encoding, decoded.bad_bytes, "生物医药产业" in decoded.text) == ("gb18030", 0, True)


def test_decode_looks_binary_lets_a_page_with_a_stray_nul_through() -> None:
    page = ("<html><body>" + "<p>为加快生物医药产业发展，现就有关事项通知如下。</p>" * 20 + "</body></html>").encode()
    assert not looks_binary(page[:12] + b"\x00\x00" + page[12:])
