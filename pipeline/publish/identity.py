"""Who made what: the software's citation and the published dataset's identity.

Two things are cited. The **software** (this pipeline) is named once, in ``pyproject.toml``
``[project]`` and ``[tool.newscorpus] released``; ``CITATION.cff`` and ``LICENSE`` agree with
it (tests/publish/test_citation.py). The **dataset** a build publishes is named in
``params.yaml`` ``report.dataset`` (checked by :class:`pipeline.config.DatasetParams`): a
researcher who builds a corpus of their own pages sets its name, description, licence, authors,
URL and version there, and every key left null takes the software's value. The dataset card,
``reports/croissant.json`` and their citations all read :func:`dataset_identity`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import DatasetParams

PYPROJECT = Path("pyproject.toml")


@dataclass(frozen=True)
class Citation:
    """How to cite the project: ``pyproject.toml``'s ``[project]`` (name, description,
    version, authors, license, ``urls.Repository``) and ``[tool.newscorpus] released``."""

    name: str
    description: str
    version: str
    authors: tuple[str, ...]
    license: str
    url: str
    released: str  # ISO date of the release (the citation's year)

    @property
    def year(self) -> str:
        return self.released[:4]

    @classmethod
    def from_pyproject(cls, path: Path = PYPROJECT) -> Citation:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        project = data["project"]
        license_value = project["license"]
        if isinstance(license_value, dict):  # the older {text = "..."} form
            license_value = license_value["text"]
        return cls(
            name=str(project["name"]),
            description=str(project["description"]),
            version=str(project["version"]),
            authors=tuple(str(a["name"]) for a in project["authors"]),
            license=str(license_value),
            url=str(project["urls"]["Repository"]),
            released=str(data["tool"]["newscorpus"]["released"]),
        )


# "other": the page texts keep their publishers' terms (Hugging Face then asks for a name).
OTHER_LICENSE = "other"


@dataclass(frozen=True)
class Dataset:
    """The published dataset as the card and croissant.json name it."""

    name: str
    description: str
    license: str  # an SPDX id, or "other"
    authors: tuple[str, ...]
    url: str
    version: str
    released: str  # ISO date: the software's release (a tracked value, never the build time)

    @property
    def year(self) -> str:
        return self.released[:4]


def dataset_identity(dataset: DatasetParams, software: Citation) -> Dataset:
    """``report.dataset`` with every null key taken from the software's citation."""
    return Dataset(
        name=dataset.name or software.name,
        description=dataset.description or software.description,
        license=dataset.license,
        authors=dataset.authors or software.authors,
        url=dataset.url or software.url,
        version=dataset.version or software.version,
        released=software.released,
    )


def dataset_of_params(params: dict[str, Any], software: Citation) -> Dataset:
    """The identity from a raw params mapping (``report.dataset``, checked again here)."""
    report = params.get("report") or {}
    return dataset_identity(DatasetParams.model_validate(report.get("dataset") or {}), software)


def bibtex_key(name: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


def dataset_bibtex(dataset: Dataset, fingerprint: str, software: Citation, code: str) -> str:
    """A BibTeX entry for the dataset (fingerprint: the corpus's SHA-256, hex)."""
    return "\n".join(
        [
            f"@misc{{{bibtex_key(dataset.name)}_{fingerprint[:12]},",
            f"  title   = {{{dataset.name}: {dataset.description}}},",
            f"  author  = {{{' and '.join('{' + a + '}' for a in dataset.authors)}}},",
            f"  year    = {{{dataset.year}}},",
            f"  version = {{{dataset.version}}},",
            f"  url     = {{{dataset.url}}},",
            f"  note    = {{Corpus fingerprint sha256:{fingerprint}; built with {software.name} "
            f"{software.version} (pipeline code sha256:{code}); software license "
            f"{software.license}}},",
            "}",
        ]
    )
