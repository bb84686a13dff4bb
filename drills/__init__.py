"""Reliability drills: replay, crash, concurrency and bad input, each run against the real CLI.

Each module runs as `python -m drills.<name> [--full]`, prints its figures and exits 1 when a
property it proves does not hold; tests/test_drills.py runs them at CI size.
"""
