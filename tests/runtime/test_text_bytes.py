"""Page text that travels as its UTF-8 bytes (issue 20): each shortcut gives the same values
and digests as the ``str`` round trip it replaced."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import schema
from pipeline.runtime.protocol import Utf8Text
from pipeline.runtime.reuse import row_digests
from pipeline.runtime.sink import to_arrow
from pipeline.sources.decoding import decode_bytes
from pipeline.sources.inputs import _base_row, decode_payload

# text that UTF-8 can hold: no lone surrogates (a page never decodes to one)
TEXTS = st.text(st.characters(exclude_categories=["Cs"]), max_size=60)


def _token_by_str(value: Any) -> bytes:
    """The token each value was hashed as before: every ``str`` encoded from Python."""
    if value is None:
        return b"n"
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, datetime):
        return b"t" + value.isoformat().encode()
    return b"j" + json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()


def _digests_by_str(table: pa.Table) -> list[str]:
    names = [n for n in table.column_names if n not in schema.DIGEST_COLUMNS]
    digests = []
    for row in table.select(names).to_pylist():
        digest = hashlib.sha256()
        for name in names:
            token = _token_by_str(row[name])
            digest.update(f"{name}:{len(token)}:".encode())
            digest.update(token)
        digests.append(digest.hexdigest())
    return digests


def _ingested_columns(texts: list[str | None]) -> dict[str, list[Any]]:
    n = len(texts)
    columns: dict[str, list[Any]] = {name: [None] * n for name in schema.INGESTED}
    columns.update(
        doc_id=[f"{i:016x}" for i in range(n)],
        source_path=[f"p/{i}.html" for i in range(n)],
        size_bytes=list(range(n)),
        fetched_at=[datetime(2026, 1, 1, tzinfo=UTC) if i % 2 else None for i in range(n)],
        raw_text=texts,
    )
    return columns


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXTS), min_size=1, max_size=8))
def test_row_digests_equal_the_digests_of_encoded_strings(texts: list[str | None]) -> None:
    table = to_arrow(_ingested_columns(texts), "ingested")
    assert row_digests(table) == _digests_by_str(table)
    for kind in (pa.string(), pa.string_view()):
        narrow = table.set_column(
            table.column_names.index("raw_text"),
            pa.field("raw_text", kind),
            table.column("raw_text").cast(kind),
        )
        assert row_digests(narrow) == _digests_by_str(table)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXTS), min_size=1, max_size=8), st.data())
def test_utf8_text_values_make_the_table_strs_make(
    texts: list[str | None], data: st.DataObject
) -> None:
    as_bytes = [
        Utf8Text(text.encode()) if text is not None and data.draw(st.booleans()) else text
        for text in texts
    ]
    assert to_arrow(_ingested_columns(as_bytes), "ingested").equals(  # type: ignore[arg-type]
        to_arrow(_ingested_columns(texts), "ingested")
    )


def test_utf8_text_that_is_not_utf8_is_an_error_not_a_bad_value() -> None:
    try:
        to_arrow(_ingested_columns([Utf8Text(b"caf\xe9")]), "ingested")  # type: ignore[list-item]
    except pa.ArrowInvalid:
        return
    raise AssertionError("invalid UTF-8 was stored")


PAGE = "<html><body><p>Crème brûlée — “quoted” 東京 🙂</p></body></html>"


def test_decoded_utf8_is_the_input_when_the_text_is_the_input_as_it_came() -> None:
    for raw in (PAGE.encode(), gzip.compress(PAGE.encode(), mtime=0), b"<p>plain ascii</p>"):
        decoded = decode_bytes(raw)
        assert decoded.text is not None
        assert decoded.utf8 is not None and decoded.utf8 == decoded.text.encode()


def test_decoded_utf8_is_none_when_the_text_is_not_the_input() -> None:
    changed = [
        PAGE.encode("utf-8-sig"),  # BOM dropped
        PAGE.replace("Crème", "Cr\x00ème").encode(),  # control removed
        "<p>Crème brûlée déjà vu</p>".encode("cp1252"),  # another codec
        b"<p>caf\xe9 au lait, cr\xe8me, d\xe9j\xe0 vu " + "ça marche très bien".encode() + b"</p>",
        PAGE.encode("utf-16"),
    ]
    for raw in changed:
        decoded = decode_bytes(raw)
        assert decoded.text is not None
        assert decoded.utf8 is None


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=300) | TEXTS.map(str.encode))
def test_decoded_utf8_when_given_is_always_the_text(raw: bytes) -> None:
    decoded = decode_bytes(raw)
    if decoded.utf8 is not None:
        assert decoded.text is not None and decoded.utf8 == decoded.text.encode()


def test_an_ingest_row_holds_the_text_or_its_bytes() -> None:
    row = decode_payload(_base_row("a.html"), PAGE.encode(), 1 << 20)
    assert isinstance(row["raw_text"], Utf8Text) and row["raw_text"].decode() == PAGE
    # a charset from the HTTP header that changes the text: the decoded str is kept
    latin = decode_payload(_base_row("b.html"), PAGE.encode(), 1 << 20, http_charset="latin-1")
    assert isinstance(latin["raw_text"], str) and latin["raw_text"] == PAGE.encode().decode(
        "latin-1"
    )
