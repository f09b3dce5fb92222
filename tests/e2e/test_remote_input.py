"""WARC files on an S3-compatible server (moto's, for real, on loopback) as the pipeline's input:
the same tables as the same files in a local folder, `dvc status` naming a changed object,
transient 5xx answers retried, and a killed ingest resumed without reading finished files
(over S3 and over plain HTTP). The inputs are listed from a warc.paths listing in the bucket.
Ingest filters drop exactly the records out of scope, in both, and the metrics and the card
count them."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import yaml

from benchmarks.corpus import write_warc
from tests.dvcrepo import BIN, ROOT, commit, dvc, make_repo, run, set_param
from tests.s3server import CREDENTIALS, Faults, flaky_proxy, moto_server, s3

pytestmark = pytest.mark.e2e

BUCKET = "news"
SAMPLE = ROOT / "data" / "sample"
# Our own sample pages, three to a WARC file, each under a URL of its outlet.
# CC-NEWS names: the crawl column reads the month from them.
A, B, C = (f"CC-NEWS-20260304050607-0000{i}.warc.gz" for i in (1, 2, 3))
PAGES = {
    A: [
        "harbour_gazette_ferry_strike",
        "valley_courier_orchard_og",
        "journal_cote_cafe_cp1252",
    ],
    B: [
        "kestrel_bay_wire_rail_reopen",
        "moorland_echo_wire_rail_reopen",
        "harbour_gazette_sport_index",
    ],
    C: [
        "northfield_ledger_library_jsonld",
        "riverdale_post_wire_rail_reopen",
        "empty_download",
    ],
}
# Where a table names its input: the rest must be equal, whether the files were local or not.
LOCATION = ("source_path", "warc_file", "row_digest", "input_digest")
TABLES = (
    "data/processed/documents.parquet",
    "data/processed/sentences.parquet",
    "data/processed/quarantine.parquet",
)


# Records out of scope, one per WARC file or two, each for one filter of FILTERS.
PAGE = (SAMPLE / "valley_courier_orchard_og.html").read_bytes()
OUT_OF_SCOPE = {
    A: [("https://www.spam.example/story", datetime(2026, 3, 4, 6, tzinfo=UTC), PAGE)],
    B: [("https://kestrel.example/gone", datetime(2026, 3, 4, 6, tzinfo=UTC), b"<p>gone</p>")],
    C: [
        ("https://riverdale.example/old", datetime(2025, 12, 31, 23, tzinfo=UTC), PAGE),
        ("https://riverdale.example/logo", datetime(2026, 3, 4, 6, tzinfo=UTC), b"\x89PNG"),
    ],
}
HEADS = {
    "https://kestrel.example/gone": ("404 Not Found", "text/html"),
    "https://riverdale.example/logo": ("200 OK", "image/png"),
}
FILTERS = {
    "domains_deny": "[spam.example]",
    "http_statuses": "[200]",
    "content_types": "[text/html]",
    "fetched_from": "'2026-01-01'",
}
FILTERED = {"content_type": 1, "domain_denied": 1, "fetched_before_window": 1, "http_status": 1}
# In C, the bytes of a page of A again: a duplicate across files (and parts of a remote run).
COPY = "https://copycat.example/ferry"
COPIED = (COPY, datetime(2026, 3, 4, 7, tzinfo=UTC), (SAMPLE / f"{PAGES[A][0]}.html").read_bytes())


def build_warcs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, stems in PAGES.items():
        records = [
            (
                f"https://{stem.split('_')[0]}.example/{stem}",
                datetime(2026, 3, 4, 5, i, tzinfo=UTC),
                (SAMPLE / f"{stem}.html").read_bytes(),
            )
            for i, stem in enumerate(stems)
        ]
        copies = [COPIED] if name == C else []
        write_warc(folder / name, records + copies + OUT_OF_SCOPE[name], HEADS)
        made[name] = folder / name
    return made


def with_filters(repo: Path) -> Path:
    for key, value in FILTERS.items():
        set_param(repo, "ingest", key, value)
    return repo


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Path]]]:
    warcs = build_warcs(tmp_path_factory.mktemp("warcs"))
    with moto_server() as endpoint:
        fs = s3(endpoint)
        fs.mkdir(BUCKET, acl="public-read")
        for name, path in warcs.items():
            fs.put_file(str(path), f"{BUCKET}/crawl/{name}", acl="public-read")
        # a warc.paths-style listing beside them, as Common Crawl publishes one per month
        listing = gzip.compress("".join(f"crawl/{name}\n" for name in PAGES).encode(), mtime=0)
        fs.pipe(f"{BUCKET}/crawl/warc.paths.gz", listing)
        yield endpoint, warcs


def urls(base: str) -> str:
    return "[" + ", ".join(f"{base}/{BUCKET}/crawl/{name}" for name in PAGES) + "]"


def remote_repo(path: Path, base: str = "s3:/") -> Path:
    """A repository reading the WARC files from ``base`` (``s3:/`` + ``/bucket/...``, or an
    http:// server: the S3 server serves public objects over plain HTTP too), listed in
    params.yaml by the listing command from the bucket's listing."""
    repo = with_filters(make_repo(path))
    listing = f"s3://{BUCKET}/crawl/warc.paths.gz"
    run(
        repo,
        str(BIN / "python"),
        "-m",
        "pipeline.sources.listing",
        listing,
        "--prefix",
        f"{base}/{BUCKET}/",
    )
    params = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))["ingest"]
    assert params["input_urls"] == yaml.safe_load(urls(base)) and params["input_dir"] is None
    commit(repo, f"inputs on {base}")
    return repo


