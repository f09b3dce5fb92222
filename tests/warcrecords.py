"""A WARC response record whose block is not HTTP, for the WARC input tests (unit and end to
end)."""

from __future__ import annotations

import gzip


def _malformed_record(uri: str) -> bytes:
    """A response record whose block is not HTTP: the WARC framing itself is intact."""
    block = b"\x00\x01 this is not an HTTP response\r\n\r\nbody"
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Target-URI: {uri}\r\nWARC-Date: 2024-03-05T06:07:08Z\r\n"
        "WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        "Content-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + block + b"\r\n\r\n", mtime=0)
