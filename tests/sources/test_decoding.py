"""Raw bytes -> text: containers, binary sniffing, encodings, failure reasons."""

from __future__ import annotations

import gzip

from pipeline.schema import QuarantineReason
from pipeline.sources.decoding import binary_kind, declared_encoding, decode_bytes, gunzip_capped

PAGE = "<html><head><title>Café</title></head><body><p>Crème brûlée – “quoted”.</p></body></html>"


def test_utf8_html_is_html_utf8() -> None:
    decoded = decode_bytes(PAGE.encode("utf-8"))
    assert decoded.reason is None
    assert decoded.format == "html"
    assert decoded.encoding == "utf-8"
    assert decoded.text == PAGE


def test_declared_windows_1252_is_honoured() -> None:
    page = PAGE.replace("<head>", '<head><meta charset="windows-1252">')
    decoded = decode_bytes(page.encode("cp1252"))
    assert decoded.encoding == "cp1252"
    assert decoded.text is not None and "Crème brûlée – “quoted”" in decoded.text


def test_declared_latin1_is_read_as_windows_1252() -> None:
    assert (
        declared_encoding(
            b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        )
        == "cp1252"
    )


def test_wrong_declared_charset_falls_back_to_utf8() -> None:
    page = PAGE.replace("<head>", '<head><meta charset="shift_jis">')
    decoded = decode_bytes(page.encode("utf-8"))
    assert decoded.text is not None and "Crème brûlée" in decoded.text


def test_undeclared_legacy_encoding_is_detected() -> None:
    text = (
        "<p>Le café du port a servi son dernier café. "
        "Les habitués étaient très émus, même la patronne.</p>" * 3
    )
    decoded = decode_bytes(text.encode("cp1252"))
    assert decoded.reason is None
    assert decoded.text is not None and "café" in decoded.text and "émus" in decoded.text


def test_utf16_with_bom() -> None:
    decoded = decode_bytes(b"\xff\xfe" + PAGE.encode("utf-16-le"))
    assert decoded.encoding == "utf-16-le"
    assert decoded.text == PAGE


def test_gzip_page_is_inflated() -> None:
    decoded = decode_bytes(gzip.compress(PAGE.encode(), mtime=0))
    assert decoded.format == "html.gz"
    assert decoded.text == PAGE


def test_truncated_gzip_is_corrupt() -> None:
    blob = gzip.compress(PAGE.encode() * 50, mtime=0)
    decoded = decode_bytes(blob[: len(blob) // 2])
    assert decoded.reason is QuarantineReason.CORRUPT_GZIP
    assert decoded.text is None


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"<p>" + b"a" * 5_000_000, mtime=0)
    assert len(bomb) < 20_000
    out, reason, _ = gunzip_capped(bomb, max_bytes=1_000_000)
    assert out is None and reason is QuarantineReason.INFLATED_TOO_LARGE


def test_empty_and_whitespace_are_empty() -> None:
    assert decode_bytes(b"").reason is QuarantineReason.EMPTY
    assert decode_bytes(b" \n\t \r\n").reason is QuarantineReason.EMPTY


def test_binary_formats_are_named() -> None:
    assert binary_kind(b"\x89PNG\r\n\x1a\n....") == "png"
    assert binary_kind(b"%PDF-1.7\n...") == "pdf"
    assert binary_kind(b"\x7fELF\x02\x01\x01") == "elf"
    assert binary_kind(bytes(range(256)) * 4) == "control-bytes"
    assert binary_kind(PAGE.encode()) is None
    assert decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00").reason is QuarantineReason.BINARY


def test_stray_nul_bytes_are_removed_not_fatal() -> None:
    decoded = decode_bytes(PAGE.replace("Crème", "Cr\x00ème").encode())
    assert decoded.reason is None
    assert decoded.text is not None and "\x00" not in decoded.text and "Crème" in decoded.text


def test_plain_text_dump_is_text() -> None:
    dump = ".a{color:red}\nMenu Sign in\nThe council voted on Tuesday to close the baths.\n"
    assert decode_bytes(dump.encode()).format == "text"
