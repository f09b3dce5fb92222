"""WARC input: response records become documents with provenance; bad records are quarantined."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from benchmarks.corpus import write_warc
from pipeline.sources.folder import read_manifest, take_inventory
from pipeline.sources.inputs import FirstPathWins, ingest_row, input_items
from pipeline.sources.pages import InputPages
from pipeline.sources.warc import http_charset, is_text_type, iter_records
from tests.warcrecords import _malformed_record

PAGE = (
    b"<html><body><article><p>The ferry sailed at dawn for the first time in weeks.</p>"
    b"</article></body></html>"
)
WHEN = datetime(2024, 3, 5, 6, 7, 8, tzinfo=UTC)


def _warc_with_a_bad_record(path: Path) -> None:
    write_warc(path, [("https://news.example/a", WHEN, PAGE)])
    with path.open("ab") as fh:
        fh.write(_malformed_record("https://news.example/bad"))
    second = path.with_suffix(".part")
    write_warc(second, [("https://news.example/b", WHEN, PAGE.replace(b"dawn", b"noon"))])
    with path.open("ab") as fh:
        fh.write(second.read_bytes())
    second.unlink()


def _ingest(item: dict[str, object], root: Path) -> dict[str, object]:
    return ingest_row(item, str(root), max_raw=1 << 20, max_inflated=1 << 20)


def test_http_helpers() -> None:
    assert http_charset("text/html; charset=ISO-8859-1") == "iso-8859-1"
    assert http_charset("text/html") is None
    assert is_text_type("text/html; charset=utf-8") and is_text_type(None)
    assert not is_text_type("image/png")


def test_records_keep_going_after_a_malformed_one(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    _warc_with_a_bad_record(path)
    items = list(iter_records(path, "crawl.warc.gz", 1 << 20))
    assert [i["source_url"] for i in items] == [
        "https://news.example/a",
        "https://news.example/bad",
        "https://news.example/b",
    ]
    assert [i["error"] is None for i in items] == [True, False, True]
    assert items[0]["payload"] == PAGE
    offsets = [i["warc_record_offset"] for i in items]
    assert offsets[0] == 0 and offsets == sorted(offsets) and len(set(offsets)) == 3
    assert [i["name"] for i in items] == [f"crawl.warc.gz#{o}" for o in offsets]


def test_ingested_records_carry_provenance_and_reasons(tmp_path: Path) -> None:
    _warc_with_a_bad_record(tmp_path / "crawl.warc.gz")
    (tmp_path / "page.html").write_bytes(PAGE)
    names: list[str] = []
    files = take_inventory(tmp_path).to_dicts()
    rows = [_ingest(item, tmp_path) for item in input_items(tmp_path, files, 1 << 20, names)]
    assert len(names) == 4 and names[-1] == "page.html"
    first, bad, second, _plain = rows
    assert first["source_url"] == "https://news.example/a" and first["fetched_at"] == WHEN
    assert first["warc_record_id"] and str(first["warc_payload_digest"]).startswith("sha1:")
    # the page stays in the folder: extract reads the record again at its offset
    assert first["raw_text"] is None and first["format"] == "html"
    assert InputPages(tmp_path, 1 << 20, 1 << 20).text(first) == PAGE.decode()
    assert bad["reason"] == "malformed_record" and "HTTP" in str(bad["detail"])
    assert second["reason"] is None and second["doc_id"] != first["doc_id"]
    # The same bytes as a plain file and as a WARC record: the first in input order keeps it.
    settle = FirstPathWins()
    outcomes = [settle(r)["reason"] for r in rows]
    assert outcomes == [None, "malformed_record", None, "duplicate"]


def test_non_html_response_is_binary_and_http_charset_wins(tmp_path: Path) -> None:
    latin = "<html><body><p>Le café a fermé ses portes après quatre-vingts ans.</p></body></html>"
    write_warc(tmp_path / "a.warc.gz", [("https://x.example/p", WHEN, latin.encode("cp1252"))])
    (item,) = iter_records(tmp_path / "a.warc.gz", "a.warc.gz", 1 << 20)
    item = {**item, "http_charset": "windows-1252"}
    row = _ingest(item, tmp_path)
    assert row["encoding"] == "windows-1252" and "café" in str(row["raw_text"])
    png = {**item, "binary_type": "image/png"}
    assert _ingest(png, tmp_path)["reason"] == "binary"


def test_broken_framing_quarantines_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "torn.warc.gz"
    write_warc(path, [("https://x.example/1", WHEN, PAGE), ("https://x.example/2", WHEN, PAGE)])
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2 + 20] + b"\x00garbage" * 5)
    items = list(iter_records(path, "torn.warc.gz", 1 << 20))
    assert items[0]["error"] is None
    assert items[-1]["error"] and "framing" in items[-1]["error"]
    assert len({i["name"] for i in items}) == len(items)


def test_oversize_record_is_not_read(tmp_path: Path) -> None:
    write_warc(tmp_path / "big.warc.gz", [("https://x.example/big", WHEN, PAGE * 2000)])
    (item,) = iter_records(tmp_path / "big.warc.gz", "big.warc.gz", 1000)
    assert item.get("payload") is None and item["oversize"] > 1000
    row = ingest_row(item, str(tmp_path), max_raw=1000, max_inflated=1 << 20)
    assert row["reason"] == "too_large"


def test_manifest_gives_url_and_fetch_time(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "p.html").write_bytes(PAGE)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,url,fetched_at\np.html,https://m.example/p,2024-03-05T06:07:08Z\n")
    names: list[str] = []
    files = take_inventory(tmp_path / "pages", read_manifest(manifest)).to_dicts()
    (item,) = input_items(tmp_path / "pages", files, 1 << 20, names)
    row = _ingest(item, tmp_path / "pages")
    assert row["source_url"] == "https://m.example/p" and row["fetched_at"] == WHEN


def test_a_warc_changed_after_the_inventory_is_one_quarantine_row(tmp_path: Path) -> None:
    _warc_with_a_bad_record(tmp_path / "crawl.warc.gz")
    files = take_inventory(tmp_path).to_dicts()
    with (tmp_path / "crawl.warc.gz").open("ab") as fh:
        fh.write(b"appended after the inventory")
    names: list[str] = []
    (item,) = input_items(tmp_path, files, 1 << 20, names)
    assert names == ["crawl.warc.gz"]
    assert _ingest(item, tmp_path)["reason"] == "changed_since_inventory"
