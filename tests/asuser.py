"""Run the real `tracker` console script as an unprivileged user, so that permission bits apply
(root ignores them): `setpriv` to nobody when the tests run as root, the current user otherwise."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
TRACKER = BIN / "tracker"
PYTHON = BIN / "python"
UNPRIVILEGED = ("nobody", "nogroup")


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test permission bits")
    user, group = UNPRIVILEGED
    prefix = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups", "--"]
    if not _reaches_tracker(tuple(prefix)):
        pytest.skip(
            f"user {user} cannot run {TRACKER}: the checkout sits in a folder other users cannot enter "
            "(a clone under `mktemp -d`); clone it where they can to test permission bits"
        )
    return prefix


@functools.cache
def _reaches_tracker(prefix: tuple[str, ...]) -> bool:
    """Whether the unprivileged user can run this checkout's tracker at all."""
    probe = subprocess.run([*prefix, str(TRACKER), "--help"], cwd="/", capture_output=True, timeout=120, check=False)
    return probe.returncode == 0


def run_as_user(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `args` (e.g. TRACKER, "status", ...) unprivileged, with HOME and the XDG folders in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"), XDG_DATA_HOME=str(home / "data"))
    return subprocess.run(
        [*_prefix(), *args], cwd=home, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
