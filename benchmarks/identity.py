"""Output identity harness (issue 19): does a change of the code leave every output byte-identical?

    python -m benchmarks.identity run --out before.json [--work DIR]
                                      [--corpora sample,torture,bench-1k]
                                      [--engines local,serial,ray]
    python -m benchmarks.identity compare before.json after.json [--common-only] [--strict]
    python -m benchmarks.identity engines before.json      # the engines against each other

Before and after a refactor: ``run --out before.json`` on the old commit, ``run --out
after.json`` on the new one, then ``compare before.json after.json`` (exit 0: identical). All
nine runs take ~13 minutes on two shared cores (Ray ~2.5-3.5 minutes a run, the others <1.5).

``run`` builds three input corpora once into ``--work`` (default
``$TMPDIR/newscorpus-identity``, outside the checkout; reused on later runs):

* ``sample``: the bundled ``data/sample`` as ``params.yaml`` names it (``ingest.input_dir``
  is left at its default, so the sample on ``local`` must reproduce the committed ``dvc.lock``);
* ``torture``: the hostile inputs of ``tests/torture.py`` (``write_torture_corpus``);
* ``bench-1k``: 1,000 pages of ``benchmarks/corpus.py`` (``build``, varied stories, HTML files:
  what ``benchmarks/end_to_end.py`` runs).

For each corpus x engine it copies the checkout as a clone would have it (tracked files and new
files that are not ignored; no outputs, no ``dvc.lock``) into a fresh git repository, points
``ingest.input_dir`` at the corpus (a relative path, so the card, which lists every parameter,
does not depend on where ``--work`` is), sets ``engine.name`` and runs the real ``dvc repro``.
Ray gets two workers, as ``tests/test_scale_e2e.py`` gives it; local keeps ``workers: 0``.

Recorded per run, all read from disk (no import of ``pipeline``, so the harness works unchanged
after the modules move): the corpus fingerprint and code digest from the dataset card's front
matter, the SHA-256 of every file under ``data/interim/`` and ``data/processed/`` and of every
file of every ``dvc.lock`` out (``reports/runs/``, the untracked run log, and ``.gitignore``
files left out), the ``dvc.lock`` out hashes keyed by path (not by stage, so a renamed stage
does not matter), the text of the small reports under ``reports/`` (for a readable diff) and
the wall seconds. The JSON is ``{corpus: {"_input": {entries, sha256}, engine: {...}}}``: the
input corpus's digest (names, bytes, symlink targets) proves both records read the same input.

``compare`` prints every difference between two records and exits 1 on any. Two things are
not differences by default: the pipeline code digest (the card names the code by content, so
it changes with any code change by design: a card that differs only by it is reported as such;
``--strict`` counts it), and seconds. A file, corpus or engine present in one record only is a
difference unless ``--common-only``. ``engines`` compares, within one record, every engine
with ``local``: the card lists the ``engine`` parameters, so its ``engine:`` block is left out
of that comparison (reported as a note). The card also lists the stage commands of
``dvc.yaml``: a change to them (or to ``params.yaml``) shows as a card diff.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("sample", "torture", "bench-1k")
ENGINES = ("local", "serial", "ray")
BENCH_DOCS = 1000
# engine parameters per engine name (besides engine.name); Ray as tests/test_scale_e2e.py runs it
ENGINE_SETTINGS: dict[str, dict[str, object]] = {
    "local": {},
    "serial": {},
    "ray": {"workers": 2},
}
OUTPUT_DIRS = ("data/interim", "data/processed")
UNTRACKED = ("reports/runs/",)  # the run log: timings, never hashed by dvc.lock
CARD = "reports/dataset_card.md"
TEXT_SUFFIXES = (".md", ".json")
TEXT_MAX_BYTES = 256_000
ENV = {
    "DVC_NO_ANALYTICS": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "RAY_USAGE_STATS_ENABLED": "0",
}

Record = dict[str, Any]


# --------------------------------------------------------------------------------------------
# hashing
# --------------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(root: Path) -> tuple[int, str]:
    """(entries, SHA-256) of a folder as the pipeline sees it: relative names, file contents and
    symlink targets (never followed: the torture corpus holds loops on purpose)."""
    digest = hashlib.sha256()
    entries = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted([*dirs, *files]):
            path = Path(folder) / name
            relative = os.fsencode(path.relative_to(root))
            if path.is_symlink():
                line = b"link " + relative + b" -> " + os.fsencode(os.readlink(path))
            elif path.is_file():
                line = b"file " + relative + b" " + sha256_file(path).encode()
            elif path.is_dir():
                line = b"dir " + relative
            else:
                line = b"other " + relative
            digest.update(line + b"\n")
            entries += 1
    return entries, digest.hexdigest()


# --------------------------------------------------------------------------------------------
# corpora
# --------------------------------------------------------------------------------------------
def _project_module(name: str) -> Any:
    """A module of this checkout (pysbd's wheel installs a top-level ``benchmarks`` too)."""
    import importlib

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = importlib.import_module(name)
    if not Path(module.__file__ or "").resolve().is_relative_to(ROOT):
        raise RuntimeError(f"{name} resolved to {module.__file__}, not under {ROOT}")
    return module


def torture_module() -> str:
    """The test module that writes the torture corpus (today ``tests.torture``; found by its
    function, so tests may be regrouped into packages)."""
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if "def write_torture_corpus(" in path.read_text(encoding="utf-8"):
            return ".".join(path.relative_to(ROOT).with_suffix("").parts)
    raise RuntimeError(f"no module under {ROOT / 'tests'} defines write_torture_corpus")


def input_dir_param(corpus: str, work: Path) -> str | None:
    """``ingest.input_dir`` for a run repo two levels under ``work``; None keeps the default."""
    return None if corpus == "sample" else f"../../corpora/{corpus}"


def sample_dir() -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return ROOT / str(params["ingest"]["input_dir"])


def ensure_corpus(corpus: str, work: Path) -> dict[str, Any]:
    """Build the corpus unless its marker exists; returns its digest (entries, sha256)."""
    if corpus == "sample":
        entries, digest = tree_digest(sample_dir())
        return {"entries": entries, "sha256": digest}
    out = work / "corpora" / corpus
    marker = out.with_name(corpus + ".json")
    if marker.exists():
        info: dict[str, Any] = json.loads(marker.read_text())
        return info
    if out.exists():
        shutil.rmtree(out)  # half-built by an interrupted run
    out.parent.mkdir(parents=True, exist_ok=True)
    if corpus == "torture":
        _project_module(torture_module()).write_torture_corpus(out)
    elif corpus == "bench-1k":
        _project_module("benchmarks.corpus").build(BENCH_DOCS, out, warc=False)
    else:
        raise ValueError(f"unknown corpus {corpus!r}; known: {', '.join(CORPORA)}")
    entries, digest = tree_digest(out)
    info = {"entries": entries, "sha256": digest}
    marker.write_text(json.dumps(info))
    return info


# --------------------------------------------------------------------------------------------
# the run repository
# --------------------------------------------------------------------------------------------
def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env={**os.environ, **ENV}, capture_output=True, text=True, check=True
    )


