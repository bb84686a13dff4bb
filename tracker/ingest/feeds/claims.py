"""Claims of other sources: CSV files a journalist edits by hand (data/claims/claims.csv, and any
newsroom's own file in the same format).

Each file is its own feed (the curated file is the feed "claims-file", another file is named by
`--feed` or after its file name), and a full snapshot of that feed's claims: a claim edited in it
gets a new revision, a claim deleted from it a removal revision, and no file touches another's
claims. Columns are documented in data/claims/README.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tracker.claims.claim import ClaimRecord
from tracker.claims.parse import FIELDS, KEY_PATTERN, claim_from_fields, identity, to_fields
from tracker.errors import BadPayload, InvalidInput
from tracker.ingest.feeds.json_payload import (
    check_location,
    csv_rows,
    decode_csv_text,
    read_local,
    read_row,
    unreadable_rows,
)
from tracker.ingest.parsed import Fetched, ParsedPayload, ParseIssue
from tracker.ingest.values import MAX_BAD_SHARE, too_broken
from tracker.store.source_registry import CURATED

if TYPE_CHECKING:
    import httpx

# data/claims/claims.csv in the checkout, shipped in the package as tracker/_claims (a link to it).
DEFAULT_FILE = Path(__file__).parents[2] / "_claims" / "claims.csv"
# The feed of the curated file, wherever it is read from (the daily job's --claims-from too).
CURATED_FEED = "claims-file"
# The feed of claims typed with `tracker claims add`: no file may take its name, or loading that
# file would remove every claim added by hand.
CLI_FEED = "cli"
FEED_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class ClaimsFeed:
    """A claims file, from the repository, another local path or an http(s) URL, as the feed
    `feed` (default: the curated file's). `sources` are the keys its claims may name beyond the
    registry file's (a store's own, `tracker sources add`), or how to read them once the file is
    parsed (an unchanged repeat reads no store: tracker.ingest.repeat)."""

    source = CURATED
    default_location = str(DEFAULT_FILE)

    def __init__(
        self, feed: str | None = None, sources: Collection[str] | Callable[[], Collection[str]] | None = None
    ) -> None:
        self.name = check_feed_name(feed) if feed is not None else CURATED_FEED
        self.sources = sources

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = check_location(location, self.default_location)
        if location.startswith(("http://", "https://")):
            from tracker.ingest import http

            client = cast("httpx.Client | None", options.get("client"))  # the Feed protocol passes options untyped
            return [http.fetch(location, client=client, role="claims")]
        return [read_local(Path(location), content_type="text/csv", role="claims")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        claims: list[ClaimRecord] = []
        issues: list[ParseIssue] = []
        sources = self.sources() if callable(self.sources) else self.sources
        for item in fetched:
            read = read_claims_csv(item.content, item.location, sources)
            if too_broken(len(read.bad), read.rows):
                line_no, _, reason = read.bad[0]
                raise BadPayload(
                    f"{item.location}: {len(read.bad):,} of {read.rows:,} claims unreadable (more than "
                    f"{MAX_BAD_SHARE:.0%}): nothing stored (first: line {line_no}: {reason})"
                )
            claims.extend(read.claims)
            issues.extend(_file_issues(item.location, read))
        # A file with no claims (or far fewer than before) is stored: the removals it would make
        # are judged by the withdrawal rule, which holds them (tracker.ingest.withdrawals.judge_claims).
        _check_duplicates_across(claims)
        # A bad row is a claim the file still holds but we could not read: were the file taken
        # as complete, its stored revision would be recorded as removed. The store is told only
        # "complete or not" (tracker.ingest.run), so a file with a bad row removes nothing this run.
        complete = frozenset() if issues else frozenset({"claim"})
        return ParsedPayload(claims=claims, issues=issues, complete_kinds=complete)


class SingleClaimFeed:
    """One claim written with `tracker claims add`: archived as a one-row CSV, never removing others."""

    name = CLI_FEED
    source = CURATED
    default_location = "tracker claims add"

    def __init__(self, claim: ClaimRecord, sources: Collection[str] | None = None) -> None:
        self.claim = claim
        self.sources = sources  # the sources the claim may name (a store's own, `tracker sources add`)

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        return [
            Fetched(
                self.default_location,
                claims_to_csv([self.claim]).encode("utf-8"),
                dt.datetime.now(dt.UTC),
                "text/csv",
                None,
                "claims",
            )
        ]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        claims = [c for item in fetched for c in parse_claims_csv(item.content, item.location, self.sources)]
        return ParsedPayload(claims=claims, complete_kinds=frozenset())


def check_feed_name(name: str) -> str:
    """A claims file's feed name as given (`--feed`): a slug, and not the feed of `claims add`."""
    if not FEED_NAME.fullmatch(name):
        raise InvalidInput(
            f"--feed {name[:70]!r} must be lowercase letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    if name == CLI_FEED:
        raise InvalidInput(f"--feed {CLI_FEED} is the feed of `tracker claims add`; name the file's feed otherwise")
    return name


def default_feed(location: str | None) -> str:
    """The feed a claims file is loaded as when no --feed is given: the curated feed for the
    curated file (or no location), else a slug of the file's name (`Newsdesk 2025.csv` ->
    `newsdesk-2025`; a URL's last path segment)."""
    if location is None:
        return CURATED_FEED
    if location.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        stem = Path(urlsplit(location).path).stem
    else:
        path = Path(location)
        try:
            if path.resolve() == DEFAULT_FILE.resolve():
                return CURATED_FEED
        except (OSError, RuntimeError):  # a link loop, a path too long: read (and refused) later
            pass
        stem = path.stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:64].rstrip("-")
    if slug and slug != CLI_FEED:
        return slug
    from tracker.errors import redact_userinfo

    shown = repr(redact_userinfo(location)[:100])
    if not slug:
        raise InvalidInput(f"cannot name a feed after {shown}: give one with --feed NAME (e.g. --feed newsdesk)")
    raise InvalidInput(f"{shown} would be the feed {CLI_FEED!r} of `tracker claims add`: give another with --feed NAME")


