"""Raw bytes -> text: container (gzip), binary sniffing, encoding detection.

Pure functions; the ingest stage applies them to every input file. A failure is returned as a
quarantine reason with a human-readable detail, never raised.
"""

from __future__ import annotations

import codecs
import re
import zlib
from dataclasses import dataclass

from charset_normalizer import from_bytes

from pipeline.schema import QuarantineReason
from pipeline.text.dumps import looks_like_page_dump

# Magic numbers of formats that are never a web page's text.
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"%PDF-", "pdf"),
    (b"\x7fELF", "elf"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"PK\x03\x04", "zip"),
    (b"RIFF", "riff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"wOFF", "woff"),
    (b"wOF2", "woff2"),
    (b"\xca\xfe\xba\xbe", "java-class"),
    (b"MZ", "pe"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"PAR1", "parquet"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]{2,40})""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]{0,100}encoding\s*=\s*["']([a-zA-Z0-9_.:-]{2,40})""")
# Bytes that never occur in text: C0 controls other than tab, newline, form feed, carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_SNIFF = 8192


def _count_bytes(data: bytes, values: bytes) -> int:
    """How many bytes of ``data`` are among ``values``: one C pass (deleting them), ~10x
    cheaper than counting each value or scanning the decoded text."""
    return len(data) - len(data.translate(None, values))


@dataclass(frozen=True)
class Decoded:
    """Outcome of decoding one input. ``text`` is None exactly when ``reason`` is set."""

    text: str | None
    format: str  # html | text, with ".gz" appended for gzip input; "binary"/"unknown" on failure
    encoding: str | None
    reason: QuarantineReason | None = None
    detail: str | None = None
    # ``text``'s UTF-8 bytes when they are the input's own (valid UTF-8, kept as it came), so
    # a writer can store the text without encoding it again; None when unknown.
    utf8: bytes | None = None


def _fail(fmt: str, reason: QuarantineReason, detail: str) -> Decoded:
    return Decoded(text=None, format=fmt, encoding=None, reason=reason, detail=detail)


