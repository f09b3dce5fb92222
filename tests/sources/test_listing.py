"""Remote inputs: the listing command, the crawl label, what counts as worth a retry."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import read_params
from pipeline.sources.listing import crawl_of, listing_urls, main, read_listing
from pipeline.sources.remote import Retry, is_remote, is_transient, scheme_of
from tests.dvcrepo import ROOT

LISTING = [
    "crawl-data/CC-NEWS/2025/01/CC-NEWS-20250101012345-00001.warc.gz",
    "crawl-data/CC-NEWS/2025/01/CC-NEWS-20250101023456-00002.warc.gz",
    "crawl-data/CC-NEWS/2025/01/CC-NEWS-20250101034567-00003.warc.gz",
]


def test_a_listing_gzip_or_plain_gives_its_entries_prefixed(tmp_path: Path) -> None:
    plain, packed = tmp_path / "warc.paths", tmp_path / "warc.paths.gz"
    plain.write_text("\n".join(LISTING) + "\n\n", encoding="utf-8")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert read_listing(str(plain)) == read_listing(str(packed)) == LISTING
    urls = listing_urls(LISTING, "s3://commoncrawl", first=2)
    assert urls == [f"s3://commoncrawl/{entry}" for entry in LISTING[:2]]
    assert listing_urls(["https://a.example/x.warc.gz"], "s3://b/", None) == [
        "https://a.example/x.warc.gz"
    ]


def test_the_listing_command_writes_params_a_stage_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = tmp_path / "params.yaml"
    shutil.copy(ROOT / "params.yaml", params)
    (tmp_path / "warc.paths").write_text("\n".join(LISTING), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(
        "warc.paths",
        first=2,
        prefix="https://data.commoncrawl.org/",
        params=params,
        keep_input_dir=False,
        dry_run=False,
    )
    text = params.read_text(encoding="utf-8")
    assert "# One section per stage" in text, "the comments were lost"
    checked = read_params(params)
    assert checked.ingest.input_dir is None
    assert checked.ingest.input_urls == tuple(
        f"https://data.commoncrawl.org/{entry}" for entry in LISTING[:2]
    )
    assert checked.validate_.min_chars == checked.clean.min_chars  # anchors kept


@pytest.mark.parametrize(
    ("location", "declared", "crawl"),
    [
        (
            "s3://commoncrawl/crawl-data/CC-NEWS/2025/01/CC-NEWS-20250101012345-00001.warc.gz",
            None,
            "CC-NEWS-2025-01",
        ),
        (
            "https://data.commoncrawl.org/crawl-data/CC-MAIN-2025-05/segments/1/warc/x.warc.gz",
            None,
            "CC-MAIN-2025-05",
        ),
        ("corpora/my.warc.gz", None, None),
        ("CC-NEWS-20250101012345-00001.warc.gz", "harbour-2026", "harbour-2026"),
    ],
)
def test_the_crawl_is_declared_or_read_from_a_common_crawl_name(
    location: str, declared: str | None, crawl: str | None
) -> None:
    assert crawl_of(location, declared) == crawl


def test_urls_and_paths_are_told_apart() -> None:
    assert scheme_of("S3://bucket/key") == "s3" and is_remote("https://a.example/x")
    assert not is_remote("data/sample") and not is_remote("file:///tmp/x.warc")


class Flaky:
    """Fails with ``error`` the first ``times`` calls, then answers."""

    def __init__(self, error: BaseException, times: int) -> None:
        self.error, self.times, self.calls = error, times, 0

    def __call__(self) -> bytes:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return b"bytes"


def test_transient_errors_are_retried_with_backoff_and_others_are_not() -> None:
    slept: list[float] = []
    retry = Retry(attempts=4, base_seconds=0.5, sleep=slept.append)
    flaky = Flaky(OSError("503 Service Unavailable"), times=3)
    assert retry.call(flaky, "x") == b"bytes" and flaky.calls == 4
    assert slept == [0.5, 1.0, 2.0]
    with pytest.raises(ConnectionResetError):
        retry.call(Flaky(ConnectionResetError("reset"), times=9), "x")
    missing = Flaky(FileNotFoundError("no such key"), times=1)
    with pytest.raises(FileNotFoundError):
        retry.call(missing, "x")
    assert missing.calls == 1


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TimeoutError("read timed out"), True),
        (ConnectionResetError("reset by peer"), True),
        (OSError("An error occurred (503) when calling GetObject: Slow Down"), True),
        (FileNotFoundError("s3://b/k"), False),
        (PermissionError("Access Denied"), False),
        (OSError("An error occurred (403) when calling GetObject: Forbidden"), False),
    ],
)
def test_what_is_worth_asking_again(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_no_credentials_stop_the_inventory_naming_the_key(tmp_path: Path) -> None:
    """Before any work, in one line: not a traceback, not one quarantine row per object."""
    params = (ROOT / "params.yaml").read_text(encoding="utf-8")
    params = params.replace("  input_dir: data/sample", "  input_dir: null", 1)
    params = params.replace("  input_urls: []", "  input_urls: [s3://news/a.warc.gz]", 1)
    (tmp_path / "params.yaml").write_text(params, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance metadata to ask either
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # nothing listens: no request may be needed
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.inventory"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("params.yaml: ingest.input_urls: no credentials to read")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists(), "the inventory wrote a table"


def test_a_listing_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.sources.listing", str(tmp_path / "warc.paths.gz")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("cannot read the listing ") and "FileNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "params.yaml").exists()
