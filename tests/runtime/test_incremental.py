"""Incremental runs equal runs from scratch, byte for byte.

Seeded random sequences of edits (add, remove or edit pages; add, edit or remove the
manifest; change a param of each stage; switch engine and worker count) are applied to one
working folder whose outputs persist from step to step, as in a user's checkout; after each
step every table equals the one a run from scratch gives for the same inputs. Most sequences
run the stage ``main`` functions in-process; a few go through the real ``dvc repro``.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.dvcrepo import ROOT, copy_repo, dvc, make_repo, set_param

STAGES = ("inventory", "ingest", "extract", "clean", "segment", "corpus")
IN_PROCESS_SEQUENCES = 20
DVC_SEQUENCES = 2
STEPS = 3
PAGES_DIR = "pages"

# Values each param takes (the first is the default run's); every stage has one.
PARAM_CHOICES: dict[tuple[str, str], tuple[Any, ...]] = {
    ("ingest", "max_raw_bytes"): (16777216, 900),  # 900: the longest pages are too_large
    ("extract", "max_text_chars"): (1000000, 420),
    ("clean", "min_chars"): (80, 300),
    ("segment", "max_sentence_chars"): (1500, 45),
    ("corpus", "near_duplicate_threshold"): (0.6, 0.9),
    ("corpus", "drop_duplicates"): (False, True),
}
ENGINES: tuple[tuple[str, int], ...] = (("serial", 1), ("local", 1), ("local", 2))

SENTENCES = (
    "The harbour board met on Tuesday to discuss the new ferry timetable.",
    "Residents of the lower town asked for a second crossing before winter.",
    "A spokesperson said the repairs to the sea wall would finish in March.",
    "Traders on the quay reported fewer visitors than in any year since records began.",
    "The council will publish its budget for the coming year next week.",
    "Fishermen welcomed the decision but warned that fuel prices remain high.",
    "Local schools will open an hour later while the road works continue.",
    "The library extended its opening hours after a petition signed by hundreds.",
    "Volunteers cleared the beach of plastic after the storm on Sunday night.",
    "A new bus route links the station with the hospital from Monday.",
)
DOMAINS = ("gazette.example", "courier.example", "wire.example")


@dataclass(frozen=True)
class State:
    """Everything a run's output depends on."""

    pages: tuple[tuple[str, str], ...]  # (name, HTML)
    manifest: tuple[str, tuple[tuple[str, str, str], ...]] | None = None  # (format, rows)
    params: tuple[tuple[tuple[str, str], Any], ...] = ()
    engine: tuple[str, int] = ("serial", 1)

    def inputs_key(self) -> str:
        """What a run from scratch depends on (not the engine: every engine gives the same)."""
        blob = json.dumps([self.pages, self.manifest, self.params], default=str)
        return hashlib.sha256(blob.encode()).hexdigest()


def make_page(rng: random.Random, serial: int) -> str:
    """A small article page; some carry no URL of their own, so the manifest's matters."""
    chosen = rng.sample(SENTENCES, rng.randint(2, 6))
    paragraphs = [" ".join(chosen[i : i + 2]) for i in range(0, len(chosen), 2)]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    og = ""
    if rng.random() < 0.5:
        og = f'<meta property="og:url" content="https://{rng.choice(DOMAINS)}/n/{serial}">'
    head = f"<title>Item {serial} | Gazette</title>{og}"
    article = f"<article><h1>Item {serial}</h1>{body}</article>"
    return f"<html><head>{head}</head><body>{article}</body></html>"


def initial_state(rng: random.Random) -> State:
    pages = tuple((f"p{i:02d}.html", make_page(rng, i)) for i in range(rng.randint(3, 5)))
    manifest = ("csv", manifest_rows(rng, [name for name, _ in pages], 0))
    return State(pages=pages, manifest=manifest)


# Edits a sequence's random follow-ups draw from (the engine is switched only where a
# sequence starts with it: the local engine costs seconds of process start-up per stage).
EDITS = ("add_page", "remove_page", "edit_page", "manifest", "drop_manifest", "param")
PARAMS = tuple(sorted(PARAM_CHOICES))
# The first edit of sequence i is FIRST_EDITS[i % len]: together they cover every kind of
# edit, every stage's param and both directions of the manifest.
FIRST_EDITS: tuple[str, ...] = (
    "engine",
    "add_page",
    "remove_page",
    "edit_page",
    "manifest",
    "drop_manifest",
    *(f"param:{section}.{key}" for section, key in PARAMS),
    "engine",
    "add_duplicate",
    "edit_page",
    "drop_manifest",
    "manifest",
    "add_page",
    "param",
    "remove_page",
)
DVC_FIRST_EDITS = ("manifest", "drop_manifest")  # what DVC alone used not to see


