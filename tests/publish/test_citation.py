"""The citation has one source, pyproject.toml: CITATION.cff (valid CFF 1.2.0), LICENSE and the
dataset card agree with it."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from pipeline.publish.identity import Citation
from tests.dvcrepo import ROOT


def cff_schema() -> dict[str, Any]:
    """The CFF 1.2.0 JSON schema as cffconvert ships it."""
    text = resources.files("cffconvert").joinpath("schemas/1.2.0/schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    assert schema["$id"].endswith("/1.2.0/schema.json")
    return schema


def validation_errors(cff: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(cff_schema(), format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(cff)]


def citation_cff() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    return data


def test_citation_cff_is_valid_cff_1_2() -> None:
    assert validation_errors(citation_cff()) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"cff-version": "1.1.0"}, "cff-version"),
        ({"authors": []}, "authors"),
        ({"date-released": "5 December 2026"}, "date-released"),
        ({"license": "MIT-ish"}, "license"),
        ({"titel": "typo"}, ""),  # unknown keys are refused
    ],
)
def test_the_schema_check_rejects_broken_files(change: dict[str, Any], path: str) -> None:
    errors = validation_errors({**citation_cff(), **change})
    assert errors and any(path in e for e in errors), errors


def test_citation_cff_agrees_with_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    citation = Citation.from_pyproject(ROOT / "pyproject.toml")
    cff = citation_cff()
    assert cff["title"] == project["name"] == citation.name
    assert cff["abstract"] == project["description"] == citation.description
    assert cff["version"] == project["version"] == citation.version
    assert [a["name"] for a in cff["authors"]] == [a["name"] for a in project["authors"]]
    assert cff["license"] == project["license"] == citation.license
    assert cff["repository-code"] == project["urls"]["Repository"] == citation.url
    assert cff["date-released"] == pyproject["tool"]["newscorpus"]["released"]
    assert citation.year == citation.released[:4]


def test_license_file_is_mit_with_the_authors_and_year() -> None:
    citation = Citation.from_pyproject(ROOT / "pyproject.toml")
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert citation.license == "MIT" and text.startswith("MIT License\n")
    copyright_line = re.search(r"^Copyright \(c\) (\d{4}) (.+)$", text, re.M)
    assert copyright_line is not None
    assert copyright_line.group(1) == citation.year
    assert copyright_line.group(2) == ", ".join(citation.authors)