def claims_to_csv(claims: list[ClaimRecord]) -> str:
    """Claims as a claims file (the header and one row each)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for claim in claims:
        writer.writerow(to_fields(claim))
    return out.getvalue()


@dataclass
class ClaimsFile:
    """What one claims file holds: its good claims, and its bad rows (line, key if readable, why)."""

    claims: list[ClaimRecord] = field(default_factory=list)
    bad: list[tuple[int, str | None, str]] = field(default_factory=list)
    rows: int = 0  # claim rows (not blank, not comments)


def read_claims_csv(content: bytes, where: str, sources: Collection[str] | None = None) -> ClaimsFile:
    """Every row of a claims file: a validated claim, or a bad row kept aside with its reason.

    Only what makes the whole file unreadable (not UTF-8, HTML, a bad header, broken quoting)
    raises BadPayload; a row that fails validation does not stop the others.
    """
    reader = csv_rows(decode_csv_text(content, where))
    first = read_row(reader, where)
    header = [h.strip().lower() for h in first[1]] if first else []
    missing = [f for f in FIELDS if f not in header]
    unknown = [h for h in header if h not in FIELDS]
    if missing or unknown or len(set(header)) != len(header):
        detail = "; ".join(
            x
            for x in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(repr(u[:40]) for u in unknown)}" if unknown else "",
                "repeated column" if len(set(header)) != len(header) else "",
            )
            if x
        )
        raise BadPayload(f"{where}: header must name the columns {','.join(FIELDS)} ({detail})")
    out = ClaimsFile()
    keys: dict[str, int] = {}
    same: dict[tuple[object, ...], int] = {}
    while (next_row := read_row(reader, where)) is not None:
        line_no, row = next_row
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        out.rows += 1
        raw_key = row[header.index("claim_key")].strip() if len(row) == len(header) else None
        key = raw_key if raw_key and KEY_PATTERN.fullmatch(raw_key) else None
        if len(row) != len(header):
            out.bad.append((line_no, key, f"expected {len(header)} fields, got {len(row)}"))
            continue
        try:
            claim = claim_from_fields(dict(zip(header, row)), sources=sources)
        except InvalidInput as exc:
            out.bad.append((line_no, key, str(exc)))
            continue
        if claim.key in keys:
            out.bad.append((line_no, key, f"duplicate claim_key {claim.key!r} (first on line {keys[claim.key]})"))
            continue
        if identity(claim) in same:
            out.bad.append(
                (
                    line_no,
                    key,
                    f"duplicate of the claim on line {same[identity(claim)]} "
                    "(same source, published date, kind, period, definition and figures)",
                )
            )
            continue
        keys[claim.key] = line_no
        same[identity(claim)] = line_no
        out.claims.append(claim)
    return out


def parse_claims_csv(content: bytes, where: str, sources: Collection[str] | None = None) -> list[ClaimRecord]:
    """Every row of a claims file as a validated claim; BadPayload names the first bad line.

    The strict reading, for one claim written from the command line: there every row must be good.
    """
    read = read_claims_csv(content, where, sources)
    if read.bad:
        line_no, _, reason = read.bad[0]
        raise BadPayload(f"{where} line {line_no}: {reason}")
    return read.claims


def _file_issues(where: str, read: ClaimsFile) -> list[ParseIssue]:
    """Findings for a file's bad rows: one per row with a readable key, one for all the others."""
    consequence = "not stored, and no claim is recorded as removed this run"
    issues = [
        ParseIssue("bad_claim", f"{where} line {line_no}: claim {key!r}: {reason}; {consequence}", key)
        for line_no, key, reason in read.bad
        if key is not None
    ]
    unkeyed = [f"line {line_no}: {reason}" for line_no, key, reason in read.bad if key is None]
    if unkeyed:
        issues.append(unreadable_rows(where, unkeyed, consequence))
    return issues


def _check_duplicates_across(claims: list[ClaimRecord]) -> None:
    seen: set[str] = set()
    for claim in claims:
        if claim.key in seen:
            raise BadPayload(f"duplicate claim_key {claim.key!r} across files")
        seen.add(claim.key)