def lock_outs(lock_path: Path) -> dict[str, str]:
    """Every out of ``dvc.lock`` (metrics and plots included): path -> its md5."""
    if not lock_path.exists():
        return {}
    lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) or {}
    outs: dict[str, str] = {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            outs[str(out["path"])] = str(out.get("md5", ""))
    return outs


def _is_output(name: str, outs: Iterable[str]) -> bool:
    if name.startswith(tuple(d + "/" for d in OUTPUT_DIRS)) or name == "dvc.lock":
        return True
    return any(name == out or name.startswith(out.rstrip("/") + "/") for out in outs)


def clone_files() -> list[str]:
    """The checkout's files as a clone holds them before its first ``dvc repro``."""
    listed = _run(ROOT, "git", "ls-files", "--cached", "--others", "--exclude-standard")
    outs = lock_outs(ROOT / "dvc.lock")
    return [
        name
        for name in listed.stdout.splitlines()
        if (ROOT / name).is_file() and not _is_output(name, outs)
    ]


def set_param(params: Path, section: str, key: str, value: object) -> None:
    """Set ``section.key`` of params.yaml in place, keeping its comments and anchors."""
    lines = params.read_text(encoding="utf-8").splitlines(keepends=True)
    in_section = False
    for i, line in enumerate(lines):
        if re.match(r"^\S", line):
            in_section = line.startswith(f"{section}:")
            continue
        entry = rf"^(\s+{re.escape(key)}:[ \t]*(?:&\w+[ \t]+)?)([^#\n]*?)([ \t]*#.*)?$"
        found = re.match(entry, line)
        if in_section and found:
            text = json.dumps(value) if value is None or isinstance(value, bool) else str(value)
            lines[i] = f"{found.group(1)}{text}{found.group(3) or ''}\n"
            params.write_text("".join(lines), encoding="utf-8")
            return
    raise KeyError(f"{section}.{key} not in {params}")


def make_run_repo(dest: Path, corpus: str, engine: str, work: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for name in clone_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    # Stage commands run .venv/bin/python: the checkout's environment.
    venv = ROOT / ".venv" if (ROOT / ".venv").exists() else Path(sys.prefix)
    os.symlink(venv.resolve(), dest / ".venv")
    params = dest / "params.yaml"
    input_dir = input_dir_param(corpus, work)
    if input_dir is not None:
        set_param(params, "ingest", "input_dir", input_dir)
    set_param(params, "engine", "name", engine)
    for key, value in ENGINE_SETTINGS[engine].items():
        set_param(params, "engine", key, value)
    _run(dest, "git", "init", "-q")
    _run(dest, "git", "add", "-A")
    _run(dest, "git", "-c", "user.name=identity", "-c", "user.email=identity@localhost",
         "commit", "-qm", f"identity {corpus} {engine}")  # fmt: skip


# --------------------------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------------------------
def _front_matter_value(card: str, key: str) -> str | None:
    found = re.search(rf"^\s+{key}:\s*(\S+)\s*$", card.split("\n---", 1)[0], re.M)
    return found.group(1) if found else None


def record_outputs(repo: Path) -> Record:
    outs = lock_outs(repo / "dvc.lock")
    roots = [*OUTPUT_DIRS, *outs]
    files: dict[str, str] = {}
    texts: dict[str, str] = {}
    for root in roots:
        path = repo / root
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in found:
            name = file.relative_to(repo).as_posix()
            if name.startswith(UNTRACKED) or file.name == ".gitignore" or name in files:
                continue
            files[name] = sha256_file(file)
            small = file.stat().st_size <= TEXT_MAX_BYTES
            if name.startswith("reports/") and file.suffix in TEXT_SUFFIXES and small:
                texts[name] = file.read_text(encoding="utf-8", errors="replace")
    card = (repo / CARD).read_text(encoding="utf-8") if (repo / CARD).exists() else ""
    return {
        "fingerprint": _front_matter_value(card, "fingerprint"),
        "code_digest": _front_matter_value(card, "code_digest"),
        "files": dict(sorted(files.items())),
        "dvc_lock": dict(sorted(outs.items())),
        "texts": dict(sorted(texts.items())),
    }


def run_one(corpus: str, engine: str, work: Path, keep: bool) -> Record:
    repo = work / "runs" / f"{corpus}-{engine}"
    make_run_repo(repo, corpus, engine, work)
    started = time.perf_counter()
    proc = subprocess.run(
        [str(repo / ".venv" / "bin" / "dvc"), "repro"],
        cwd=repo,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    (repo / "identity-dvc-repro.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-4000:]
        raise RuntimeError(f"dvc repro failed for {corpus} x {engine} in {repo}:\n{tail}")
    record = {**record_outputs(repo), "seconds": round(seconds, 1)}
    if not keep:
        shutil.rmtree(repo)
    return record


def cmd_run(args: argparse.Namespace) -> int:
    work: Path = args.work.resolve()
    if work.is_relative_to(ROOT):
        raise SystemExit(f"--work {work} must be outside the checkout {ROOT}")
    corpora = _names(args.corpora, CORPORA, "--corpora")
    engines = _names(args.engines, ENGINES, "--engines")
    result: dict[str, Any] = {}
    for corpus in corpora:
        info = ensure_corpus(corpus, work)
        print(f"corpus {corpus}: {info['entries']} entries, sha256 {info['sha256'][:16]}…")
        result[corpus] = {"_input": info}
        for engine in engines:
            record = run_one(corpus, engine, work, args.keep)
            result[corpus][engine] = record
            print(
                f"  {engine}: {record['seconds']} s, fingerprint {record['fingerprint']}, "
                f"{len(record['files'])} files",
                flush=True,
            )
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    return 0


def _names(text: str, known: tuple[str, ...], flag: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SystemExit(f"{flag}: unknown {unknown}; known: {', '.join(known)}")
    return names


# --------------------------------------------------------------------------------------------
# comparing
# --------------------------------------------------------------------------------------------
_ENGINE_BLOCK = re.compile(r"^engine:\n(?:[ \t]+.*\n)*", re.M)


def _normalised(text: str, record: Record, strict: bool, across_engines: bool) -> str:
    """A report's text without what differs by design: the pipeline code digest (unless
    ``strict``) and, across engines, the card's listing of the ``engine`` parameters."""
    digest = record.get("code_digest")
    if digest and not strict:
        text = text.replace(digest.removeprefix("sha256:"), "<code digest>")
    return _ENGINE_BLOCK.sub("engine: <engine>\n", text) if across_engines else text


def _text_diff(a: Record, b: Record, path: str, limit: int = 40) -> list[str]:
    if path not in a.get("texts", {}) or path not in b.get("texts", {}):
        return []
    lines = list(
        difflib.unified_diff(
            a["texts"][path].splitlines(), b["texts"][path].splitlines(), lineterm="", n=0
        )
    )[2:]
    more = [f"      … {len(lines) - limit} more diff lines"] if len(lines) > limit else []
    return [f"      {line}" for line in lines[:limit]] + more


def compare_records(
    a: Record, b: Record, common_only: bool, strict: bool, across_engines: bool = False
) -> tuple[list[str], list[str]]:
    """(differences, notes on differences by design) between two runs' records; no
    differences: byte-identical outputs."""
    problems: list[str] = []
    notes: list[str] = []
    if a.get("fingerprint") != b.get("fingerprint"):
        problems.append(f"  fingerprint: {a.get('fingerprint')} != {b.get('fingerprint')}")
    by_design: set[str] = set()
    files_a, files_b = a["files"], b["files"]
    for path in sorted(set(files_a) | set(files_b)):
        if path not in files_b or path not in files_a:
            if not common_only:
                side = "first" if path in files_a else "second"
                problems.append(f"  {path}: only in the {side}")
            continue
        if files_a[path] == files_b[path]:
            continue
        texts_a, texts_b = a.get("texts", {}), b.get("texts", {})
        if path in texts_a and path in texts_b:
            same = _normalised(texts_a[path], a, strict, across_engines) == _normalised(
                texts_b[path], b, strict, across_engines
            )
            if same:
                by_design.add(path)
                what = "engine parameters" if across_engines else "pipeline code digest"
                notes.append(f"  note: {path} differs only by the {what} (by design)")
                continue
        problems.append(f"  {path}: {files_a[path][:16]}… != {files_b[path][:16]}…")
        problems.extend(_text_diff(a, b, path))
    lock_a, lock_b = a.get("dvc_lock", {}), b.get("dvc_lock", {})
    for path in sorted(set(lock_a) & set(lock_b)):
        if lock_a[path] != lock_b[path] and path not in by_design:
            problems.append(f"  dvc.lock out {path}: md5 {lock_a[path]} != {lock_b[path]}")
    return problems, notes


def _print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line)


def cmd_compare(args: argparse.Namespace) -> int:
    first: dict[str, Any] = json.loads(args.first.read_text())
    second: dict[str, Any] = json.loads(args.second.read_text())
    failed = False
    for corpus in sorted(set(first) | set(second)):
        if corpus not in first or corpus not in second:
            print(f"{corpus}: only in {'the first' if corpus in first else 'the second'} record")
            failed = failed or not args.common_only
            continue
        if first[corpus].get("_input") != second[corpus].get("_input"):
            print(f"{corpus}: the input corpus differs: {first[corpus].get('_input')} != "
                  f"{second[corpus].get('_input')}")  # fmt: skip
            failed = True
        engines = sorted((set(first[corpus]) | set(second[corpus])) - {"_input"})
        for engine in engines:
            if engine not in first[corpus] or engine not in second[corpus]:
                print(f"{corpus} x {engine}: in one record only")
                failed = failed or not args.common_only
                continue
            problems, notes = compare_records(
                first[corpus][engine], second[corpus][engine], args.common_only, args.strict
            )
            print(f"{corpus} x {engine}: {'identical' if not problems else 'DIFFERENT'}")
            _print_lines(problems + notes)
            failed = failed or bool(problems)
    return 1 if failed else 0


def cmd_engines(args: argparse.Namespace) -> int:
    record: dict[str, Any] = json.loads(args.record.read_text())
    failed = False
    for corpus, runs in sorted(record.items()):
        if "local" not in runs:
            continue
        for engine in sorted(set(runs) - {"_input", "local"}):
            problems, notes = compare_records(runs["local"], runs[engine], False, args.strict, True)
            print(f"{corpus}: local vs {engine}: {'identical' if not problems else 'DIFFERENT'}")
            _print_lines(problems + notes)
            failed = failed or bool(problems)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run every corpus x engine; write the record")
    run.add_argument("--out", type=Path, required=True, help="the JSON record to write")
    default_work = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "newscorpus-identity"
    run.add_argument("--work", type=Path, default=default_work, help="corpora and run repos")
    run.add_argument("--corpora", default=",".join(CORPORA))
    run.add_argument("--engines", default=",".join(ENGINES))
    run.add_argument("--keep", action="store_true", help="keep the run repositories")
    run.set_defaults(func=cmd_run)
    compare = commands.add_parser("compare", help="every difference between two records")
    compare.add_argument("first", type=Path)
    compare.add_argument("second", type=Path)
    compare.add_argument(
        "--common-only",
        action="store_true",
        help="ignore files, corpora and engines in one record only",
    )
    compare.add_argument("--strict", action="store_true", help="count the code digest too")
    compare.set_defaults(func=cmd_compare)
    engines = commands.add_parser("engines", help="each engine against local, in one record")
    engines.add_argument("record", type=Path)
    engines.add_argument("--strict", action="store_true", help="count the code digest too")
    engines.set_defaults(func=cmd_engines)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
