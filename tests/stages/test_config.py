"""params.yaml is checked as a whole before any stage works: every bad value is rejected with a
line naming its key, in process (fast), from each stage's command, and through `dvc repro`."""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.config import (
    RAY_INSTALL,
    CorpusSection,
    EngineParams,
    Params,
    ParamsError,
    parse_params,
    read_params,
)
from pipeline.corpuswide.settings import CorpusParams
from pipeline.runtime.engine import EngineConfig
from tests.dvcrepo import ROOT, dvc, make_repo, set_param, stages_run

COMMITTED = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
UNSET = object()  # a case that deletes the key


def with_value(section: str, key: str, value: Any) -> dict[str, Any]:
    """The committed params with one key set (or deleted, given UNSET)."""
    raw: dict[str, Any] = copy.deepcopy(COMMITTED)
    raw[section] = dict(raw.get(section) or {})
    if value is UNSET:
        del raw[section][key]
    else:
        raw[section][key] = value
    return raw


@pytest.fixture(autouse=True)
def project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # ingest.input_dir and ingest.manifest are relative to the project root, as dvc runs stages
    monkeypatch.chdir(ROOT)


def test_the_committed_params_parse() -> None:
    params = read_params(ROOT / "params.yaml")
    assert params.ingest.input_dir == Path(COMMITTED["ingest"]["input_dir"])
    assert params.corpus.languages == tuple(COMMITTED["corpus"]["languages"])
    assert params.validate_.min_kept_share == COMMITTED["validate"]["min_kept_share"]


def test_every_key_of_params_yaml_is_a_model_field_holding_its_value() -> None:
    """No key of the file is ignored: each is a field, and the parsed value is the file's."""
    # JSON mode: paths as strings, tuples as lists, nested sections (ingest.filters) too
    parsed = read_params(ROOT / "params.yaml").model_dump(by_alias=True, mode="json")
    assert set(COMMITTED) <= set(Params.model_fields) | {"validate"}
    for section, values in COMMITTED.items():
        for key, value in values.items():
            assert key in parsed[section], f"{section}.{key}"
            assert parsed[section][key] == value, f"{section}.{key}"


def test_the_engine_and_corpus_dataclasses_take_every_checked_key() -> None:
    """The runtime dataclasses are built from the checked sections: a key added to one but
    not the other would fail here, not at a stage's start."""
    params = read_params(ROOT / "params.yaml")
    assert set(EngineConfig.__dataclass_fields__) == set(EngineParams.model_fields)
    assert set(CorpusParams.__dataclass_fields__) == set(CorpusSection.model_fields)
    assert EngineConfig.from_params(params.engine).workers == COMMITTED["engine"]["workers"]
    corpus = CorpusParams.from_params(params.corpus)
    assert corpus.shingle_words == COMMITTED["corpus"]["shingle_words"]


