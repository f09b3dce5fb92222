"""The inventory stage: it owns the input folder, so hostile entries there are quarantine rows,
and its table changes exactly when something that shapes the output changes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pipeline.runtime.sink import write_parquet
from pipeline.schema import QuarantineReason
from pipeline.sources.folder import (
    load_manifest,
    read_manifest,
    take_inventory,
    walk_entries,
)
from tests.dvcrepo import BIN, ROOT, make_repo, run, set_param, stages_run

PAGE = b"<html><body><p>The ferry sailed at dawn for the first time in weeks.</p></body></html>"
# Dropping these two capabilities makes root obey file modes like any user: a real
# permission failure, without running the pipeline as another user (who could not reach the
# interpreter under /root).
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
NON_UTF8_NAME = b"caf\xe9.html"  # Latin-1 bytes: not valid UTF-8


def _outcomes(root: Path) -> dict[str, str | None]:
    table = take_inventory(root)
    return dict(zip(table["source_path"], table["reason"].cast(pl.String), strict=True))


def _no_dac_available() -> bool:
    if shutil.which("setpriv") is None:
        return False
    return subprocess.run([*NO_DAC, "true"], capture_output=True, check=False).returncode == 0


def test_each_hostile_entry_is_one_row_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(PAGE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.html").write_bytes(PAGE + b" ")
    os.mkfifo(tmp_path / "pipe.html")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "socket.html"))
    os.symlink("/dev/null", tmp_path / "device.html")
    os.symlink("loop_b.html", tmp_path / "loop_a.html")
    os.symlink("loop_a.html", tmp_path / "loop_b.html")
    os.symlink("gone.html", tmp_path / "dangling.html")
    os.symlink(".", tmp_path / "sub" / "loop_to_self")
    os.symlink("page.html", tmp_path / "link_to_page.html")
    os.mkdir(os.fsencode(tmp_path) + b"/" + b"dossi\xe9")  # not entered: one row
    (tmp_path / "dossi\udce9" / "inside.html").write_bytes(PAGE)
    (Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + NON_UTF8_NAME))).write_bytes(PAGE)
    reason = QuarantineReason
    assert _outcomes(tmp_path) == {
        "page.html": None,
        "sub/nested.html": None,
        "link_to_page.html": None,
        "pipe.html": reason.SPECIAL_FILE,
        "socket.html": reason.SPECIAL_FILE,
        "device.html": reason.SPECIAL_FILE,
        "loop_a.html": reason.SYMLINK_LOOP,
        "loop_b.html": reason.SYMLINK_LOOP,
        "dangling.html": reason.DANGLING_SYMLINK,
        "sub/loop_to_self": reason.SYMLINKED_FOLDER,
        "dossi\\xe9": reason.UNDECODABLE_NAME,
        "caf\\xe9.html": reason.UNDECODABLE_NAME,
    }
    table = take_inventory(tmp_path).filter(pl.col("reason").is_not_null())
    assert table["detail"].null_count() == 0
    kinds = dict(zip(table["source_path"], table["file_type"], strict=True))
    assert kinds["pipe.html"] == "fifo" and kinds["socket.html"] == "socket"


def test_a_symlink_to_a_file_is_followed_as_a_file(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(PAGE)
    os.symlink("page.html", tmp_path / "alias.html")
    rows = {r["source_path"]: r for r in take_inventory(tmp_path).to_dicts()}
    assert rows["alias.html"]["file_type"] == "symlink_to_file"
    assert rows["alias.html"]["source_sha256"] == rows["page.html"]["source_sha256"]
    assert rows["alias.html"]["size_bytes"] == len(PAGE)


@pytest.mark.skipif(not _no_dac_available(), reason="setpriv cannot drop capabilities here")
def test_an_unlistable_folder_is_a_row_not_a_silent_gap(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_bytes(PAGE)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.html").write_bytes(PAGE)
    locked.chmod(0)
    out = tmp_path / "input_files.parquet"
    code = (
        "import sys; from pathlib import Path; from pipeline.sources.folder import take_inventory;"
        "from pipeline.runtime.sink import write_parquet;"
        "write_parquet(take_inventory(Path(sys.argv[1])), Path(sys.argv[2]), 'input_files')"
    )
    try:
        subprocess.run(
            [*NO_DAC, sys.executable, "-c", code, str(tmp_path), str(out)], cwd=ROOT, check=True
        )
    finally:
        locked.chmod(0o755)
    table = pl.read_parquet(out)
    outcomes = dict(zip(table["source_path"], table["reason"].cast(pl.String), strict=True))
    assert outcomes == {"page.html": None, "locked": QuarantineReason.UNLISTABLE_FOLDER}


def test_the_table_is_byte_identical_for_the_same_inputs(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for i in range(40):
        (root / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 3}" / f"{i:02d}.html").write_bytes(PAGE * (i + 1))
    one, many = tmp_path / "one.parquet", tmp_path / "many.parquet"
    write_parquet(take_inventory(root, threads=1), one, "input_files")
    time.sleep(0.01)
    for path in root.rglob("*.html"):
        os.utime(path)  # touched, not changed: nothing that shapes the output
    write_parquet(take_inventory(root, threads=4), many, "input_files")
    assert one.read_bytes() == many.read_bytes()


def test_the_manifest_lands_in_the_table_where_it_shapes_the_output(tmp_path: Path) -> None:
    root = tmp_path / "pages"
    root.mkdir()
    (root / "a.html").write_bytes(PAGE)
    (root / "b.html").write_bytes(PAGE + b"\n")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "path,url,fetched_at\n"
        "a.html,https://m.example/a,2024-03-05T06:07:08Z\n"
        "absent.html,https://m.example/x,\n",
        encoding="utf-8",
    )
    bare = take_inventory(root)
    listed = take_inventory(root, read_manifest(manifest))
    assert listed["source_url"].to_list() == ["https://m.example/a", None]
    assert listed["fetched_at"].null_count() == 1
    assert listed.select("source_path", "source_sha256").equals(
        bare.select("source_path", "source_sha256")
    )
    jsonl = tmp_path / "manifest.jsonl"
    jsonl.write_text('{"path": "a.html", "url": "https://m.example/a2"}\n', encoding="utf-8")
    assert take_inventory(root, read_manifest(jsonl))["source_url"].to_list()[0].endswith("a2")


def test_configuration_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ingest\.manifest"):
        load_manifest(str(tmp_path / "missing.csv"))
    (tmp_path / "bad.jsonl").write_text("{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ingest\.manifest"):
        load_manifest(str(tmp_path / "bad.jsonl"))
    assert load_manifest(None) == {}
    # ingest.input_dir is checked with every other key (tests/stages/test_config.py)


def test_the_walk_does_not_enter_a_folder_link_loop(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "page.html").write_bytes(PAGE)
    os.symlink("..", tmp_path / "a" / "up")
    names = [row["source_path"] for row in walk_entries(tmp_path)]
    assert sorted(names) == ["a/page.html", "a/up"]


def _write_hostile_folder(corpus: Path) -> dict[str, str]:
    """The bundled sample plus one of each hostile entry; returns path -> expected reason."""
    shutil.copytree(ROOT / "data" / "sample", corpus)
    os.mkfifo(corpus / "pipe.html")
    os.symlink("loop_b.html", corpus / "loop_a.html")
    os.symlink("loop_a.html", corpus / "loop_b.html")
    os.symlink("gone.html", corpus / "dangling.html")
    Path(os.fsdecode(os.fsencode(corpus) + b"/" + NON_UTF8_NAME)).write_bytes(PAGE)
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "hidden.html").write_bytes(PAGE)
    locked.chmod(0)
    reason = QuarantineReason
    return {
        "pipe.html": reason.SPECIAL_FILE,
        "loop_a.html": reason.SYMLINK_LOOP,
        "loop_b.html": reason.SYMLINK_LOOP,
        "dangling.html": reason.DANGLING_SYMLINK,
        "caf\\xe9.html": reason.UNDECODABLE_NAME,
        "locked": reason.UNLISTABLE_FOLDER,
    }


@pytest.mark.e2e
@pytest.mark.timeout(400)
@pytest.mark.skipif(not _no_dac_available(), reason="setpriv cannot drop capabilities here")
def test_dvc_repro_quarantines_a_hostile_input_folder(tmp_path: Path) -> None:
    """FIFO, undecodable name, symlink loop, dangling link, unlistable folder: the real
    ``dvc repro`` (run without root's permission override, so the folder really cannot be
    listed) exits 0, each is one quarantine row, and kept + quarantined = inputs."""
    repo = make_repo(tmp_path / "hostile")
    expected = _write_hostile_folder(repo / "corpora" / "hostile")
    set_param(repo, "ingest", "input_dir", "corpora/hostile")
    # DVC walks the workspace for its own files: the input folder is not its business (the
    # inventory owns it), and an unlistable folder there would stop DVC itself.
    with (repo / ".dvcignore").open("a", encoding="utf-8") as fh:
        fh.write("/corpora/\n")
    start = time.monotonic()
    try:
        proc = run(repo, *NO_DAC, str(BIN / "dvc"), "repro", check=False)
    finally:
        (repo / "corpora" / "hostile" / "locked").chmod(0o755)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "inventory" in stages_run(proc)
    print(f"\nhostile folder: dvc repro {seconds:.1f} s")
    quarantine = pl.read_parquet(repo / "data/processed/quarantine.parquet")
    reasons = dict(
        zip(quarantine["source_path"], quarantine["reason"].cast(pl.String), strict=True)
    )
    assert {p: reasons.get(p) for p in expected} == expected
    inputs = pl.read_parquet(repo / "data/interim/inventory.parquet")["source_path"].to_list()
    documents = pl.read_parquet(repo / "data/processed/documents.parquet")
    accounted = documents["source_path"].to_list() + quarantine["source_path"].to_list()
    assert sorted(accounted) == sorted(inputs)
    assert set(expected) <= set(inputs)
