"""``params.yaml`` as typed, frozen objects, checked as a whole before a stage does any work.

Every stage calls :func:`read_params` first: a wrong type, an out-of-range value, an unknown key
or section anywhere in the file stops it within its first second, with one line per problem
naming the key, the value given and what is allowed (``run_cli`` prints them; no traceback).

Strict on purpose: no string to number or list, no float truncated to an integer (a YAML
integer for a float is fine). Adding a key is one line in its section's model (engine and
corpus keys also go into ``EngineConfig`` / ``CorpusParams``, which the engine and corpus build
from the checked section; a test holds them together); a bound that depends on another key of
the section goes into that section's ``ordered`` pairs. A new section is one line in ``Params``.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

PARAMS_FILE = Path("params.yaml")

# ISO 639-1 (the codes the language detector reports).
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
    hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
    lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
    or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
    ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
    """
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())


class ParamsError(ValueError):
    """params.yaml cannot be used: one line per problem, each naming its key."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def _language(code: str) -> str:
    if code not in ISO_639_1:
        raise PydanticCustomError(
            "language_code", "must be an ISO 639-1 code: two lowercase letters"
        )
    return code


def _sequence_as_tuple(value: Any) -> Any:
    # YAML gives lists; the frozen object holds a tuple. A string stays a string (and fails).
    return tuple(value) if isinstance(value, list) else value


def _path(value: Any) -> Any:
    return Path(value) if isinstance(value, str) and value else value


def _directory(path: Path) -> Path:
    if path.is_file():
        raise PydanticCustomError("not_a_directory", "is a file: must be a directory of pages")
    if not path.is_dir():
        raise PydanticCustomError(
            "no_directory", "no such directory (relative to the project root)"
        )
    return path


def _file(path: Path) -> Path:
    if not path.is_file():
        raise PydanticCustomError("no_file", "no such file (null = no manifest)")
    return path


def _null_is_empty(value: Any) -> Any:
    # `report:` with every key commented out is null in YAML: the section's defaults.
    return {} if value is None else value


Language = Annotated[str, AfterValidator(_language)]
Languages = Annotated[tuple[Language, ...], BeforeValidator(_sequence_as_tuple)]
Directory = Annotated[Path, BeforeValidator(_path), AfterValidator(_directory)]
File = Annotated[Path, BeforeValidator(_path), AfterValidator(_file)]
PageTypeName = Literal[
    "article", "listing", "collection", "product", "service", "forum", "documentation"
]  # pipeline.html.pagetype.PAGE_TYPES (a test holds them together)
Count = Annotated[int, Field(ge=1)]  # a size, a limit or a count that cannot be zero
Share = Annotated[float, Field(ge=0, le=1)]
Days = Annotated[float | None, Field(gt=0, description="days; null = no time limit")]


class Section(BaseModel):
    """One section of params.yaml: frozen, strict, no unknown keys."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    # (lower, upper) keys of this section: lower <= upper. Declare the lower one first.
    ordered: ClassVar[tuple[tuple[str, str], ...]] = ()

    @field_validator("*")
    @classmethod
    def _in_order(cls, value: Any, info: ValidationInfo) -> Any:
        for lower, upper in cls.ordered:
            if info.field_name == upper and lower in info.data and info.data[lower] > value:
                raise PydanticCustomError(
                    "order",
                    "must be >= {lower} (= {bound})",
                    {"lower": lower, "bound": _shown(info.data[lower])},
                )
        return value


RAY_INSTALL = 'uv sync --extra ray (or pip install "newscorpus[ray]")'


def _installed_engine(name: str) -> str:
    # Ray is an extra, not in the default environment: say so before any stage starts work.
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise PydanticCustomError(
            "engine_not_installed", "Ray is not installed: {install}", {"install": RAY_INSTALL}
        )
    return name


class EngineParams(Section):
    """Where the document stages run (see pipeline/runtime/engine.py)."""

    name: Annotated[Literal["local", "ray", "serial"], AfterValidator(_installed_engine)] = "local"
    workers: int = Field(default=0, ge=0, description="0 = every core")
    batch_size: Count = 128
    ray_address: str | None = Field(
        default=None,
        min_length=1,
        description="null = a local Ray, or a cluster head, e.g. 10.0.0.5:6379",
    )
    max_seconds_per_doc: float = Field(
        default=30.0, gt=0, description="a document over it is quarantined as timeout"
    )


# A host name as params.yaml may list it, once lowercase ASCII: labels of letters, digits,
# hyphens (underscores occur in real hosts), so a scheme, path, port or space is refused.
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
# RFC 6838 name characters; `type/` alone is a prefix.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/(?:[a-z0-9][a-z0-9!#$&^_.+-]*)?")