# (section, key, value given, key the error names, what it says is allowed)
BAD: list[tuple[str, str, Any, str, str]] = [
    ("engine", "workers", -3, "engine.workers", "must be >= 0 (0 = every core)"),
    ("engine", "workers", "2", "engine.workers", "must be an integer"),
    ("engine", "workers", 1.5, "engine.workers", "must be an integer"),
    ("engine", "workers", True, "engine.workers", "must be an integer"),
    ("engine", "batch_size", 0, "engine.batch_size", "must be >= 1"),
    ("engine", "max_seconds_per_doc", -1, "engine.max_seconds_per_doc", "must be > 0"),
    ("engine", "max_seconds_per_doc", 0, "engine.max_seconds_per_doc", "must be > 0"),
    ("engine", "name", "dask", "engine.name", "must be one of 'local', 'ray' or 'serial'"),
    ("engine", "ray_address", "", "engine.ray_address", "must not be empty"),
    ("engine", "wrokers", 2, "engine.wrokers", "unknown key (known: name, workers,"),
    ("ingest", "input_dir", "params.yaml", "ingest.input_dir", "is a file"),
    ("ingest", "input_dir", "no/such/dir", "ingest.input_dir", "no such directory"),
    ("ingest", "input_dir", ["data/sample"], "ingest.input_dir", "must be a path"),
    ("ingest", "input_dir", None, "ingest.input_urls", "names no input, nor does input_dir"),
    ("ingest", "input_dir", UNSET, "ingest.input_urls", "names no input, nor does input_dir"),
    ("ingest", "input_urls", ["data/sample"], "ingest.input_urls[0]", "must be a URL of an object"),
    ("ingest", "input_urls", ["ftp://a/b"], "ingest.input_urls[0]", "must be a URL of an object"),
    ("ingest", "input_urls", ["https://a/b", "https://a/b"], "ingest.input_urls", "more than once"),
    ("ingest", "input_urls", "https://a/b", "ingest.input_urls", "must be a list"),
    ("ingest", "crawl", "", "ingest.crawl", "must not be empty"),
    ("ingest", "manifest", "no/such/manifest.csv", "ingest.manifest", "no such file"),
    ("ingest", "manifest", "data/sample", "ingest.manifest", "no such file"),
    ("ingest", "max_raw_bytes", 0, "ingest.max_raw_bytes", "must be >= 1"),
    ("ingest", "max_inflated_bytes", "64MiB", "ingest.max_inflated_bytes", "must be an integer"),
    ("ingest", "input", "data", "ingest.input", "unknown key"),
    ("extract", "max_text_chars", 0, "extract.max_text_chars", "must be >= 1"),
    ("extract", "max_text_chars", 1e6, "extract.max_text_chars", "must be an integer"),
    ("extract", "max_text_chars", "1000000", "extract.max_text_chars", "must be an integer"),
    ("extract", "max_chars", 10, "extract.max_chars", "unknown key"),
    ("clean", "min_chars", -5, "clean.min_chars", "must be >= 1"),
    ("clean", "min_chars", 0, "clean.min_chars", "must be >= 1"),
    ("clean", "min_chars", 80.5, "clean.min_chars", "must be an integer"),
    ("clean", "min_chars", [80], "clean.min_chars", "must be an integer"),
    ("clean", "min_char", 80, "clean.min_char", "unknown key (known: min_chars)"),
    ("segment", "language", "english", "segment.language", "ISO 639-1"),
    ("segment", "language", ["en"], "segment.language", "must be a string"),
    ("segment", "max_sentence_chars", -1500, "segment.max_sentence_chars", "must be >= 1"),
    ("segment", "languages", ["en"], "segment.languages", "unknown key"),
    ("corpus", "languages", "en", "corpus.languages", "must be a list (ISO 639-1 codes"),
    ("corpus", "languages", ["en", "EN"], "corpus.languages[1]", "ISO 639-1"),
    ("corpus", "languages", [1], "corpus.languages[0]", "must be a string"),
    ("corpus", "shingle_words", 0, "corpus.shingle_words", "must be >= 1"),
    ("corpus", "minhash_permutations", 1, "corpus.minhash_permutations", "must be >= 2"),
    ("corpus", "near_duplicate_threshold", 0, "corpus.near_duplicate_threshold", "must be > 0"),
    ("corpus", "near_duplicate_threshold", 1.5, "corpus.near_duplicate_threshold", "<= 1"),
    ("corpus", "near_duplicate_threshold", "0.6", "corpus.near_duplicate_threshold", "number"),
    ("corpus", "drop_duplicates", "yes", "corpus.drop_duplicates", "must be true or false"),
    ("corpus", "drop_duplicates", 1, "corpus.drop_duplicates", "must be true or false"),
    ("corpus", "boilerplate_min_documents", 1, "corpus.boilerplate_min_documents", ">= 2"),
    ("corpus", "boilerplate_window_days", 0, "corpus.boilerplate_window_days", "must be > 0"),
    ("corpus", "boilerplate_window_days", -30, "corpus.boilerplate_window_days", "> 0"),
    ("corpus", "sentence_langid_min_chars", -1, "corpus.sentence_langid_min_chars", ">= 0"),
    ("corpus", "language", ["en"], "corpus.language", "unknown key"),
    ("validate", "min_kept_share", 1.5, "validate.min_kept_share", "must be <= 1"),
    ("validate", "min_kept_share", -0.1, "validate.min_kept_share", "must be >= 0"),
    ("validate", "on_failure", "ignore", "validate.on_failure", "'fail' or 'warn'"),
    ("validate", "gate_false_alarm", 0, "validate.gate_false_alarm", "must be > 0"),
    ("validate", "gate_false_alarm", 1, "validate.gate_false_alarm", "must be < 1"),
    (
        "validate",
        "leaked_code_document_share",
        -0.01,
        "validate.leaked_code_document_share",
        ">= 0",
    ),
    (
        "validate",
        "leaked_code_document_share",
        "1%",
        "validate.leaked_code_document_share",
        "num",
    ),
    ("validate", "max_extraction_error_share", "1%", "validate.max_extraction_error_share", "num"),
    (
        "validate",
        "sentence_chars_median_min",
        400,
        "validate.sentence_chars_median_max",
        "must be >= sentence_chars_median_min (= 400.0)",
    ),
    ("validate", "sentence_chars_q90_max", 0, "validate.sentence_chars_q90_max", "must be > 0"),
    ("validate", "max_title_chars", 400, "validate.max_title_chars", "unknown key"),
    ("validate", "chunk_rows", 0, "validate.chunk_rows", "must be >= 1"),
    ("validate", "workers", -1, "validate.workers", "must be >= 0"),
    ("validate", "sentence_repeat_window_days", 0, "validate.sentence_repeat_window_days", "> 0"),
    ("validate", "min_chars", UNSET, "validate.min_chars", "missing"),
    ("validate", "max_kept", 1.0, "validate.max_kept", "unknown key"),
    ("report", "length_bin_chars", 0, "report.length_bin_chars", "must be >= 1"),
    ("report", "length_bin_chars", "25", "report.length_bin_chars", "must be an integer"),
    ("report", "dataset", {"name": ""}, "report.dataset.name", "must not be empty"),
    ("report", "dataset", {"name": ["a"]}, "report.dataset.name", "must be a string"),
    ("report", "dataset", {"authors": "Ada"}, "report.dataset.authors", "must be a list"),
    ("report", "dataset", {"authors": []}, "report.dataset.authors", "must not be empty"),
    ("report", "dataset", {"authors": ["Ada", ""]}, "report.dataset.authors[1]", "not be empty"),
    ("report", "dataset", {"licence": "MIT"}, "report.dataset.licence", "unknown key"),
    ("report", "dataset", {"license": ""}, "report.dataset.license", "must not be empty"),
    ("report", "dataset", "mine", "report.dataset", "must be a mapping of keys"),
    ("report", "lenght_bin_chars", 25, "report.lenght_bin_chars", "unknown key"),
]


