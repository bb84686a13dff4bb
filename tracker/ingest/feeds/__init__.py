"""Feeds: where claims come from, one module per feed, each fetching bytes and parsing them into
records (a bad record is a finding, not the payload's fate).

A feed has a `name` (stored with every run and observation), the `source` it carries by
default, a real live `default_location`, and two steps kept apart so that every fetch can be
archived before it is trusted: `fetch(...) -> list[Fetched]` and `parse(list[Fetched]) ->
ParsedPayload`. `parse` raises `tracker.errors.BadPayload` with a one-line message when a
payload cannot be understood at all.
"""

from __future__ import annotations

from typing import Protocol

from tracker.ingest.parsed import Fetched, ParsedPayload


class Feed(Protocol):
    name: str
    source: str
    default_location: str

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]: ...

    def parse(self, fetched: list[Fetched]) -> ParsedPayload: ...
