"""Every published table of a small corpus written in-process (no dvc): the validation
fixture's documents, sentences and quarantine, with one near-duplicate cluster in ``dedup_map``
and one boilerplate sentence in ``boilerplate_map``. Page text dumps declare no language;
detection says ``en``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import schema
from pipeline.outputs import OUTPUTS, PUBLISHED
from tests.validcorpus import good_corpus


def published_frames(n_docs: int = 4) -> dict[str, pl.DataFrame]:
    frames = good_corpus(n_docs).frames
    documents = frames["documents"].sort("doc_id")
    ids = documents["doc_id"].to_list()
    representative, duplicate = ids[0], ids[1]
    cluster = pl.when(pl.col("doc_id").is_in([representative, duplicate]))
    documents = documents.with_columns(
        language=pl.when(pl.col("doc_id") == ids[-1]).then(None).otherwise(pl.col("language")),
        language_detected=pl.lit("en"),
        language_confidence=pl.lit(0.99),
        cluster_id=cluster.then(pl.lit(representative)).otherwise(pl.col("doc_id")),
        duplicate_of=pl.when(pl.col("doc_id") == duplicate).then(pl.lit(representative)),
        n_boilerplate_sentences=pl.lit(0),
    )
    sentences = frames["sentences"].with_columns(
        language_detected=pl.lit("en"), is_duplicate=pl.lit(False)
    )
    dedup_map = pl.DataFrame(
        {
            "doc_id": ids,
            "text_hash": [f"{i:016x}" for i in range(len(ids))],
            "cluster_id": [representative, representative, *ids[2:]],
            "duplicate_of": [None, representative, *[None] * (len(ids) - 2)],
            "similarity": [1.0, 0.8, *[1.0] * (len(ids) - 2)],
            "method": ["representative", "near", *["unique"] * (len(ids) - 2)],
            "cluster_size": [2, 2, *[1] * (len(ids) - 2)],
            "dropped": [False] * len(ids),
        }
    )
    boilerplate_map = pl.DataFrame(
        [
            {
                "domain": "saltmarsh.example",
                "sentence_hash": "00000000000000aa",
                "text": "Sign up for the harbour newsletter.",
                "n_documents": 5,
                "n_clusters": 5,
                "n_removed_documents": 5,
                "n_removed_sentences": 6,
                "example_doc_ids": ids[:2],
                "first_published": datetime(2026, 1, 2, tzinfo=UTC),
                "last_published": datetime(2026, 1, 9, tzinfo=UTC),
            }
        ]
    )
    tables = {
        "documents": documents,
        "sentences": sentences,
        "quarantine": frames["quarantine"],
        "dedup_map": dedup_map,
        "boilerplate_map": boilerplate_map,
    }
    assert set(tables) == set(PUBLISHED)
    return {
        name: schema.conform(frame, OUTPUTS[name].schema).sort(OUTPUTS[name].sort_keys)
        for name, frame in tables.items()
    }


def write_published(root: Path, n_docs: int = 4) -> dict[str, Path]:
    """The tables under ``root`` at their repository paths; -> table -> absolute path."""
    files = {}
    for name, frame in published_frames(n_docs).items():
        path = root / OUTPUTS[name].path
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        files[name] = path
    return files


def load_configs_offline(folder: Path, configs: Iterable[str], hf_home: Path) -> dict[str, Any]:
    """``datasets.load_dataset(folder, name=config, split="train")`` for each config, in a
    fresh interpreter with the Hugging Face hub offline; -> config -> [rows, column names]."""
    script = (
        "import json, sys, datasets\n"
        "folder, names = sys.argv[1], sys.argv[2:]\n"
        "out = {}\n"
        "for name in names:\n"
        "    table = datasets.load_dataset(folder, name=name, split='train')\n"
        "    out[name] = [table.num_rows, table.column_names]\n"
        "print(json.dumps(out))\n"
    )
    env = {
        **os.environ,
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(hf_home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), *configs],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded
