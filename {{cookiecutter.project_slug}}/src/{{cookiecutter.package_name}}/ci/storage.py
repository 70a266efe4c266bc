"""Push and pull data, models and the run-cache with a time limit and retries.

`python -m {{ cookiecutter.package_name }}.ci storage push` runs `dvc push --run-cache`: the workspace's
outputs and the record of which inputs made them, so that the same run elsewhere is restored
rather than repeated; `pull` runs `dvc pull --run-cache`. DVC itself can wait forever on a
remote that stopped answering mid-transfer; here each attempt is stopped after --timeout
seconds and tried again, and the last failure ends in one line. CI uses this, after each
run it wants kept; at a terminal plain `dvc push --run-cache` is fine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque

from ..core.cli import UserError

# Words in DVC's output that mean retrying cannot help: the remote refused who we are...
REFUSED = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden")
# ... or there is nothing to get: outputs dvc.lock does not name yet (a first run), or that
# no one pushed.
MISSING = (
    "No file hash info found",
    "Missing cache files",
    "do not exist neither locally nor on remote",
)


def attempt(command: list[str], timeout: float) -> tuple[int | None, list[str]]:
    """Run ``command``, echoing its output; return (exit code or None on timeout, last lines)."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own process group, so a timeout stops all it started
    )
    tail: deque[str] = deque(maxlen=20)

    def echo() -> None:
        for line in process.stdout:
            sys.stderr.write(line)
            tail.append(line.rstrip())

    reader = threading.Thread(target=echo, daemon=True)
    reader.start()
    try:
        code: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process)
        code = None
    reader.join(timeout=5)
    return code, list(tail)


def stop(process: subprocess.Popen) -> None:
    """Stop ``process`` and everything it started: SIGTERM, then SIGKILL after 5 s."""
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def transfer(direction: str, timeout: float, retries: int, extra: list[str]) -> None:
    """Run `dvc <direction> --run-cache` until it succeeds, at most ``retries`` + 1 times."""
    command = [sys.executable, "-m", "dvc", direction, "--run-cache", *extra]
    for number in range(1, retries + 2):
        code, tail = attempt(command, timeout)
        if code == 0:
            return
        if code is not None and any(word in line for line in tail for word in REFUSED):
            raise UserError(
                "the DVC remote refused the credentials (see DVC's message above). "
                f"Check them, then run `dvc {direction}` again"
            )
        missing = any(word in line for line in tail for word in MISSING)
        if direction == "pull" and code is not None and missing:
            raise UserError(
                "some outputs are not in the DVC remote, or not yet in dvc.lock (see above): "
                "retrying `dvc pull` cannot get them. Run the pipeline to make them, "
                "or push them from where they were made"
            )
        why = f"timed out after {timeout:g} s" if code is None else f"failed with exit code {code}"
        if number <= retries:
            pause = 5 * number
            print(f"dvc {direction} {why}; trying again in {pause} s", file=sys.stderr)
            time.sleep(pause)
    attempts = f"{retries + 1} attempt{'s' if retries else ''}"
    raise UserError(
        f"dvc {direction} {why} ({attempts}). Check the remote (`dvc remote list`) "
        "and the network, then run it again: what was transferred is kept"
    )
