"""Headless Chromium for the report tests: each page opened offline in a new empty profile, its
DOM after scripts ran, or a screenshot decoded to RGB pixels."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no host resolves: the page must be offline
    "--virtual-time-budget=10000",  # let scripts (vega, bootstrap-table) finish first
)


class Browser:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary, self.workdir, self.runs = binary, workdir, 0

    def _run(self, url: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
        self.runs += 1
        profile = self.workdir / f"profile-{self.runs}"  # a new empty profile every time
        return subprocess.run(
            [self.binary, *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True,
            timeout=120,
            check=True,
        )

    def dom(self, page: Path) -> str:
        return self._run(page.as_uri(), "--dump-dom").stdout.decode("utf-8")

    def screenshot(self, page: Path, width: int = 1280, height: int = 2000) -> np.ndarray:
        png = self.workdir / f"shot-{self.runs + 1}.png"
        self._run(page.as_uri(), f"--screenshot={png}", f"--window-size={width},{height}")
        return decode_png(png.read_bytes())


def decode_png(data: bytes) -> np.ndarray:
    """RGB pixels of an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, []
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour in (2, 6), (depth, colour)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind_ = raw[start]
        line = np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int64)
        if kind_ == 0:
            cur = line
        elif kind_ == 1:  # Sub: running sum along the row, per channel
            cur = (line.reshape(width, channels).cumsum(axis=0) & 255).reshape(-1)
        elif kind_ == 2:  # Up
            cur = (line + prev) & 255
        else:  # Average or Paeth: sequential within the row
            c, p = line.tolist(), prev.tolist()
            for i in range(stride):
                a = c[i - channels] if i >= channels else 0
                b = p[i]
                if kind_ == 3:
                    c[i] = (c[i] + ((a + b) >> 1)) & 255
                else:
                    d = p[i - channels] if i >= channels else 0
                    pa, pb, pc = abs(b - d), abs(a - d), abs(a + b - 2 * d)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else d
                    c[i] = (c[i] + pred) & 255
            cur = np.array(c, dtype=np.int64)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)[..., :3]
