"""Temporary paths that name their owner, and the sweep that removes those of dead runs.

A run killed with SIGKILL runs no clean-up: its temporary directories (Arrow spills in shared
memory, the corpus stage's work directory, validate's facts, multiprocessing's ``pymp-*``) and
its half-written ``.<name>.<owner>.tmp`` files stay. So every such path carries its owner: the
pid and the process start time (``/proc/<pid>/stat``, which tells a reused pid apart), as
``<prefix><pid>-<start>-<random>``. A directory's owner also holds an exclusive ``flock`` on
it for as long as it lives; the kernel drops that lock when the process dies, however it dies.

A path is *abandoned*, and swept, only when both say its owner is gone: the pid runs no process
started at that time, and its lock can be taken. The pid test covers the instant between
creating a directory and locking it; the lock covers a pid the pid test cannot judge (a process
of another pid namespace sharing ``/dev/shm``). Nothing is ever removed by age, nor anything
whose name does not carry an owner.

Under ``python -m pipeline.<stage>`` the package claims one scratch directory for the whole
process (:func:`claim_stage_scratch`): it first sweeps what dead runs left, then points
``TMPDIR`` (and :mod:`tempfile`) at the new directory, so whatever the stage, its worker pools
(multiprocessing's ``pymp-*``) and their children put in "the" temporary directory lives there
and goes with it, on exit or exception, or at the next run's sweep after a SIGKILL.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.runtime.commands import stage_command

PREFIX = "newscorpus-"  # scratch and spill directories in a shared temporary folder
SHARED_MEMORY = Path("/dev/shm")
# multiprocessing puts its fork server's socket in <tmp>/pymp-xxxxxxxx/listener-xxxxxxxx (32
# characters after <tmp>), and an AF_UNIX path holds at most 107 bytes: TMPDIR stays where it
# is when the scratch directory's path is longer than this.
MAX_SCRATCH_PATH = 72
# Ray keeps its sessions (and sockets, with the same length limit) under $TMPDIR/ray: leave
# them where Ray would put them anyway.
RAY_TMPDIR = "RAY_TMPDIR"

Owner = tuple[int, int]  # (pid, start time in clock ticks since boot)


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None if no such process
    runs (gone, or a zombie: it holds no files or locks any more)."""
    try:
        line = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ... starttime ...": comm may hold spaces and parentheses
    fields = line[line.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def current_owner() -> Owner:
    pid = os.getpid()
    start = process_start(pid)
    return pid, start if start is not None else 0


def owner_tag(owner: Owner) -> str:
    return f"{owner[0]}-{owner[1]}"


def owned_name(prefix: str, owner: Owner) -> str:
    """A fresh directory name for ``owner``: ``<prefix><pid>-<start>-<8 hex>``."""
    return f"{prefix}{owner_tag(owner)}-{secrets.token_hex(4)}"


def owner_of(name: str, prefix: str, suffix: str = r"-[0-9a-f]{8}") -> Owner | None:
    """The owner a name made by :func:`owned_name` (or :func:`owned_tmp_file`, with its
    ``suffix`` pattern) records; None for any other name."""
    match = re.fullmatch(re.escape(prefix) + r"(\d+)-(\d+)" + suffix, name)
    return (int(match[1]), int(match[2])) if match else None


def owner_alive(owner: Owner) -> bool:
    return process_start(owner[0]) == owner[1]


def _lock(path: Path, *, block: bool) -> int | None:
    """An open descriptor of ``path`` (a directory or regular file, not a link) holding an
    exclusive lock on it, or None when another process holds one, or for any other path."""
    try:
        mode = path.lstat().st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            return None  # a FIFO would block the open; a link is not ours to follow
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        # another sweeper may be removing it too: what is gone is gone
        shutil.rmtree(path, onerror=lambda *_: None)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_if_abandoned(path: Path, owner: Owner) -> bool:
    """Remove ``path`` if its ``owner`` is gone (see the module docstring); True if removed."""
    if owner_alive(owner):
        return False
    fd = _lock(path, block=False)
    if fd is None:
        return False
    try:
        for _ in range(3):  # a dead driver's orphaned worker may still be finishing a file
            _remove(path)
            if not os.path.lexists(path):
                break
    finally:
        os.close(fd)
    return not os.path.lexists(path)


def sweep(parent: Path, prefix: str = PREFIX, suffix: str = r"-[0-9a-f]{8}") -> list[Path]:
    """Remove the entries of ``parent`` named ``<prefix><pid>-<start><suffix>`` whose owner is
    gone; returns what it removed. Never fails the caller: what cannot be removed stays for a
    later sweep."""
    removed: list[Path] = []
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return removed
    for name in names:
        owner = owner_of(name, prefix, suffix)
        if owner is None:
            continue
        with contextlib.suppress(OSError):
            if remove_if_abandoned(parent / name, owner):
                removed.append(parent / name)
    return removed


@contextlib.contextmanager
def owned_directory(parent: Path | None = None, prefix: str = PREFIX) -> Iterator[Path]:
    """A new directory in ``parent`` (default: the temporary folder) named for and locked by
    this process, removed on exit; first, the abandoned ones of the same ``prefix`` there are
    swept."""
    where = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    sweep(where, prefix)
    path, fd = _create_locked(where, prefix)
    try:
        yield path
    finally:
        _remove(path)
        os.close(fd)


def _create_locked(parent: Path, prefix: str) -> tuple[Path, int]:
    owner = current_owner()
    while True:
        path = parent / owned_name(prefix, owner)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        fd = _lock(path, block=True)
        if fd is None:  # removed in between, by someone not following these rules
            continue
        return path, fd


TMP_SUFFIX = r"\.tmp"


def owned_tmp_file(path: Path) -> Path:
    """Where to write ``path`` before renaming it into place: ``.<name>.<pid>-<start>.tmp``
    beside it. Such files of the same target left by dead writers (and the ownerless
    ``.<name>.tmp`` of earlier versions, which any writer of the target overwrote) are removed
    first."""
    prefix = f".{path.name}."
    with contextlib.suppress(OSError):
        sweep(path.parent, prefix, TMP_SUFFIX)
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
        path.with_name(f".{path.name}.tmp").unlink()
    return path.with_name(f"{prefix}{owner_tag(current_owner())}.tmp")


class _StageScratch:
    """The scratch directory this process claimed (see :func:`claim_stage_scratch`)."""

    path: Path | None = None
    fd: int | None = None
    pid: int | None = None
    base: Path | None = None


def stage_module(argv: Sequence[str]) -> str | None:
    """The stage module a command line runs (``python -m pipeline.<stage> ...``: a module that
    declares its ``STAGE``), else None; not e.g. ``pipeline.publish.load``, whose cache must
    outlive the process."""
    command = stage_command(argv)
    return command.module if command is not None else None


def sweep_abandoned(base: Path) -> list[Path]:
    """Remove what dead runs left in the temporary folder ``base`` and in shared memory."""
    removed = sweep(base)
    if SHARED_MEMORY.is_dir() and SHARED_MEMORY.resolve() != base.resolve():
        removed += sweep(SHARED_MEMORY)
    return removed


def claim_stage_scratch(argv: Sequence[str]) -> Path | None:
    """Under ``python -m pipeline.<stage>``: sweep what dead runs left, then claim a scratch
    directory for this process and make it the temporary folder of the process and of every
    process it starts from now on (so call it before any worker pool or fork server starts).
    It is removed at exit. Returns it, or None for other commands (and when claimed already)."""
    if stage_module(argv) is None or _StageScratch.path is not None:
        return None
    base = Path(tempfile.gettempdir())
    sweep_abandoned(base)
    path, fd = _create_locked(base, PREFIX)
    _StageScratch.path, _StageScratch.fd, _StageScratch.pid = path, fd, os.getpid()
    _StageScratch.base = base
    if len(str(path)) <= MAX_SCRATCH_PATH:
        os.environ.setdefault(RAY_TMPDIR, str(base))
        os.environ["TMPDIR"] = str(path)
        tempfile.tempdir = str(path)
    # Registered before multiprocessing's own exit hook (the package claims first), so it runs
    # after it: multiprocessing removes its pymp-* directory, then this removes the rest.
    atexit.register(release_stage_scratch)
    return path


def release_stage_scratch() -> None:
    """Remove the scratch directory this process claimed (not in a forked child), and sweep
    again what dead runs left (a killed run's orphaned workers may have kept a directory busy
    when this run started)."""
    path, fd, base = _StageScratch.path, _StageScratch.fd, _StageScratch.base
    if path is None or fd is None or base is None or _StageScratch.pid != os.getpid():
        return
    _remove(path)
    os.close(fd)
    _StageScratch.path = _StageScratch.fd = None
    sweep_abandoned(base)