def shown(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip().removesuffix("...")


@pytest.mark.parametrize(("section", "key", "value", "named", "allowed"), BAD)
def test_a_bad_value_is_rejected_naming_its_key(
    section: str, key: str, value: Any, named: str, allowed: str
) -> None:
    with pytest.raises(ParamsError) as caught:
        parse_params(with_value(section, key, value))
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"params.yaml: {named}"), problems
    assert allowed in problems[0]
    if value is not UNSET and named == f"{section}.{key}":
        # the value given, as JSON (a YAML subset): "en", -3, ["en"], 1.5
        given = problems[0].removeprefix(f"params.yaml: {named} = ").split(": ")[0]
        assert yaml.safe_load(given) == value


# Good values near the bounds, and the leniencies allowed: a YAML int for a float.
GOOD: list[tuple[str, str, Any]] = [
    ("engine", "workers", 0),
    ("engine", "name", "serial"),
    ("engine", "max_seconds_per_doc", 1),
    ("engine", "ray_address", "ray://host:10001"),
    ("ingest", "manifest", None),
    ("clean", "min_chars", 1),
    ("corpus", "languages", ["en", "de"]),
    ("corpus", "near_duplicate_threshold", 1),
    ("corpus", "boilerplate_window_days", None),
    ("corpus", "boilerplate_window_days", 0.5),
    ("corpus", "sentence_langid_min_chars", 0),
    ("validate", "on_failure", "warn"),
    ("validate", "min_kept_share", 1.0),
    ("validate", "sentence_repeat_window_days", None),
    ("validate", "workers", 0),
]


@pytest.mark.parametrize(("section", "key", "value"), GOOD)
def test_a_good_value_is_taken_as_given(section: str, key: str, value: Any) -> None:
    parsed = parse_params(with_value(section, key, value)).model_dump(by_alias=True)
    got = parsed[section][key]
    assert (list(got) if isinstance(got, tuple) else got) == value