def host_key(host: str) -> str:
    """``host`` as hosts are compared: lowercase, no trailing dot (``example.com.`` is the same
    host), non-ASCII labels in IDNA form (``bücher.de`` -> ``xn--bcher-kva.de``), so a list and
    a URL may spell one host either way. Raises UnicodeError on a label IDNA refuses."""
    host = host.rstrip(".").lower()
    return host if host.isascii() else host.encode("idna").decode("ascii")


def domain_entry(name: str) -> str | None:
    """A ``domains_allow``/``domains_deny`` entry as matched, or None when it is no host name.
    A leading dot (the cookie and no_proxy spelling of "and its subdomains") is dropped: every
    entry covers its subdomains. ``www.`` is kept: ``www.example.com`` does not cover
    ``news.example.com``."""
    try:
        host = host_key(name.removeprefix("."))
    except UnicodeError:
        return None
    return host if _HOST_NAME.fullmatch(host) else None


def content_type_entry(value: str) -> str | None:
    """A ``content_types`` entry as matched (lowercase), or None when it is neither a media
    type (``text/html``) nor a prefix ending in a slash (``text/``)."""
    kind = value.lower()
    return kind if _MEDIA_TYPE.fullmatch(kind) else None


def _entry(normalised: Callable[[str], str | None], kind: str, wanted: str) -> AfterValidator:
    """An item check: the entry as ``normalised`` gives it, or the error ``wanted`` when None."""

    def check(value: str) -> str:
        entry = normalised(value)
        if entry is None:
            raise PydanticCustomError(kind, wanted)
        return entry

    return AfterValidator(check)


def _pattern(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise PydanticCustomError(
            "regex", "not a regular expression: {why}", {"why": str(error)}
        ) from None
    return pattern


def _utc_time(value: Any) -> Any:
    # Written quoted ('2025-01-01', '2025-01-01T12:00:00Z'): DVC refuses YAML's own date values
    # in params.yaml. A time without a zone is UTC, as WARC-Date is read.
    if value is None:
        return None
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(moment, date):
        return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    raise PydanticCustomError(
        "utc_time", "must be a quoted date ('2025-01-01') or time ('2025-01-01T12:00:00Z')"
    )


HostName = Annotated[
    str,
    _entry(
        domain_entry,
        "host_name",
        "must be a host name such as example.com: no scheme, path, port or space",
    ),
]
HostNames = Annotated[tuple[HostName, ...], BeforeValidator(_sequence_as_tuple)]
Patterns = Annotated[
    tuple[Annotated[str, Field(min_length=1), AfterValidator(_pattern)], ...],
    BeforeValidator(_sequence_as_tuple),
]
HttpStatuses = Annotated[
    tuple[Annotated[int, Field(ge=100, le=599)], ...], BeforeValidator(_sequence_as_tuple)
]
ContentType = Annotated[
    str,
    _entry(
        content_type_entry,
        "media_type",
        "must be a media type such as text/html, or a prefix such as text/",
    ),
]
ContentTypes = Annotated[tuple[ContentType, ...], BeforeValidator(_sequence_as_tuple)]
UtcTime = Annotated[datetime | None, BeforeValidator(_utc_time)]


class IngestFilters(Section):
    """Records out of scope, dropped unparsed and counted, not quarantined
    (pipeline/sources/filters.py). Every default filters nothing."""

    domains_allow: HostNames = Field(
        default=(), description="hosts kept, each with its subdomains; [] = every host"
    )
    domains_deny: HostNames = Field(
        default=(), description="hosts dropped, each with its subdomains; wins over the allow list"
    )
    url_include: Patterns = Field(
        default=(), description="regexes searched in the URL: one must match; [] = every URL"
    )
    url_exclude: Patterns = Field(
        default=(), description="regexes searched in the URL: none may match"
    )
    http_statuses: HttpStatuses = Field(
        default=(), description="HTTP status codes kept, e.g. [200]; [] = every status"
    )
    content_types: ContentTypes = Field(
        default=(), description="media types or type/ prefixes kept; [] = every type"
    )
    fetched_from: UtcTime = Field(
        default=None, description="kept from this time on; null = no bound"
    )
    fetched_until: UtcTime = Field(
        default=None, description="kept before this time; null = no bound"
    )
    min_bytes: int = Field(default=0, ge=0, description="smaller records are dropped")
    max_bytes: Count | None = Field(
        default=None, description="larger records are dropped; null = no bound"
    )

    @field_validator("fetched_until", "max_bytes")
    @classmethod
    def _not_below(cls, value: Any, info: ValidationInfo) -> Any:
        # Section.ordered's compare cannot take null, which here is "no bound".
        lower = {"fetched_until": "fetched_from", "max_bytes": "min_bytes"}[str(info.field_name)]
        bound = info.data.get(lower)
        if value is not None and bound is not None and bound > value:
            raise PydanticCustomError(
                "order", "must be >= {lower} (= {bound})", {"lower": lower, "bound": _shown(bound)}
            )
        return value


S3_INSTALL = 'uv sync --extra s3 (or pip install "newscorpus[s3]")'
# fsspec's package for each scheme read here; another scheme is an error naming the key.
REMOTE_PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "http": "aiohttp", "https": "aiohttp"}