def gunzip_capped(raw: bytes, max_bytes: int) -> tuple[bytes | None, QuarantineReason | None, str]:
    """Inflate a gzip stream without ever holding more than ``max_bytes`` of output."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        return None, QuarantineReason.CORRUPT_GZIP, f"gzip: {exc}"
    if len(out) > max_bytes:
        return None, QuarantineReason.INFLATED_TOO_LARGE, f"inflates past {max_bytes} bytes"
    if not inflater.eof:
        return None, QuarantineReason.CORRUPT_GZIP, "gzip stream is truncated"
    return out, None, ""


def binary_kind(raw: bytes) -> str | None:
    """Name of the binary format ``raw`` is, or None when it may be text."""
    for magic, name in _BINARY_MAGIC:
        if raw.startswith(magic):
            return name
    head = raw[:_SNIFF]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return None  # UTF-16/32 text legitimately holds NUL bytes
    controls = _count_bytes(head, _CONTROL_BYTES)
    if head and controls / len(head) > 0.10:
        return "control-bytes"
    return None


def _codec_name(label: bytes | str) -> str | None:
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def declared_encoding(raw: bytes) -> str | None:
    """Charset declared in the first bytes (<meta charset>, http-equiv, <?xml encoding>)."""
    head = raw[:_SNIFF]
    for pattern in (_DECLARED_CHARSET, _XML_ENCODING):
        match = pattern.search(head)
        if match:
            name = _codec_name(match.group(1))
            # Browsers treat a declared latin-1/ascii as windows-1252 (WHATWG encoding spec).
            if name in ("latin-1", "iso8859-1", "ascii"):
                return "cp1252"
            # A UTF-16/32 declaration inside bytes readable as ASCII is wrong by construction
            # (WHATWG: such a <meta> means UTF-8).
            if name is not None and name.startswith(("utf-16", "utf-32")):
                return "utf-8"
            return name
    return None


# Replacement characters and C0 controls other than tab, newline, form feed, carriage return.
_IMPLAUSIBLE = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f]")


def _plausible(text: str) -> bool:
    if not text.strip():
        return False
    sample = text[:_SNIFF]
    bad = len(_IMPLAUSIBLE.findall(sample))
    return bad / max(len(sample), 1) < 0.02


# Bytes that are not UTF-8, after surrogateescape decoding: U+DC80..U+DCFF stand for 0x80..0xFF.
_ESCAPED = re.compile("[\udc80-\udcff]")
_HIGH_BYTES = bytes(range(0x80, 0x100))
# windows-1252 leaves five bytes undefined; they stay U+FFFD.
_CP1252_OF_ESCAPE = {
    0xDC00 + b: bytes([b]).decode("cp1252", errors="replace") for b in range(0x80, 0x100)
}


def _ascii_compatible(name: str) -> bool:
    try:
        return "a<p>é".encode(name).startswith(b"a<p>")
    except (LookupError, UnicodeError):
        return False


def mostly_utf8(raw: bytes) -> str | None:
    """Text of ``raw`` when it is UTF-8 with a few stray non-UTF-8 bytes, else None.

    Pages are often UTF-8 with a fragment pasted from a windows-1252 source (or a truncated
    multi-byte character). When the valid multi-byte sequences outnumber the stray bytes, the
    page is UTF-8 and each stray byte is read as windows-1252 (the usual source of such bytes)."""
    text = raw.decode("utf-8", errors="surrogateescape")
    stray = len(_ESCAPED.findall(text))
    high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
    valid_high = high - stray  # bytes of valid multi-byte characters
    if stray == 0 or valid_high < 2 * stray:
        return None
    return text.translate(_CP1252_OF_ESCAPE)


def _detected(raw: bytes) -> str | None:
    """Codec picked by statistical detection; windows-1252 wins a near tie (it is by far the
    most common legacy encoding of the web, and detectors often pick a rare cousin)."""
    matches = list(from_bytes(raw[: 1 << 20]))
    if not matches:
        return None
    best = matches[0]
    for match in matches[:8]:
        if _codec_name(match.encoding) == "cp1252" and match.chaos <= best.chaos + 0.01:
            return "cp1252"
    return _codec_name(best.encoding) or best.encoding


def decode_text(raw: bytes) -> tuple[str | None, str | None]:
    """(text, codec): BOM; else valid UTF-8 (whatever the page declares: legacy text is almost
    never valid UTF-8 by chance, while pages served as UTF-8 often still declare latin-1); else
    UTF-8 with a few stray bytes; else the declared charset; else statistical detection."""
    text, codec, _ = _decode_text(raw)
    return text, codec


def _decode_text(raw: bytes) -> tuple[str | None, str | None, bool]:
    """:func:`decode_text`, and whether the text is ``raw`` decoded as UTF-8 as it is (so
    ``raw`` is already the text's UTF-8 form)."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(name), name, False
            except UnicodeDecodeError:
                return None, None, False
    declared = declared_encoding(raw)
    text: str | None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _plausible(text):
            if raw.isascii() and declared and _ascii_compatible(declared):
                return text, declared, True  # the same text either way: report what the page says
            return text, "utf-8", True
    mixed = mostly_utf8(raw)
    if mixed is not None and _plausible(mixed):
        return mixed, "utf-8", False
    if declared and declared != "utf-8":
        try:
            text = raw.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if _plausible(text):
                return text, declared, False
    detected = _detected(raw)
    if detected is not None:
        try:
            text = raw.decode(detected, errors="replace")
        except LookupError:
            return None, None, False
        if _plausible(text):
            return text, detected, False
    return None, None, False


def bomless_utf16(raw: bytes) -> str | None:
    """Codec of UTF-16 text saved without a BOM (mostly ASCII-range characters, so every other
    byte is NUL), or None. Without this, such a page reads as control bytes."""
    head = raw[:_SNIFF]
    half = len(head) // 2
    if half < 32 or any(head.startswith(bom) for bom, _ in _BOMS):
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.9 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.9 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def decode_bytes(raw: bytes, max_inflated_bytes: int = 64 << 20) -> Decoded:
    """Decode one raw input into text, or say why it cannot be a document."""
    container = ""
    if raw.startswith(b"\x1f\x8b"):
        inflated, reason, detail = gunzip_capped(raw, max_inflated_bytes)
        if inflated is None:
            assert reason is not None
            return _fail("gzip", reason, detail)
        raw, container = inflated, ".gz"
    if not raw.strip():
        return _fail("text" + container, QuarantineReason.EMPTY, "no bytes besides whitespace")
    text: str | None = None
    as_is = False
    codec = bomless_utf16(raw)
    if codec is not None:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            codec = None
        if text is not None and not _plausible(text):
            text, codec = None, None
    if text is None:
        kind = binary_kind(raw)
        if kind is not None:
            return _fail("binary" + container, QuarantineReason.BINARY, f"binary content ({kind})")
        text, codec, as_is = _decode_text(raw)
    if text is None:
        return _fail("unknown" + container, QuarantineReason.UNDECODABLE, "no encoding fits")
    # NUL and other C0 controls are invalid in HTML and text; drop the stray ones.
    # A regex scan is ~50x faster than str.translate on pages that hold no controls at all.
    if not (codec and _ascii_compatible(codec)) or _has_control_bytes(raw):
        text, as_is = _CONTROLS.sub(_control_replacement, text), False
    if not text.strip():
        return _fail("text" + container, QuarantineReason.EMPTY, "only whitespace after decoding")
    fmt = ("text" if looks_like_page_dump(text) else "html") + container
    return Decoded(text=text, format=fmt, encoding=codec, utf8=raw if as_is else None)


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTE_VALUES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _has_control_bytes(raw: bytes) -> bool:
    """In an ASCII-compatible encoding a C0 control character is its own byte: counting the
    bytes is cheaper than scanning the decoded text."""
    return _count_bytes(raw, _CONTROL_BYTE_VALUES) > 0


def _control_replacement(match: re.Match[str]) -> str:
    return " " if match.group() == "\x0c" else ""
