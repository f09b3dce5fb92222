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
from pipeline.textdump import looks_like_page_dump

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


@dataclass(frozen=True)
class Decoded:
    """Outcome of decoding one input. ``text`` is None exactly when ``reason`` is set."""

    text: str | None
    format: str  # html | text, with ".gz" appended for gzip input; "binary"/"unknown" on failure
    encoding: str | None
    reason: QuarantineReason | None = None
    detail: str | None = None


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
    controls = sum(head.count(bytes([b])) for b in _CONTROL_BYTES)
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
            return name
    return None


def _plausible(text: str) -> bool:
    if not text.strip():
        return False
    sample = text[:_SNIFF]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return bad / max(len(sample), 1) < 0.02


def decode_text(raw: bytes) -> tuple[str | None, str | None]:
    """(text, codec) by BOM, then declared charset, then UTF-8, then statistical detection."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(name), name
            except UnicodeDecodeError:
                return None, None
    candidates: list[str] = []
    declared = declared_encoding(raw)
    if declared:
        candidates.append(declared)
    if "utf-8" not in candidates:
        candidates.append("utf-8")
    for name in candidates:
        try:
            text = raw.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        if _plausible(text):
            return text, name
    best = from_bytes(raw[: 1 << 20]).best()
    if best is not None and best.encoding:
        name = _codec_name(best.encoding) or best.encoding
        try:
            text = raw.decode(name, errors="replace")
        except LookupError:
            return None, None
        if _plausible(text):
            return text, name
    return None, None


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
    kind = binary_kind(raw)
    if kind is not None:
        return _fail("binary" + container, QuarantineReason.BINARY, f"binary content ({kind})")
    text, codec = decode_text(raw)
    if text is None:
        return _fail("unknown" + container, QuarantineReason.UNDECODABLE, "no encoding fits")
    # NUL and other C0 controls are invalid in HTML and text; drop the stray ones.
    text = text.translate(_STRIP_CONTROLS)
    if not text.strip():
        return _fail("text" + container, QuarantineReason.EMPTY, "only whitespace after decoding")
    fmt = ("text" if looks_like_page_dump(text) else "html") + container
    return Decoded(text=text, format=fmt, encoding=codec)


_STRIP_CONTROLS = {c: None for c in range(32) if c not in (9, 10, 13)} | {0x0C: " "}
