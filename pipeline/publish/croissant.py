"""``reports/croissant.json``: the published tables described in Croissant 1.1 JSON-LD
(mlcommons.org/croissant), written by the report stage beside the dataset card.

One ``cr:FileObject`` per published Parquet file (:data:`pipeline.outputs.PUBLISHED`) with its
SHA-256, and one ``cr:RecordSet`` per table whose fields and data types come from
:mod:`pipeline.schema` (meanings from ``schema.COLUMN_DOCS``): a table added to ``PUBLISHED``
is described here with no other change. Name, description, licence, creators, URL, version and
citation are the dataset's (:mod:`pipeline.publish.identity`). No build time or commit: the file
is a function of the tracked inputs, byte for byte.

File paths (``contentUrl``) are relative to the folder that holds the tables under their
repository paths: the repository root, or the folder ``python -m pipeline.publish.export``
assembles (which places this file at its top, beside ``README.md``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipeline import schema
from pipeline.config import PARAMS_FILE
from pipeline.outputs import OUTPUTS
from pipeline.publish.card import code_digest, fingerprint
from pipeline.publish.identity import (
    OTHER_LICENSE,
    Citation,
    Dataset,
    dataset_bibtex,
    dataset_of_params,
)
from pipeline.runtime.sink import atomic_path

CROISSANT = Path("reports/croissant.json")
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
PARQUET = "application/x-parquet"

# The Croissant 1.1 JSON-LD context, as the specification writes it.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

TABLE_DOCS: dict[str, str] = {
    "documents": "One row per kept document: cleaned text, provenance and page metadata.",
    "sentences": "One row per sentence, with exact character offsets into its document's text.",
    "quarantine": "One row per input that was not kept: the stage and the reason.",
    "dedup_map": "The duplicate decision for every document (exact and near duplicates).",
    "boilerplate_map": "Every sentence removed as outlet boilerplate, with its counts.",
}


def data_type(dtype: Any) -> str:
    """The schema.org type of a declared Polars type (a list: its items' type)."""
    if isinstance(dtype, pl.List):
        return data_type(dtype.inner)
    if isinstance(dtype, pl.Datetime):
        return "sc:DateTime"
    if dtype.is_integer():
        return "sc:Integer"
    if dtype.is_float():
        return "sc:Float"
    if isinstance(dtype, pl.Boolean):
        return "sc:Boolean"
    return "sc:Text"  # strings and the closed sets (Enum)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _license(license_id: str) -> str:
    if license_id == OTHER_LICENSE:
        return "other: the page texts keep their publishers' terms"
    return f"https://spdx.org/licenses/{license_id}.html"


def _field(table: str, column: str, dtype: pl.DataType) -> dict[str, Any]:
    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{table}/{column}",
        "name": column,
        "description": schema.COLUMN_DOCS.get(column, "")
        or f"where `{column.removesuffix('_source')}` came from",
        "dataType": data_type(dtype),
        "source": {"fileObject": {"@id": f"{table}.parquet"}, "extract": {"column": column}},
    }
    if isinstance(dtype, pl.List):
        field["isArray"] = True
        field["arrayShape"] = "-1"
    return field


def croissant(dataset: Dataset, files: Mapping[str, Path], cite_as: str) -> dict[str, Any]:
    """The JSON-LD document for the published ``files`` (table -> file on disk); each file's
    ``contentUrl`` is its repository path (:data:`pipeline.outputs.OUTPUTS`)."""
    tables = sorted(files)
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": dataset.name,
        "description": dataset.description,
        "license": _license(dataset.license),
        "url": dataset.url,
        "version": dataset.version,
        "datePublished": dataset.released,
        "creator": [{"@type": "sc:Person", "name": author} for author in dataset.authors],
        "citeAs": cite_as,
        "keywords": ["news", "sentences", "web pages", "corpus"],
        "distribution": [
            {
                "@type": "cr:FileObject",
                "@id": f"{table}.parquet",
                "name": f"{table}.parquet",
                "description": TABLE_DOCS.get(table, f"the {table} table"),
                "contentUrl": OUTPUTS[table].path.as_posix(),
                "encodingFormat": PARQUET,
                "sha256": sha256_file(files[table]),
            }
            for table in tables
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": table,
                "name": table,
                "description": TABLE_DOCS.get(table, f"the {table} table"),
                "field": [
                    _field(table, column, dtype) for column, dtype in OUTPUTS[table].schema.items()
                ],
            }
            for table in tables
        ],
    }


def croissant_text(dataset: Dataset, files: Mapping[str, Path], cite_as: str) -> str:
    return json.dumps(croissant(dataset, files, cite_as), indent=1, ensure_ascii=False) + "\n"


def write_croissant(
    files: Mapping[str, Path], output: Path = CROISSANT, params_file: Path = PARAMS_FILE
) -> Path:
    """Write ``output`` for the published ``files``, citing the dataset as the card does."""
    params = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
    software = Citation.from_pyproject()
    dataset = dataset_of_params(params, software)
    print_fp, _ = fingerprint(dict(files))
    cite_as = dataset_bibtex(dataset, print_fp, software, code_digest())
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic_path(output)  # named for this process: a killed writer's is swept
    tmp.write_text(croissant_text(dataset, files, cite_as), encoding="utf-8")
    tmp.replace(output)
    return output
