"""A real local S3-compatible server (moto's server mode) for the remote input tests, and a
proxy in front of it that can answer 503 or hold requests, as a flaky network does."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on port {port}")


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 server on a free port; yields its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def s3(endpoint: str) -> Any:
    """An s3fs filesystem on ``endpoint`` (uploads and changes, straight to the server)."""
    import s3fs

    return s3fs.S3FileSystem(
        key=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        client_kwargs={"endpoint_url": endpoint},
        skip_instance_cache=True,
        use_listings_cache=False,
    )


@dataclass
class Faults:
    """What the proxy does to GET requests whose path contains a key: answer 503 so many
    times, or hold them until ``released`` is set."""

    fail: Counter[str] = field(default_factory=Counter)  # key -> 503s still to answer
    hold: set[str] = field(default_factory=set)
    released: threading.Event = field(default_factory=threading.Event)
    gets: Counter[str] = field(default_factory=Counter)  # path -> GETs forwarded
    failed: int = 0  # 503s answered
    lock: threading.Lock = field(default_factory=threading.Lock)

    def verdict(self, path: str) -> str:
        with self.lock:
            for key in list(self.fail):
                if key in path and self.fail[key] > 0:
                    self.fail[key] -= 1
                    self.failed += 1
                    return "fail"
            held = any(key in path for key in self.hold)
            self.gets[path.split("?")[0]] += 1
        if held:
            self.released.wait(120)
        return "forward"


@contextmanager
def flaky_proxy(upstream: str, faults: Faults) -> Iterator[str]:
    """A proxy to ``upstream`` applying ``faults``; yields its endpoint URL."""
    host, port = upstream.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _forward(self) -> None:
            if self.command == "GET" and faults.verdict(self.path) == "fail":
                body = b"<Error><Code>SlowDown</Code><Message>try again</Message></Error>"
                self.send_response(503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            length = int(self.headers.get("Content-Length") or 0)
            payload = self.rfile.read(length) if length else None
            conn = http.client.HTTPConnection(host, int(port), timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            conn.request(self.command, self.path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self.send_response(response.status)
            head = self.command == "HEAD"  # its Content-Length is the object's: kept
            for key, value in response.getheaders():
                if key.lower() not in HOP_HEADERS and (head or key.lower() != "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            conn.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        faults.released.set()
        server.shutdown()
        server.server_close()