def manifest_rows(
    rng: random.Random, pages: list[str], serial: int
) -> tuple[tuple[str, str, str], ...]:
    chosen = rng.sample(pages, rng.randint(1, len(pages)))
    return tuple(
        (
            name,
            f"https://{rng.choice(DOMAINS)}/m/{serial}/{name}",
            f"2024-0{rng.randint(1, 9)}-05T06:07:08Z",
        )
        for name in sorted(chosen)
    )


def edit(state: State, rng: random.Random, serial: int, op: str | None = None) -> tuple[State, str]:
    """One edit of ``state`` (``op``, or one drawn from EDITS that changes something) and what
    it was."""
    pages = dict(state.pages)
    if op is None:
        possible = [
            e
            for e in EDITS
            if not (e == "drop_manifest" and state.manifest is None)
            and not (e == "remove_page" and len(pages) < 2)
        ]
        op = rng.choice(possible)
    if op in ("add_page", "add_duplicate"):
        name = f"n{serial:02d}.html"
        pages[name] = make_page(rng, serial)
        if op == "add_duplicate":  # same bytes as another page: quarantined as duplicate
            pages[f"n{serial:02d}_copy.html"] = pages[name]
    elif op == "remove_page":
        del pages[rng.choice(sorted(pages))]
    elif op == "edit_page":
        pages[rng.choice(sorted(pages))] = make_page(rng, serial)
    elif op == "manifest":
        rows = manifest_rows(rng, sorted(pages), serial)
        return replace(state, manifest=(rng.choice(("csv", "jsonl")), rows)), op
    elif op == "drop_manifest":
        return replace(state, manifest=None), op
    elif op.startswith("param"):
        params = dict(state.params)
        section, _, name = op.partition(":")[2].partition(".")
        key = rng.choice(PARAMS) if op == "param" else (section, name)
        current = params.get(key, PARAM_CHOICES[key][0])
        params[key] = next(v for v in PARAM_CHOICES[key] if v != current)
        return replace(state, params=tuple(sorted(params.items()))), f"param {key}"
    elif op == "engine":
        engine = rng.choice([e for e in ENGINES if e != state.engine])
        return replace(state, engine=engine), f"engine {engine}"
    return replace(state, pages=tuple(sorted(pages.items()))), op


def params_text(state: State, base: str) -> str:
    params = yaml.safe_load(base)
    for (section, key), value in state.params:
        params[section][key] = value
    params["ingest"]["input_dir"] = PAGES_DIR
    params["ingest"]["manifest"] = f"manifest.{state.manifest[0]}" if state.manifest else None
    params["engine"]["name"], params["engine"]["workers"] = state.engine
    params["engine"]["batch_size"] = 2
    return yaml.safe_dump(params, sort_keys=False)


def write_inputs(folder: Path, state: State) -> None:
    """Make ``folder``'s pages and manifest those of ``state`` (in place, as a user would)."""
    pages = folder / PAGES_DIR
    pages.mkdir(parents=True, exist_ok=True)
    wanted = dict(state.pages)
    for path in pages.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name, html in wanted.items():
        path = pages / name
        if not path.exists() or path.read_text(encoding="utf-8") != html:
            path.write_text(html, encoding="utf-8")
    for old in folder.glob("manifest.*"):
        old.unlink()
    if state.manifest is not None:
        fmt, rows = state.manifest
        if fmt == "csv":
            lines = ["path,url,fetched_at", *(",".join(row) for row in rows)]
        else:
            lines = [
                json.dumps(dict(zip(("path", "url", "fetched_at"), row, strict=True)))
                for row in rows
            ]
        (folder / f"manifest.{fmt}").write_text("\n".join(lines) + "\n", encoding="utf-8")