def assert_filtered_exactly(repo: Path) -> None:
    """Every record in scope is an input (kept or quarantined), none out of scope is, and the
    metrics and the card count the latter by filter."""
    ingested = set(pl.read_parquet(repo / "data/interim/ingested.parquet")["source_url"])
    expected = {
        f"https://{stem.split('_')[0]}.example/{stem}" for stems in PAGES.values() for stem in stems
    }
    # every record in scope but the empty page and the copy (quarantined by ingest) is ingested
    assert ingested == expected - {"https://empty.example/empty_download"}
    duplicate = pl.read_parquet(repo / TABLES[2]).filter(pl.col("reason") == "duplicate")
    assert duplicate["detail"].str.contains(f"same bytes as .*{A}#").to_list() == [True]
    metrics = json.loads((repo / "reports" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["documents"]["input"] == len(expected) + 1  # the copy
    assert metrics["documents"]["filtered"] == 4
    assert metrics["documents"]["filtered_by_filter"] == FILTERED
    card = (repo / "reports" / "dataset_card.md").read_text(encoding="utf-8")
    assert "Out of scope by `ingest.filters`, dropped unread and not counted as inputs: 4" in card


def located_away(path: Path) -> pl.DataFrame:
    """A table without what names where its inputs were (a duplicate's detail names its
    first copy by where it was too)."""
    frame = pl.read_parquet(path)
    if "detail" in frame.columns:
        frame = frame.with_columns(pl.col("detail").str.replace(f"s3://{BUCKET}/crawl/", ""))
    return frame.drop([c for c in LOCATION if c in frame.columns])


def test_s3_input_gives_the_local_tables_retries_5xx_and_status_names_a_change(
    server: tuple[str, dict[str, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, warcs = server
    local = with_filters(make_repo(tmp_path / "local"))
    (local / "data" / "warcs").mkdir()
    for name, path in warcs.items():
        (local / "data" / "warcs" / name).write_bytes(path.read_bytes())
    set_param(local, "ingest", "input_dir", "data/warcs")
    dvc(local, "repro")
    assert_filtered_exactly(local)

    faults = Faults()
    faults.fail[B] = 2  # the first two reads of B answer 503
    with flaky_proxy(endpoint, faults) as proxy:
        for key, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": proxy}.items():
            monkeypatch.setenv(key, value)
        repo = remote_repo(tmp_path / "remote")
        dvc(repo, "repro")
        assert faults.failed == 2, "the injected 503s were never asked for"
        for table in TABLES:
            remote, here = located_away(repo / table), located_away(local / table)
            assert remote.height > 0 or table.endswith("quarantine.parquet")
            assert remote.equals(here), f"{table} differs between s3:// and the local folder"
        documents = pl.read_parquet(repo / TABLES[0])
        assert documents["warc_file"].str.starts_with(f"s3://{BUCKET}/crawl/").all()
        assert documents["crawl"].unique().to_list() == ["CC-NEWS-2026-03"]
        assert documents["source_path"].str.contains(r"\.warc\.gz#\d+$").all()
        lock = (repo / "dvc.lock").read_text(encoding="utf-8")
        assert f"input_url@s3://{BUCKET}/crawl/{B}" in lock and "etag:" in lock

        quiet = dvc(repo, "status").stdout
        assert "input_url@" not in quiet, quiet
        s3(endpoint).put_file(str(warcs[A]), f"{BUCKET}/crawl/{B}")  # other bytes under B
        status = dvc(repo, "status").stdout
        assert f"input_url@s3://{BUCKET}/crawl/{B}" in status, status
        assert "modified" in status and f"s3://{BUCKET}/crawl/{B}" in status
        s3(endpoint).put_file(str(warcs[B]), f"{BUCKET}/crawl/{B}", acl="public-read")


def _markers(repo: Path) -> list[Path]:
    return sorted((repo / ".dvc" / "tmp" / "ingest-parts").glob("*/*/done.json"))


@pytest.mark.parametrize("scheme", ["s3", "http"])
def test_a_killed_ingest_resumes_without_reading_finished_files(
    scheme: str,
    server: tuple[str, dict[str, Path]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoint, _ = server
    faults = Faults(hold={C})  # C's bytes never come: the run is killed waiting
    with flaky_proxy(endpoint, faults) as proxy:
        for key, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": proxy}.items():
            monkeypatch.setenv(key, value)
        repo = remote_repo(tmp_path / "repo", base="s3:/" if scheme == "s3" else proxy)
        python = str(BIN / "python")
        run(repo, python, "-m", "pipeline.inventory")
        env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GX_ANALYTICS_ENABLED": "False"}
        first = subprocess.Popen(
            [python, "-m", "pipeline.ingest"],
            cwd=repo,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while len(_markers(repo)) < 2 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.2)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        assert len(_markers(repo)) == 2, "A and B were not finished before the kill"
        read_before = {p: n for p, n in faults.gets.items() if C not in p}

        faults.hold.clear()
        faults.released.set()
        run(repo, python, "-m", "pipeline.ingest")
        read_after = {p: n for p, n in faults.gets.items() if C not in p}
        assert read_after == read_before, "a finished file was read again"
        assert any(C in p for p in faults.gets), f"{C} was never read"
        log = (repo / "reports" / "runs" / "ingest.json").read_text(encoding="utf-8")
        assert '"resumed_remote_inputs": 2' in log, log
        assert not _markers(repo), "the parts outlived the finished run"
        resumed = (repo / "data" / "interim" / "ingested.parquet").read_bytes()

        run(repo, python, "-m", "pipeline.ingest")  # the same stage, from scratch
        assert (repo / "data" / "interim" / "ingested.parquet").read_bytes() == resumed
