"""Running a command on a pseudo-terminal, as a researcher's shell would, to see what it draws."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def on_a_terminal(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    stdout_too: bool = False,
) -> tuple[int, str]:
    """Run ``command`` with its stderr (and, with ``stdout_too``, its stdout) on a
    pseudo-terminal; its exit code and what the terminal got."""
    leader, follower = os.openpty()
    stdout = follower if stdout_too else None
    with subprocess.Popen(
        list(command), cwd=cwd, env=dict(env), stdout=stdout, stderr=follower
    ) as child:
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = child.wait(timeout=timeout)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")