@contextmanager
def working_in(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_in_process(folder: Path) -> None:
    """Every stage up to the published tables, through its ``main`` with its default paths."""
    with working_in(folder):
        for stage in STAGES:
            main = importlib.import_module(f"pipeline.{stage}").main
            main(**{n: p.default.default for n, p in inspect.signature(main).parameters.items()})


def tables(folder: Path) -> dict[str, str]:
    """Digest of every Parquet table a run leaves (interim and published)."""
    files = sorted(
        [*folder.glob("data/interim/*.parquet"), *folder.glob("data/processed/*.parquet")]
    )
    return {
        f.relative_to(folder).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in files
    }


@dataclass
class Scratch:
    """Runs from scratch, one per distinct inputs (serial engine), kept for the session."""

    root: Path
    base_params: str
    done: dict[str, dict[str, str]] = field(default_factory=dict)

    def tables(self, state: State) -> dict[str, str]:
        key = state.inputs_key()
        if key not in self.done:
            folder = self.root / key[:16]
            write_inputs(folder, state)
            serial = replace(state, engine=("serial", 1))
            (folder / "params.yaml").write_text(params_text(serial, self.base_params))
            run_in_process(folder)
            self.done[key] = tables(folder)
            shutil.rmtree(folder)
        return self.done[key]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    base = (ROOT / "params.yaml").read_text(encoding="utf-8")
    return Scratch(tmp_path_factory.mktemp("scratch"), base)


@dataclass(frozen=True)
class Start:
    state: State
    folder: Path  # a run of ``state``, from scratch


@pytest.fixture(scope="module")
def start(scratch: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Start:
    """Where every sequence starts: one run from scratch, copied (a run per sequence would
    only repeat it)."""
    state = initial_state(random.Random(0))
    folder = tmp_path_factory.mktemp("start")
    write_inputs(folder, state)
    (folder / "params.yaml").write_text(params_text(state, scratch.base_params))
    run_in_process(folder)
    scratch.done.setdefault(state.inputs_key(), tables(folder))
    return Start(state, folder)


def _describe(history: list[str]) -> str:
    return " -> ".join(history)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("seed", range(IN_PROCESS_SEQUENCES))
def test_incremental_runs_equal_runs_from_scratch(
    seed: int, scratch: Scratch, start: Start, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    folder = shutil.copytree(start.folder, tmp_path / "run")
    state, history = start.state, ["start"]
    for step in range(1, STEPS + 1):
        first = FIRST_EDITS[seed % len(FIRST_EDITS)] if step == 1 else None
        state, what = edit(state, rng, step, first)
        history.append(what)
        write_inputs(folder, state)
        (folder / "params.yaml").write_text(params_text(state, scratch.base_params))
        run_in_process(folder)
        assert tables(folder) == scratch.tables(state), _describe(history)


def _apply_to_repo(repo: Path, state: State) -> None:
    write_inputs(repo, state)
    for (section, key), value in PARAM_CHOICES.items():
        chosen = dict(state.params).get((section, key), value[0])
        set_param(repo, section, key, str(chosen).lower() if isinstance(chosen, bool) else chosen)
    set_param(
        repo, "ingest", "manifest", f"manifest.{state.manifest[0]}" if state.manifest else "null"
    )
    set_param(repo, "engine", "name", state.engine[0])
    set_param(repo, "engine", "workers", state.engine[1])


@pytest.fixture(scope="module")
def dvc_start(start: Start, scratch: Scratch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding the project after `dvc repro` of the start state."""
    repo = make_repo(tmp_path_factory.mktemp("dvc") / "repo")
    set_param(repo, "ingest", "input_dir", PAGES_DIR)
    set_param(repo, "engine", "batch_size", 2)
    _apply_to_repo(repo, start.state)
    dvc(repo, "repro", "corpus")
    assert tables(repo) == scratch.tables(start.state)
    return repo


@pytest.mark.e2e
@pytest.mark.timeout(900)
@pytest.mark.parametrize("seed", range(DVC_SEQUENCES))
def test_dvc_repro_after_edits_equals_a_run_from_scratch(
    seed: int, scratch: Scratch, start: Start, dvc_start: Path, tmp_path: Path
) -> None:
    """The same through the real ``dvc repro``: DVC sees every edit (the manifest included,
    through the inventory), and the reused rows never go stale."""
    repo = copy_repo(dvc_start, tmp_path / "repo")
    rng = random.Random(1000 + seed)
    state, history = start.state, ["start"]
    for step in range(1, 3):
        state, what = edit(state, rng, step, DVC_FIRST_EDITS[seed % 2] if step == 1 else None)
        history.append(what)
        _apply_to_repo(repo, state)
        dvc(repo, "repro", "corpus")
        assert tables(repo) == scratch.tables(state), _describe(history)