def test_the_ray_engine_without_ray_installed_is_refused_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ray is an extra: a default environment naming it fails before work, in one line."""
    monkeypatch.setitem(sys.modules, "ray", None)  # what find_spec sees when it is absent
    with pytest.raises(ParamsError) as caught:
        parse_params(with_value("engine", "name", "ray"))
    assert caught.value.problems == [
        f'params.yaml: engine.name = "ray": Ray is not installed: {RAY_INSTALL}'
    ]
    assert "--extra ray" in RAY_INSTALL
    monkeypatch.delitem(sys.modules, "ray")
    if importlib.util.find_spec("ray") is not None:  # the dev environment has it
        assert parse_params(with_value("engine", "name", "ray")).engine.name == "ray"


def test_every_problem_of_the_file_is_reported_at_once() -> None:
    raw = with_value("engine", "workers", -3)
    raw["report"] = {"length_bin_chars": "25"}
    raw["reprot"] = {"length_bin_chars": 25}
    with pytest.raises(ParamsError) as caught:
        parse_params(raw)
    assert caught.value.problems == [
        "params.yaml: engine.workers = -3: must be >= 0 (0 = every core)",
        'params.yaml: report.length_bin_chars = "25": must be an integer',
        "params.yaml: reprot: unknown section (known: engine, ingest, extract, clean, segment,"
        " corpus, validate, report)",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("engine: [local]\n", 'engine = ["local"]: must be a mapping of keys'),
        ("- engine\n", "must be a mapping of sections"),
        ("engine: {workers: 2\n", "not valid YAML at line 2"),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        read_params(path)
    assert problem in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_the_checked_params_are_frozen() -> None:
    params = read_params(ROOT / "params.yaml")
    with pytest.raises(ValueError, match="frozen"):
        params.engine.__setattr__("workers", 3)  # as `params.engine.workers = 3` does


def stage_command(stage: str) -> list[str]:
    """The stage's dvc.yaml command, on the interpreter running the tests."""
    cmd = str(STAGES[stage]["cmd"]).split()
    assert cmd[0] == ".venv/bin/python"
    return [sys.executable, *cmd[1:]]


# input_url (one stage per remote input) runs no Python and reads no params: it is there for
# its dependency, the object, alone (dvc.yaml)
@pytest.mark.parametrize("stage", sorted(s for s in STAGES if "foreach" not in STAGES[s]))
def test_each_stage_command_checks_the_whole_file_before_its_input(
    stage: str, tmp_path: Path
) -> None:
    """In a directory holding nothing but params.yaml (with a typo in ``report:``) and an
    empty input folder, every stage stops on the typo, in one line, without a traceback and
    without writing anything: had it read its input first, it would fail on a missing file."""
    (tmp_path / "pages").mkdir()
    raw = with_value("report", "lenght_bin_chars", 25)
    raw["ingest"]["input_dir"] = "pages"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GX_ANALYTICS_ENABLED": "False"}
    start = time.monotonic()
    done = subprocess.run(
        stage_command(stage), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    seconds = time.monotonic() - start
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "params.yaml: report.lenght_bin_chars = 25: unknown key (known: length_bin_chars, dataset)"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages", "params.yaml"]
    assert seconds < 30, seconds  # imports only (~1-2 s unloaded)


def break_key(repo: Path, edit: str) -> None:
    """Apply an edit to the repo's params.yaml: ``section.key=value``, or ``old->new`` text."""
    if "->" in edit:
        old, new = edit.split("->")
        path = repo / "params.yaml"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return
    dotted, value = edit.split("=", 1)
    section, key = dotted.split(".")
    set_param(repo, section, key, value)


def project_tree(repo: Path) -> set[str]:
    """The files of the repository outside git's and DVC's own folders."""
    inside = (".git/", ".dvc/")
    found = (p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file())
    return {f for f in found if not f.startswith(inside)}


@pytest.fixture(scope="module")
def fresh_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("config-clone"))


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("edit", "named"),
    [
        ("report.length_bin_chars='25'", 'report.length_bin_chars = "25": must be an integer'),
        ("corpus.languages=en", 'corpus.languages = "en": must be a list'),
        ("  workers: 0->  wrokers: 0", "engine.wrokers = 0: unknown key"),
    ],
)
def test_dvc_repro_fails_in_its_first_seconds_naming_the_key(
    fresh_repo: Path, edit: str, named: str
) -> None:
    """The first stage (inventory, run on every repro) stops before reading any page: no stage
    after it runs and no interim output is written, whichever section holds the mistake."""
    original = (fresh_repo / "params.yaml").read_text(encoding="utf-8")
    files_before = project_tree(fresh_repo)
    try:
        break_key(fresh_repo, edit)
        start = time.monotonic()
        done = dvc(fresh_repo, "repro", check=False)
        seconds = time.monotonic() - start
    finally:
        (fresh_repo / "params.yaml").write_text(original, encoding="utf-8")
    assert done.returncode != 0
    assert stages_run(done) == {"inventory"}
    assert f"params.yaml: {named}" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout
    # DVC removes the stage's outputs before running it; the stage wrote none, not even empty
    assert project_tree(fresh_repo) - files_before == set()
    assert not list((fresh_repo / "data").rglob("*.parquet"))
    # dvc's own start-up (~2-5 s) plus the stage's imports; a full run of the sample takes
    # ~30-40 s here, and ingest alone more than this on any real input
    assert seconds < 30, seconds
    assert re.search(r"failed to reproduce 'inventory'", done.stderr + done.stdout)
