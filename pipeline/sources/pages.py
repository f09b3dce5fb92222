"""The page of an ingested row, as ingest decoded it.

Ingest keeps the text of the pages of the input folder out of ``ingested.parquet``: that copy
of the whole input (1.9 GB at 10k pages) was written, hashed by DVC and read back only for
extract. The extract workers read such a page again where it is, a file by its path, a WARC
record by its file and offset, check that its bytes are the ones ingest hashed, and decode them
with ingest's own function (:func:`pipeline.sources.inputs.decode_page`): the same bytes give
the same text. Pages read from elsewhere (a remote object, or by workers that cannot see the
folder) keep their text in the table."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.schema import QuarantineReason
from pipeline.sources.inputs import CHANGED, decode_page, read_regular_file
from pipeline.sources.warc import read_record

# The columns :meth:`InputPages.text` reads: the page, or what locates it and proves it the same.
_PAGE_COLUMNS = ("raw_text", "source_path", "source_sha256", "warc_file", "warc_record_offset")


class PageUnavailable(Exception):
    """The page of a row cannot be read again as ingest read it (its quarantine reason and
    detail)."""

    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class InputPages:
    """Where the pages ingest left out of its table are, and how it read them: its
    ``input_dir``, ``max_raw_bytes`` and ``max_inflated_bytes``."""

    input_dir: Path | None
    max_raw_bytes: int
    max_inflated_bytes: int

    def text(self, row: dict[str, Any]) -> str:
        """The decoded page of an ingested row: its ``raw_text``, or the page read again."""
        text: str | None = row["raw_text"]
        if text is not None:
            return text
        raw, http_charset = self._bytes(row)
        if hashlib.sha256(raw).hexdigest() != row["source_sha256"]:
            raise PageUnavailable(QuarantineReason.CHANGED_SINCE_INVENTORY, CHANGED)
        decoded, text, _ = decode_page(raw, self.max_inflated_bytes, http_charset)
        if text is None:  # the bytes ingest decoded: only a change of the code gets here
            raise PageUnavailable(QuarantineReason.UNDECODABLE, str(decoded.detail))
        return text

    def fill(self, table: pa.Table) -> pa.Table:
        """``table``'s rows with every page in ``raw_text``, read here: for workers that cannot
        see the input folder. A page that cannot be read stays null: the worker then finds it
        unreadable too."""
        texts = []
        for row in table.select(_PAGE_COLUMNS).to_pylist():
            with contextlib.suppress(PageUnavailable):
                row["raw_text"] = self.text(row)
            texts.append(row["raw_text"])
        column = table.schema.get_field_index("raw_text")
        filled = pa.array(texts, table.schema.field(column).type)
        return table.set_column(column, "raw_text", filled)

    def _bytes(self, row: dict[str, Any]) -> tuple[bytes, str | None]:
        """(the page's bytes, the charset of its HTTP header) as the input holds them now."""
        if self.input_dir is None:
            raise PageUnavailable(QuarantineReason.UNREADABLE, "no ingest.input_dir to read from")
        offset = row["warc_record_offset"]
        try:
            if offset is None:
                raw, _ = read_regular_file(self.input_dir / row["source_path"])
                return (raw or b""), None
            item = read_record(self.input_dir / row["warc_file"], offset, self.max_raw_bytes)
        except OSError as exc:
            detail = f"{type(exc).__name__}: {exc.strerror or exc}"
            raise PageUnavailable(QuarantineReason.UNREADABLE, detail) from exc
        except Exception as exc:  # warcio raises several types on broken framing
            detail = f"WARC record: {type(exc).__name__}: {exc}"[:300]
            raise PageUnavailable(QuarantineReason.CHANGED_SINCE_INVENTORY, detail) from exc
        if item is None or item.get("payload") is None:
            raise PageUnavailable(QuarantineReason.CHANGED_SINCE_INVENTORY, CHANGED)
        return item["payload"], item.get("http_charset")
