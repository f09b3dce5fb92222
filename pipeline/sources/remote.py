"""Input from object storage and HTTP(S) through fsspec: what an object is now (size and
version, for the inventory), and a streaming reader that retries transient failures.

An object is read in ranges (``BLOCK`` bytes at a time), never copied to local disk whole: a
1 GB WARC costs one block of memory. A range that fails with a transient error (a 5xx, a reset
connection, a timeout) is asked again after a backoff; a missing object or a refused request is
not retried. ``s3://`` needs s3fs (``uv sync --extra s3``); its endpoint and credentials come
from the usual AWS settings (``AWS_PROFILE``, ``AWS_ACCESS_KEY_ID``..., ``AWS_ENDPOINT_URL``
for an S3-compatible server)."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pipeline.config import S3_INSTALL

BLOCK = 8 << 20  # bytes per ranged read
RETRY_BASE_SECONDS = 0.5  # first backoff; doubled per attempt, capped
RETRY_MAX_SECONDS = 30.0
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
CREDENTIAL_ERRORS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
_HTTP_STATUS = re.compile(r"\b(5\d\d)\b")


def scheme_of(location: str) -> str | None:
    """``s3``, ``https``... of a URL; None for a local path (``file://`` counts as local)."""
    match = _SCHEME.match(location)
    scheme = match.group(1).lower() if match else None
    return None if scheme in (None, "file") else scheme


def is_remote(location: str) -> bool:
    return scheme_of(location) is not None


class RemoteAccessError(RuntimeError):
    """The run cannot reach remote inputs at all (no credentials, a missing package): fails the
    run before any work, unlike one missing object, which is quarantined."""


def _credentials_problem(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(
        names & {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError"}
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_transient(exc: BaseException) -> bool:
    """Worth asking again: a server error (5xx), a dropped connection or a timeout. Not: a
    missing object, a refusal (4xx), bad credentials."""
    for error in _chain(exc):
        if isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError):
            return False
        if _credentials_problem(error):
            return False
        status = getattr(error, "status", None) or getattr(error, "code", None)
        if isinstance(status, int):
            return 500 <= status < 600
        response = getattr(error, "response", None)
        if isinstance(response, dict):  # botocore's ClientError
            code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(code, int):
                return 500 <= code < 600
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    names = {type(e).__name__ for e in _chain(exc)}
    if names & {
        "ClientConnectionError",
        "ServerDisconnectedError",
        "ClientPayloadError",
        "EndpointConnectionError",
        "ReadTimeoutError",
        "ConnectTimeoutError",
    }:
        return True
    return bool(_HTTP_STATUS.search(str(exc)))


class RemoteReadError(OSError):
    """A remote object could not be read after every retry: the run stops (a rerun resumes
    with the objects not yet finished), the object is not quarantined for a network fault."""


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a failed request is asked again."""

    attempts: int = 6  # tries in all, the first included
    base_seconds: float = RETRY_BASE_SECONDS
    sleep: Callable[[float], None] = time.sleep

    def call(self, fn: Callable[[], Any], what: str) -> Any:
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except Exception as exc:
                if attempt == self.attempts or not is_transient(exc):
                    raise
                self.sleep(min(RETRY_MAX_SECONDS, self.base_seconds * 2 ** (attempt - 1)))
        raise AssertionError(what)  # unreachable: the last attempt returns or raises


DEFAULT_RETRY = Retry()


@cache
def filesystem(scheme: str) -> Any:
    """The fsspec filesystem of a scheme, made once per process (its connection pool and
    credentials are reused). Its own caches are off: an object that changed must be seen."""
    import fsspec

    try:
        fs = fsspec.filesystem(scheme, skip_instance_cache=True, use_listings_cache=False)
    except ImportError as exc:
        install = S3_INSTALL if scheme in ("s3", "s3a") else f"the fsspec backend for {scheme}://"
        raise RemoteAccessError(f"reading {scheme}:// needs {install}: {exc}") from exc
    except ValueError as exc:  # fsspec: "Protocol not known"
        raise RemoteAccessError(f"no fsspec backend reads {scheme}:// ({exc})") from exc
    return fs


def _fs(url: str) -> Any:
    scheme = scheme_of(url)
    if scheme is None:
        raise ValueError(f"not a remote URL: {url!r}")
    return filesystem(scheme)


@dataclass(frozen=True)
class ObjectInfo:
    """What an object is now: its size and a version that changes when its bytes do (S3's
    VersionId where versioning is on, else its ETag; an HTTP ETag, else Last-Modified)."""

    size: int | None
    version: str | None


def _version(info: dict[str, Any]) -> str | None:
    lowered = {str(k).lower(): v for k, v in info.items()}
    for key in ("versionid", "etag", "last-modified", "lastmodified"):
        value = lowered.get(key)
        if value:
            return str(value).strip('"')
    return None


def object_info(url: str, retry: Retry = DEFAULT_RETRY) -> ObjectInfo:
    """Size and version of the object at ``url``. Raises FileNotFoundError/PermissionError for
    one object that cannot be read, :class:`RemoteAccessError` when nothing remote can be."""
    fs = _fs(url)
    try:
        info = retry.call(lambda: fs.info(url), url)
    except Exception as exc:
        if _credentials_problem(exc):
            raise RemoteAccessError(
                f"no credentials to read {url}: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (AWS_ENDPOINT_URL for an S3-compatible server), or use "
                "the object's https:// address if it is public"
            ) from exc
        raise
    size = info.get("size")
    return ObjectInfo(int(size) if size is not None else None, _version(info))


class RangeReader(io.RawIOBase):
    """A read-only stream of a remote object fetched ``BLOCK`` bytes at a time with ranged
    requests, each retried on transient errors; ``size`` is the object's size as listed."""

    def __init__(
        self, url: str, size: int, retry: Retry = DEFAULT_RETRY, block: int = BLOCK
    ) -> None:
        super().__init__()
        self.url, self.size, self.retry, self.block = url, size, retry, block
        self.position = 0  # bytes handed out so far
        self.buffer = memoryview(b"")  # fetched, not yet handed out
        self.fs = _fs(url)

    def readable(self) -> bool:
        return True

    def _fetch(self) -> bytes:
        start = self.position
        end = min(self.size, start + self.block)
        if start >= end:
            return b""
        try:
            data: bytes = self.retry.call(
                lambda: self.fs.cat_file(self.url, start=start, end=end), self.url
            )
        except Exception as exc:
            raise RemoteReadError(f"{self.url}: bytes {start}-{end}: {exc}") from exc
        if not data:
            raise RemoteReadError(f"{self.url}: no bytes at {start} of {self.size}: shrunk?")
        return data

    def readinto(self, target: Any) -> int:
        view = memoryview(target).cast("B")
        if not self.buffer:
            self.buffer = memoryview(self._fetch())
        n = min(len(view), len(self.buffer))
        view[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]  # a view: no copy of the rest
        self.position += n
        return n

    def tell(self) -> int:
        return self.position


def open_remote(url: str, size: int, retry: Retry = DEFAULT_RETRY) -> io.BufferedReader:
    """A buffered stream of the object (see :class:`RangeReader`)."""
    return io.BufferedReader(RangeReader(url, size, retry), buffer_size=1 << 16)


def read_remote(url: str, limit: int, retry: Retry = DEFAULT_RETRY) -> bytes:
    """At most ``limit`` bytes of the object from its start, in one retried request."""
    fs = _fs(url)
    data: bytes = retry.call(lambda: fs.cat_file(url, start=0, end=limit), url)
    return data
