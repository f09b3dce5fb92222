"""A Ray cluster of two nodes on this machine, for the test and the benchmark of the ray engine
on a cluster (tests/e2e/test_ray_cluster.py, benchmarks/ray_cluster.py).

The second node runs in a private mount namespace (``unshare -m``, as root) where the given
folders are hidden under empty tmpfs mounts: the driver's working tree and the project's own
``pipeline/`` sources. Its tasks see the driver's files as a machine of a real cluster would
(not at all), and the package only through Ray's ``runtime_env``. Each node is a
``ray start --block`` of its own (own ports, own temp dir, no dashboard); only the processes
started here are stopped, never a ``ray stop`` (other tests run a local Ray meanwhile)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.dvcrepo import BIN

RAY = str(BIN / "ray")
START_SECONDS = 60.0
OBJECT_STORE_BYTES = 1_000_000_000  # per node (Ray's default, 30% of RAM, is a lot to claim)


def can_hide_folders() -> str | None:
    """Why a node with hidden folders cannot be started here (None: it can)."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        return f"unshare -m cannot mount (root needed): {probe.stderr.strip()}"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    # Ray turns token authentication on for a new head when ~/.ray/auth_token exists (a local
    # ray.init writes one); the driver would then need the token: off, as a test cluster.
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


def _start_args(temp_dir: Path, cpus: int) -> list[str]:
    """What both nodes are started with: their own temp dir and ports (two nodes share this
    machine; the defaults would collide with each other or with another Ray)."""
    return [
        "start",
        "--block",
        f"--num-cpus={cpus}",
        f"--temp-dir={temp_dir}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--metrics-export-port={free_port()}",
        f"--object-store-memory={OBJECT_STORE_BYTES}",
        "--disable-usage-stats",
    ]


def _descendants(pid: int) -> list[int]:
    """Every live process under ``pid`` (from /proc): Ray starts its workers and agents below
    the node's ``ray start``, some of them in sessions of their own."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop(procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stop the nodes started here and everything they started: TERM, then KILL (a node given
    TERM takes seconds to stop, and nothing of a test cluster needs keeping)."""
    pids = [pid for proc in procs for pid in (proc.pid, *_descendants(proc.pid))]
    for sig, wait in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 5.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(proc.poll() is None for proc in procs):
            time.sleep(0.1)
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


@dataclass(frozen=True)
class Cluster:
    address: str  # host:port of the head's GCS, for engine.ray_address
    logs: Path  # what the nodes printed (head.log, node.log), and their temp dirs

    def log_tail(self, chars: int = 3000) -> str:
        """The end of what each node printed (for a failure's message)."""
        return "\n".join(
            f"--- {name}:\n{(self.logs / name).read_text(errors='replace')[-chars:]}"
            for name in ("head.log", "node.log")
        )


def _wait_for_nodes(address: str, nodes: int, procs: Sequence[subprocess.Popen[bytes]]) -> None:
    """Until ``nodes`` nodes are alive in the cluster (``ray status`` lists them)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError("a Ray node exited while starting")
        status = subprocess.run(
            [RAY, "status", f"--address={address}"], capture_output=True, text=True, env=_env()
        )
        if status.returncode == 0 and status.stdout.count("node_") >= nodes:
            return
        time.sleep(0.5)
    raise TimeoutError(f"the Ray cluster at {address} did not have {nodes} nodes in time")


@contextlib.contextmanager
def two_node_cluster(
    hidden: Sequence[Path], head_cpus: int = 0, node_cpus: int = 1
) -> Iterator[Cluster]:
    """A head node with ``head_cpus`` CPUs (0: it takes no tasks) and a second node with
    ``node_cpus`` that cannot see the folders ``hidden``; stopped on exit."""
    # Short paths: Ray's unix sockets live under the temp dir (at most ~107 characters).
    logs = Path(tempfile.mkdtemp(prefix="raycl-", dir="/tmp"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        head = [
            RAY,
            *_start_args(logs / "h", head_cpus),
            "--head",
            f"--port={port}",
            "--include-dashboard=false",
            f"--dashboard-port={free_port()}",
        ]
        with (logs / "head.log").open("wb") as out:
            procs.append(
                subprocess.Popen(
                    head,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_env(),
                    cwd=logs,
                    start_new_session=True,
                )
            )
        node = [RAY, *_start_args(logs / "n", node_cpus), f"--address={address}"]
        mounts = " && ".join(f"mount -t tmpfs tmpfs {shlex.quote(str(p))}" for p in hidden)
        script = f"{mounts} && exec {shlex.join(node)}"
        with (logs / "node.log").open("wb") as out:
            procs.append(
                subprocess.Popen(
                    ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=_env(),
                    cwd=logs,
                    start_new_session=True,
                )
            )
        _wait_for_nodes(address, 2, procs)
        yield Cluster(address, logs)
    finally:
        _stop(procs)
        shutil.rmtree(logs, ignore_errors=True)