def _remote_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or not rest.strip("/") or scheme.lower() not in REMOTE_PACKAGES:
        known = ", ".join(f"{s}://" for s in REMOTE_PACKAGES)
        raise PydanticCustomError(
            "remote_url",
            "must be a URL of an object ({known}); local files go in input_dir",
            {"known": known},
        )
    package = REMOTE_PACKAGES[scheme.lower()]
    if importlib.util.find_spec(package) is None:
        install = S3_INSTALL if package == "s3fs" else f"pip install {package}"
        raise PydanticCustomError(
            "remote_not_installed",
            "reading {scheme}:// needs {install}",
            {"scheme": scheme, "install": install},
        )
    return url


def _unique(urls: tuple[str, ...]) -> tuple[str, ...]:
    repeated = sorted({u for u in urls if urls.count(u) > 1})
    if repeated:
        raise PydanticCustomError(
            "repeated_url", "lists {url} more than once", {"url": repeated[0]}
        )
    return urls


RemoteUrls = Annotated[
    tuple[Annotated[str, AfterValidator(_remote_url)], ...],
    BeforeValidator(_sequence_as_tuple),
    AfterValidator(_unique),
]


class IngestParams(Section):
    input_dir: Directory | None = None
    # Remote objects (WARC files or pages), read streaming; each is also a DVC dependency of
    # its own stage (dvc.yaml: input_url), so `dvc status` tells when one changed.
    input_urls: RemoteUrls = Field(
        default=(), validate_default=True, description="[] = only input_dir"
    )
    crawl: str | None = Field(
        default=None, min_length=1, description="null = read from Common Crawl file names"
    )
    manifest: File | None = None
    filters: IngestFilters = IngestFilters()
    max_raw_bytes: Count
    max_inflated_bytes: Count

    @field_validator("input_urls")
    @classmethod
    def _some_input(cls, urls: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # input_dir is absent from info.data when it failed its own check: not "no input"
        if not urls and "input_dir" in info.data and info.data["input_dir"] is None:
            raise PydanticCustomError(
                "no_input", "names no input, nor does input_dir: set either or both"
            )
        return urls


class ExtractParams(Section):
    max_text_chars: Count
    keep_page_types: Annotated[
        tuple[PageTypeName, ...],
        BeforeValidator(_sequence_as_tuple),
        Field(min_length=1, description="page types kept; others go to quarantine as not_article"),
    ] = ("article",)


class CleanParams(Section):
    min_chars: Count = Field(description="shorter documents are quarantined as too_short")


class SegmentParams(Section):
    language: Language = Field(description="rules for pages that declare no language")
    max_sentence_chars: Count


class CorpusSection(Section):
    """The ``corpus:`` section (``pipeline.corpuswide.settings.CorpusParams`` is built from it)."""

    languages: Languages = Field(default=(), description="ISO 639-1 codes, e.g. [en]; [] keeps all")
    sentence_langid_min_chars: int = Field(default=40, ge=0)
    near_duplicate_threshold: float = Field(
        default=0.6, gt=0, le=1, description="estimated Jaccard"
    )
    minhash_permutations: int = Field(default=128, ge=2)
    shingle_words: Count = 5
    drop_duplicates: bool = False
    boilerplate_min_documents: int = Field(
        default=5, ge=2, description="1 would make every sentence boilerplate"
    )
    boilerplate_window_days: Days = 30.0


class ValidateParams(Section):
    """Thresholds of the suites (``{"$PARAMETER": key}``) and how validate runs."""

    ordered = (
        ("sentence_chars_q10_min", "sentence_chars_median_max"),
        ("sentence_chars_median_min", "sentence_chars_median_max"),
        ("sentence_chars_q10_min", "sentence_chars_q90_max"),
        ("sentence_chars_median_min", "sentence_chars_q90_max"),
    )

    max_raw_bytes: Count
    max_text_chars: Count
    min_chars: Count
    max_sentence_chars: Count
    on_failure: Literal["fail", "warn"] = "fail"
    gate_false_alarm: float = Field(default=0.001, gt=0, lt=1)
    leaked_code_document_share: Share
    min_kept_share: Share
    max_extraction_error_share: Share
    sentence_chars_q10_min: float = Field(ge=0)
    sentence_chars_median_min: float = Field(ge=0)
    sentence_chars_median_max: float = Field(gt=0)
    sentence_chars_q90_max: float = Field(gt=0)
    max_sentence_repeat_docs: Count
    sentence_repeat_window_days: Days = None
    chunk_documents: Count = 2_000
    chunk_rows: Count = 50_000
    workers: int | None = Field(
        default=None, ge=0, description="null = the engine's; 0 = in-process"
    )


Text = Annotated[str, Field(min_length=1)]


class DatasetParams(Section):
    """The dataset this build publishes, as the card, ``reports/croissant.json`` and their
    citation name it (pipeline.publish.identity); null = the software's value in
    ``pyproject.toml`` ``[project]``."""

    name: Text | None = None
    description: Text | None = None
    license: Text = Field(
        default="other",
        min_length=1,
        description="an SPDX id; other = the texts keep their publishers' terms",
    )
    authors: Annotated[tuple[Text, ...] | None, BeforeValidator(_sequence_as_tuple)] = Field(
        default=None, min_length=1
    )
    url: Text | None = None
    version: Text | None = None


class ReportParams(Section):
    length_bin_chars: Count = 25
    dataset: Annotated[DatasetParams, BeforeValidator(_null_is_empty)] = DatasetParams()


class Params(BaseModel):
    """The whole of params.yaml, one attribute per section."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    engine: Annotated[EngineParams, BeforeValidator(_null_is_empty)] = EngineParams()
    ingest: IngestParams
    extract: ExtractParams
    clean: CleanParams
    segment: SegmentParams
    corpus: Annotated[CorpusSection, BeforeValidator(_null_is_empty)] = CorpusSection()
    validate_: ValidateParams = Field(alias="validate")  # BaseModel.validate is taken
    report: Annotated[ReportParams, BeforeValidator(_null_is_empty)] = ReportParams()


def _shown(value: Any) -> str:
    """A value as YAML would write it (flow style), for a message."""
    if isinstance(value, Path):
        value = str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _field(loc: tuple[int | str, ...]) -> tuple[type[BaseModel] | None, Any]:
    """The model holding the key at ``loc`` and the key's field info (None when unknown)."""
    model: type[BaseModel] | None = Params
    info = None
    for part in loc:
        if model is None:
            return None, None
        by_alias = {f.alias or name: f for name, f in model.model_fields.items()}
        info = by_alias.get(str(part))
        if info is None:
            return model, None
        annotation = info.annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return model, info


def _known_keys(loc: tuple[int | str, ...]) -> str:
    parent, _ = _field(loc[:-1]) if len(loc) > 1 else (Params, None)
    if parent is None:
        return ""
    return ", ".join(f.alias or name for name, f in parent.model_fields.items())


WANTED = {
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "model_type": "must be a mapping of keys",
    "dict_type": "must be a mapping of keys",
    "is_instance_of": "must be a path (a non-empty string)",
    "missing": "missing: this key is required",
}


def _problem(error: Any) -> str:
    loc = tuple(error["loc"])
    # An item of a list is shown as such: corpus.languages[1]
    key = ".".join(str(p) for p in loc if not isinstance(p, int))
    key += "".join(f"[{p}]" for p in loc if isinstance(p, int))
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return f"{key}: unknown section (known: {_known_keys(loc)})"
        return f"{key} = {_shown(error['input'])}: unknown key (known: {_known_keys(loc)})"
    if kind in WANTED:
        allowed = WANTED[kind]
    elif kind == "literal_error":
        allowed = f"must be one of {ctx['expected']}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<"}.get(kind, "<=")
        bound = next(iter(ctx.values()))
        bound = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
        allowed = f"must be {sign} {_shown(bound)}"
    elif kind in ("string_too_short", "too_short"):
        allowed = "must not be empty"
    else:
        allowed = str(error["msg"])
    _, info = _field(tuple(p for p in loc if not isinstance(p, int)))
    if info is not None and info.description and kind != "missing":
        allowed += f" ({info.description})"
    if kind == "missing":
        return f"{key}: {allowed}"
    return f"{key} = {_shown(error['input'])}: {allowed}"


def parse_params(raw: Any, source: Path | str = PARAMS_FILE) -> Params:
    """The whole params mapping checked, or a :class:`ParamsError` naming every bad key."""
    if not isinstance(raw, dict):
        raise ParamsError([f"{source}: must be a mapping of sections (engine:, ingest:, ...)"])
    try:
        return Params.model_validate(raw)
    except ValidationError as error:
        raise ParamsError(f"{source}: {_problem(e)}" for e in error.errors()) from None


def read_params(path: Path = PARAMS_FILE) -> Params:
    """params.yaml read and checked as a whole (every stage, before it reads any input)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ParamsError([f"{path}: cannot be read ({error.strerror})"]) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ParamsError([f"{path}: not valid YAML{line}"]) from None
    return parse_params(raw or {}, path)
