"""Run the real console entry point in-process, as cron would see it: exit code, stdout, stderr."""

from __future__ import annotations

import sys


def run_tracker(capsys, *args: str) -> tuple[int, str, str]:
    from tracker.cli import main

    capsys.readouterr()
    saved = sys.argv
    sys.argv = ["tracker", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    captured = capsys.readouterr()
    return code, captured.out, captured.err
