"""Every Parquet schema of the pipeline, and the closed set of quarantine reasons.

No stage invents a column: each stage builds its frame and passes it through
:func:`conform`, which selects, orders and casts the columns declared here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import polars as pl


class QuarantineReason(StrEnum):
    """Why a raw input did not become a kept document: a closed set, each in REASON_DOCS."""

    EMPTY = "empty"
    BINARY = "binary"
    UNDECODABLE = "undecodable"
    CORRUPT_GZIP = "corrupt_gzip"
    TOO_LARGE = "too_large"
    INFLATED_TOO_LARGE = "inflated_too_large"
    UNREADABLE = "unreadable"
    NO_CONTENT = "no_content"
    TOO_SHORT = "too_short"
    TEXT_TOO_LONG = "text_too_long"
    EXTRACTION_ERROR = "extraction_error"
    TIMEOUT = "timeout"
    MALFORMED_RECORD = "malformed_record"
    NO_SENTENCES = "no_sentences"
    DUPLICATE = "duplicate"
    DUPLICATE_TEXT = "duplicate_text"
    NEAR_DUPLICATE = "near_duplicate"
    LANGUAGE_FILTERED = "language_filtered"
    BOILERPLATE_ONLY = "boilerplate_only"
    # Found by the inventory of the input folder (reported by ingest, which drops them):
    SPECIAL_FILE = "special_file"
    SYMLINK_LOOP = "symlink_loop"
    DANGLING_SYMLINK = "dangling_symlink"
    SYMLINKED_FOLDER = "symlinked_folder"
    UNDECODABLE_NAME = "undecodable_name"
    UNLISTABLE_FOLDER = "unlistable_folder"
    CHANGED_SINCE_INVENTORY = "changed_since_inventory"
    NOT_ARTICLE = "not_article"


REASON_DOCS: dict[QuarantineReason, str] = {
    QuarantineReason.EMPTY: "zero bytes, or only whitespace",
    QuarantineReason.BINARY: "a non-text format (PNG, PDF, ELF, zip, ...) or mostly control bytes",
    QuarantineReason.UNDECODABLE: "no encoding decodes it into plausible text",
    QuarantineReason.CORRUPT_GZIP: "truncated or invalid gzip stream",
    QuarantineReason.TOO_LARGE: "raw file over `ingest.max_raw_bytes`",
    QuarantineReason.INFLATED_TOO_LARGE: "gzip inflates past `ingest.max_inflated_bytes`",
    QuarantineReason.UNREADABLE: "could not be read: permissions, an I/O error, or it vanished",
    QuarantineReason.NO_CONTENT: "no main text found (index or section page, only chrome)",
    QuarantineReason.TOO_SHORT: "cleaned text under `clean.min_chars`",
    QuarantineReason.TEXT_TOO_LONG: "extracted text over `extract.max_text_chars`",
    QuarantineReason.EXTRACTION_ERROR: "the extractor raised (a bug to report; the run goes on)",
    QuarantineReason.TIMEOUT: "one stage spent over `engine.max_seconds_per_doc` on the document",
    QuarantineReason.MALFORMED_RECORD: "a WARC record (or the WARC framing at it) cannot be parsed",
    QuarantineReason.NO_SENTENCES: "segmentation produced no sentence",
    QuarantineReason.DUPLICATE: "same raw bytes as an earlier input (by path order)",
    QuarantineReason.DUPLICATE_TEXT: (
        "same normalised text as an earlier document (only with `corpus.drop_duplicates`)"
    ),
    QuarantineReason.NEAR_DUPLICATE: (
        "MinHash-similar to an earlier document (only with `corpus.drop_duplicates`)"
    ),
    QuarantineReason.LANGUAGE_FILTERED: "detected language not in `corpus.languages`",
    QuarantineReason.BOILERPLATE_ONLY: "every sentence was outlet boilerplate",
    QuarantineReason.SPECIAL_FILE: "a FIFO, socket or device, not a file: never opened",
    QuarantineReason.SYMLINK_LOOP: "a symlink that leads back to itself (ELOOP)",
    QuarantineReason.DANGLING_SYMLINK: "a symlink whose target does not exist",
    QuarantineReason.SYMLINKED_FOLDER: (
        "a symlink to a folder: not followed (a loop could trap the walk); link the files instead"
    ),
    QuarantineReason.UNDECODABLE_NAME: (
        "a file or folder name that is not valid UTF-8 (`source_path` shows its bytes escaped); "
        "a folder is not entered"
    ),
    QuarantineReason.UNLISTABLE_FOLDER: (
        "a folder that cannot be listed (permissions): its files are unknown"
    ),
    QuarantineReason.CHANGED_SINCE_INVENTORY: (
        "the file's bytes changed between the inventory and ingest (or extract, which reads "
        "the page again): run again"
    ),
    QuarantineReason.NOT_ARTICLE: (
        "the page's type (listing, product, forum...; in `detail`, with its confidence) is not "
        "in `extract.keep_page_types`"
    ),
}

QUARANTINE_REASONS: tuple[str, ...] = tuple(r.value for r in QuarantineReason)

# The longest title extraction publishes (a longer candidate is code or a paragraph, not a
# headline); the documents suites check it as an invariant.
MAX_TITLE_CHARS = 400

# Metadata fields produced by extraction; each has a "<field>_source" column naming its origin
# (jsonld, og, meta, time, url, text, html, dump, path...).
METADATA_FIELDS: tuple[str, ...] = (
    "url",
    "canonical_url",
    "domain",
    "title",
    "authors",
    "published",
    "modified",
    "description",
    "site_name",
    "section",
    "tags",
    "language",
)

UTC_TIME = pl.Datetime("us", "UTC")

PROVENANCE: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "source_path": pl.String(),
    "source_sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "format": pl.String(),
    "encoding": pl.String(),
    "source_url": pl.String(),
    "fetched_at": UTC_TIME,
    "warc_record_offset": pl.Int64(),
    "warc_record_id": pl.String(),
    "warc_payload_digest": pl.String(),
    "warc_file": pl.String(),
    "crawl": pl.String(),
}

METADATA: dict[str, pl.DataType] = {
    "url": pl.String(),
    "canonical_url": pl.String(),
    "domain": pl.String(),
    "title": pl.String(),
    "authors": pl.List(pl.String()),
    "published": UTC_TIME,
    "modified": UTC_TIME,
    "description": pl.String(),
    "site_name": pl.String(),
    "section": pl.String(),
    "tags": pl.List(pl.String()),
    "language": pl.String(),
}
METADATA_SOURCES: dict[str, pl.DataType] = {f"{f}_source": pl.String() for f in METADATA_FIELDS}

# Incremental runs (pipeline.runtime.reuse): a row of an interim table a later stage reuses from
# carries the digest of its own values (every other column, page text included); a reused
# stage's row carries the digest of the input row it was made from, so a previous row is
# reused only for an identical input row (and the same params and code).
ROW_DIGEST: dict[str, pl.DataType] = {"row_digest": pl.String()}
INPUT_DIGEST: dict[str, pl.DataType] = {"input_digest": pl.String()}
DIGEST_COLUMNS: tuple[str, ...] = ("row_digest", "input_digest")

# inventory -> data/interim/input_files.parquet: every entry under ingest.input_dir, as the
# inventory stage found it (symlinks to files are followed as files), with its content hash
# and the manifest's values for it, then every URL of ingest.input_urls with its size and
# version; ``reason`` is set for entries that are not pages.
INPUT_FILES: dict[str, pl.DataType] = {
    "source_path": pl.String(),
    "file_type": pl.String(),
    "size_bytes": pl.Int64(),
    "source_sha256": pl.String(),
    "source_version": pl.String(),
    "source_url": pl.String(),
    "fetched_at": UTC_TIME,
    "reason": pl.Enum(list(QUARANTINE_REASONS)),
    "detail": pl.String(),
}

# ingest -> data/interim/ingested.parquet: every readable input, its page text only when extract
# could not read it again from the input folder (pipeline/sources/pages.py).
INGESTED: dict[str, pl.DataType] = {**PROVENANCE, "raw_text": pl.String(), **ROW_DIGEST}

# extract -> data/interim/extracted.parquet: main text (paragraphs joined by "\n") + metadata.
# What kind of page a document is (pipeline/html/pagetype.py): one of PAGE_TYPES, the model's
# probability for it, and what decided it (declared: the page declares that type; model).
PAGE_TYPE: dict[str, pl.DataType] = {
    "page_type": pl.String(),
    "page_type_confidence": pl.Float64(),
    "page_type_source": pl.String(),
}

EXTRACTED: dict[str, pl.DataType] = {
    **PROVENANCE,
    **METADATA,
    **METADATA_SOURCES,
    **PAGE_TYPE,
    "extractor": pl.String(),
    "text": pl.String(),
    **ROW_DIGEST,
    **INPUT_DIGEST,
}

# One span a stage removed from a document's text (pipeline/text/removals.py): ``position`` is
# the character offset in that stage's output text where the removed text stood.
REMOVAL = pl.Struct(
    {"stage": pl.String(), "rule": pl.String(), "position": pl.Int64(), "text": pl.String()}
)

# clean -> data/interim/cleaned.parquet: one row per document that survived cleaning.
CLEANED: dict[str, pl.DataType] = {
    **PROVENANCE,
    **METADATA,
    **METADATA_SOURCES,
    **PAGE_TYPE,
    "extractor": pl.String(),
    "text": pl.String(),
    "n_chars": pl.Int64(),
    "n_paragraphs": pl.Int64(),
    "removals": pl.List(REMOVAL),
    "extracted_text_digest": pl.String(),
    **INPUT_DIGEST,
}
# the clean stage's record of its input, for the removal audit's check (not published)
AUDIT_COLUMNS: tuple[str, ...] = ("extracted_text_digest",)

# segment -> data/interim/segmented.parquet: one row per sentence, denormalised for filtering.
SEGMENTED: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "sentence_id": pl.String(),
    "sentence_index": pl.Int32(),
    "paragraph_index": pl.Int32(),
    "char_start": pl.Int64(),
    "char_end": pl.Int64(),
    "text": pl.String(),
    "url": pl.String(),
    "domain": pl.String(),
    "title": pl.String(),
    "published": UTC_TIME,
    "language": pl.String(),
}

# corpus -> data/processed/documents.parquet and sentences.parquet: the published corpus.
DOCUMENTS: dict[str, pl.DataType] = {
    **{c: t for c, t in CLEANED.items() if c not in DIGEST_COLUMNS + AUDIT_COLUMNS},
    "language_detected": pl.String(),
    "language_confidence": pl.Float64(),
    "cluster_id": pl.String(),
    "duplicate_of": pl.String(),
    "n_boilerplate_sentences": pl.Int64(),
    "n_sentences": pl.Int64(),
    "n_words": pl.Int64(),
}
SENTENCES: dict[str, pl.DataType] = {
    **SEGMENTED,
    "n_words": pl.Int64(),
    "language_detected": pl.String(),
    "language_confidence": pl.Float64(),
    "sentence_hash": pl.String(),
    "is_duplicate": pl.Boolean(),
}

# corpus -> data/processed/dedup_map.parquet: the duplicate decision for every document.
DEDUP_MAP: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "text_hash": pl.String(),
    "cluster_id": pl.String(),
    "duplicate_of": pl.String(),
    "similarity": pl.Float64(),
    "method": pl.String(),
    "cluster_size": pl.Int64(),
    "dropped": pl.Boolean(),
}

# corpus -> data/processed/boilerplate_map.parquet: every sentence removed as outlet boilerplate.
BOILERPLATE_MAP: dict[str, pl.DataType] = {
    "domain": pl.String(),
    "sentence_hash": pl.String(),
    "text": pl.String(),
    "n_documents": pl.Int64(),
    "n_clusters": pl.Int64(),
    "n_removed_documents": pl.Int64(),
    "n_removed_sentences": pl.Int64(),
    "example_doc_ids": pl.List(pl.String()),
    "first_published": UTC_TIME,
    "last_published": UTC_TIME,
}

# every stage appends its drops -> data/processed/quarantine.parquet
QUARANTINE: dict[str, pl.DataType] = {
    "doc_id": pl.String(),
    "source_path": pl.String(),
    "source_sha256": pl.String(),
    "size_bytes": pl.Int64(),
    "stage": pl.String(),
    "reason": pl.Enum(list(QUARANTINE_REASONS)),
    "detail": pl.String(),
    "page_type": pl.String(),  # null when the input was dropped before its type was known
}

# ingest -> data/interim/inventory.parquet: every input item (a file, or a WARC record) of
# input_files.parquet, the list validation accounts for.
INVENTORY: dict[str, pl.DataType] = {"source_path": pl.String()}

# Where each table is written, with its codec and row groups: pipeline.outputs.OUTPUTS.
TABLES: dict[str, dict[str, pl.DataType]] = {
    "input_files": INPUT_FILES,
    "inventory": INVENTORY,
    "ingested": INGESTED,
    "extracted": EXTRACTED,
    "cleaned": CLEANED,
    "segmented": SEGMENTED,
    "documents": DOCUMENTS,
    "sentences": SENTENCES,
    "quarantine": QUARANTINE,
    "dedup_map": DEDUP_MAP,
    "boilerplate_map": BOILERPLATE_MAP,
}

# Row order of each table. The streamed interim tables keep the input order: documents by
# source_path, and segmented sentences in that document order, then by sentence_index.
SORT_KEYS: dict[str, list[str]] = {
    "input_files": ["source_path"],
    "inventory": ["source_path"],
    "ingested": ["source_path"],
    "extracted": ["source_path"],
    "cleaned": ["source_path"],
    "documents": ["doc_id"],
    "sentences": ["doc_id", "sentence_index"],
    "quarantine": ["source_path", "stage"],
    "dedup_map": ["cluster_id", "doc_id"],
    "boilerplate_map": ["domain", "sentence_hash"],
}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with exactly the declared columns."""
    return pl.DataFrame(schema=schema)


def conform(df: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Select, order and cast to the declared schema; a missing column is an error, not a null."""
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise KeyError(f"frame lacks declared columns {missing}")
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


# What each column means, for the schema tables of docs/schemas.md (kept beside the schemas).
COLUMN_DOCS: dict[str, str] = {
    "doc_id": "first 16 hex digits of the SHA-256 of the raw bytes: stable across runs",
    "source_path": (
        "input file relative to `ingest.input_dir`, or its URL (`ingest.input_urls`); "
        "`<file>#<offset>` for a WARC record"
    ),
    "source_sha256": "SHA-256 of the raw bytes as read (before gunzip)",
    "size_bytes": "raw size on disk (or of the remote object)",
    "format": "`html` or `text` (a page text dump), with `.gz` when the file was gzip",
    "encoding": "codec the text was decoded with (BOM, declared charset, UTF-8, or detected)",
    "raw_text": (
        "decoded input, stray control characters removed, for a page that is not in "
        "`ingest.input_dir` (remote, or carried to Ray workers); null for the others, which "
        "extract reads there again"
    ),
    "source_url": "URL the page was fetched from (WARC-Target-URI, or the ingest manifest)",
    "fetched_at": "when it was fetched, UTC (WARC-Date, or the ingest manifest)",
    "warc_record_offset": "byte offset of the WARC response record in its file",
    "warc_record_id": "WARC-Record-ID of the response record",
    "warc_payload_digest": "WARC-Payload-Digest of the response record",
    "warc_file": "the WARC file of the record: its path relative to `ingest.input_dir`, or its URL",
    "crawl": (
        "crawl the input belongs to: `ingest.crawl`, else what a Common Crawl file name says "
        "(`CC-NEWS-2025-01`, `CC-MAIN-2025-05`)"
    ),
    "source_version": "remote input's version when listed (S3 VersionId or ETag, HTTP ETag)",
    "url": "article URL (JSON-LD, og:url, canonical, or given with the input)",
    "canonical_url": "`<link rel=canonical>` or equivalent",
    "domain": "host of the URL, lower case, without `www.`",
    "title": "headline, without the ` \\| Site` suffix",
    "authors": "person names, cleaned of `By` and job titles",
    "published": "first publication time, UTC; never in the future, never before 1990",
    "modified": "last modification time, UTC (never used as `published`)",
    "description": "standfirst / meta description",
    "site_name": "outlet name",
    "section": "site section",
    "tags": "keywords / article tags",
    "language": "primary language subtag (`en`, `fr`, ...)",
    "page_type": (
        "`article`, `listing`, `collection`, `product`, `service`, `forum` or `documentation` "
        "(a small model over declared types, address shape, link and text structure)"
    ),
    "page_type_confidence": "the model's probability for `page_type` (0–1, 4 decimals)",
    "page_type_source": (
        "`declared`: the page declares that type (og:type, JSON-LD) and the model agrees; "
        "`model`: the model alone"
    ),
    "extractor": "`html` (selectolax main-content) or `dump` (page text dump)",
    "text": "main text / sentence text; paragraphs separated by a single `\\n`",
    "n_chars": "characters in the cleaned text",
    "n_paragraphs": "paragraphs in the cleaned text",
    "removals": "every span removed from the extracted text, in text order: `stage` (`clean`), "
    "`rule` (`chrome_sentence`, `leading_fragment`, `code_residue`), `position` (character "
    "offset in `text` where it stood) and the removed `text`",
    "n_sentences": "sentences of the document in sentences.parquet (boilerplate removed)",
    "n_words": "words in `text`: runs of letters, marks and digits with inner apostrophes; a "
    "Chinese or Japanese character counts as one word",
    "extracted_text_digest": "SHA-256 of the extracted text without white space (NFC): the "
    "removal audit's check that `text` plus `removals` rebuilds it",
    "sentence_id": (
        "`<doc_id>-<position as segmented, 5 digits>`: stable, also when outlet boilerplate "
        "before it is removed (then it differs from `sentence_index`)"
    ),
    "sentence_index": (
        "0-based position of the sentence in its document (0, 1, 2...: renumbered after "
        "outlet boilerplate is removed)"
    ),
    "paragraph_index": "0-based paragraph of the sentence",
    "char_start": "offset of the first character in the document's cleaned `text`",
    "char_end": "offset after the last character: `text[char_start:char_end]` is the sentence",
    "stage": "stage that dropped the input",
    "file_type": (
        "`file`, `symlink_to_file` (followed), `folder`, `symlink`, `fifo`, `socket`, "
        "`char_device`, `block_device`, or `remote` (a URL of `ingest.input_urls`)"
    ),
    "row_digest": "SHA-256 of the row's other values (what a later stage's reuse is keyed on)",
    "input_digest": "`row_digest` of the input row this row was made from",
    "reason": "closed set, see Quarantine reasons",
    "detail": "human-readable explanation (sizes, exception, limit that was hit)",
    "language_detected": (
        "language identified from the text (py3langid, ISO 639-1); a sentence under "
        "`corpus.sentence_langid_min_chars` characters takes its document's"
    ),
    "language_confidence": (
        "probability of `language_detected` (0–1, 4 decimals); null where a sentence took "
        "its document's language"
    ),
    "cluster_id": (
        "duplicate cluster: `doc_id` of its representative, the earliest member by "
        "(`published`, `doc_id`), undated last; a unique document's own `doc_id`"
    ),
    "duplicate_of": (
        "`doc_id` of the representative this document duplicates (exactly or nearly); null "
        "for representatives and unique documents"
    ),
    "n_boilerplate_sentences": (
        "sentences removed from this document as outlet boilerplate (see `boilerplate_map`)"
    ),
    "sentence_hash": (
        "16 hex digits of BLAKE2b of the normalised sentence (NFKC, lower case, runs of "
        "non-letters/digits as one space)"
    ),
    "is_duplicate": (
        "the same normalised sentence occurs earlier in corpus order (`published`, `doc_id`, "
        "`sentence_index`; undated last)"
    ),
    "text_hash": "16 hex digits of BLAKE2b of the normalised text: equal means exact duplicate",
    "similarity": (
        "estimated Jaccard similarity (MinHash of word shingles) to the representative; 1.0 "
        "for exact duplicates and representatives"
    ),
    "method": (
        "`unique`, `representative` (of a cluster with duplicates), `exact` or `near` "
        "(similarity >= `corpus.near_duplicate_threshold`)"
    ),
    "cluster_size": "documents in the cluster",
    "dropped": "quarantined as a duplicate (`corpus.drop_duplicates`)",
    "n_documents": "documents of the domain containing the sentence",
    "n_clusters": "duplicate clusters of the domain containing it (what the threshold counts)",
    "n_removed_documents": (
        "documents it was removed from (those with `corpus.boilerplate_min_documents` "
        "clusters within `corpus.boilerplate_window_days`)"
    ),
    "n_removed_sentences": "sentences removed (a document can repeat it)",
    "example_doc_ids": "the first (at most 5) documents it was removed from, in corpus order",
    "first_published": "earliest `published` among the documents it was removed from",
    "last_published": "latest `published` among the documents it was removed from",
}


def _type_name(dtype: Any) -> str:
    if isinstance(dtype, pl.List):
        return f"list[{_type_name(dtype.inner)}]"
    if isinstance(dtype, pl.Datetime):
        return f"datetime[{dtype.time_unit}, {dtype.time_zone}]"
    if isinstance(dtype, pl.Enum):
        return "enum"
    if isinstance(dtype, pl.Struct):
        return "struct{" + ", ".join(f"{f.name}: {_type_name(f.dtype)}" for f in dtype.fields) + "}"
    names = {
        pl.String: "str",
        pl.Int64: "int64",
        pl.Int32: "int32",
        pl.Int8: "int8",
        pl.Float64: "float64",
        pl.Boolean: "bool",
    }
    return names.get(type(dtype), str(dtype))


def schema_markdown(table: str) -> str:
    """Markdown table of one declared schema (docs/schemas.md embeds these verbatim)."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for column, dtype in TABLES[table].items():
        if column in METADATA_SOURCES:
            continue
        doc = COLUMN_DOCS.get(column, "")
        lines.append(f"| `{column}` | {_type_name(dtype)} | {doc} |")
    if any(c in METADATA_SOURCES for c in TABLES[table]):
        lines.append(
            "| `<field>_source` | str | for each metadata field: where it came from "
            "(`jsonld`, `og`, `meta`, `time`, `html`, `url`, `text`, `dump`, `input`) |"
        )
    return "\n".join(lines)


def reasons_markdown() -> str:
    """Markdown table of the quarantine reasons (embedded verbatim in docs/schemas.md)."""
    lines = ["| reason | meaning |", "|---|---|"]
    lines += [f"| `{r.value}` | {REASON_DOCS[r]} |" for r in QuarantineReason]
    return "\n".join(lines)
