"""Curated claims of other sources: a CSV a journalist edits by hand (data/claims/claims.csv).

The file is a full snapshot of the curated claims: a claim edited in it gets a new revision, a
claim deleted from it a removal revision. Columns are documented in data/claims/README.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tracker.claims.records import ClaimRecord
from tracker.claims.validate import FIELDS, claim_from_fields, identity, to_fields
from tracker.errors import BadPayload, InvalidInput
from tracker.feeds.payload import describe
from tracker.records import Fetched, ParsedPayload
from tracker.sources import CURATED

DEFAULT_FILE = Path(__file__).resolve().parent.parent.parent / "data" / "claims" / "claims.csv"
MAX_BYTES = 20 * 1024 * 1024


class ClaimsFeed:
    """The curated claims file, from the repository, another local path or an http(s) URL."""

    name = "claims-file"
    source = CURATED
    default_location = str(DEFAULT_FILE)

    def fetch(self, location: str | None = None, **options: object) -> list[Fetched]:
        location = location or self.default_location
        if location.startswith(("http://", "https://")):
            from tracker import http

            return [http.fetch(location, client=options.get("client"), role="claims")]  # type: ignore[arg-type]
        path = Path(location)
        if not path.is_file():
            raise InvalidInput(f"{path}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path}: {path.stat().st_size:,} bytes is too large for a claims file")
        return [Fetched(str(path), path.read_bytes(), dt.datetime.now(dt.UTC), "text/csv", None, "claims")]

    def parse(self, fetched: list[Fetched]) -> ParsedPayload:
        claims: list[ClaimRecord] = []
        for item in fetched:
            claims.extend(parse_claims_csv(item.content, item.location))
        if not claims:
            # A complete file with no claims would record the removal of every curated claim:
            # far likelier a botched edit than a decision, so it is refused.
            raise BadPayload(
                f"{', '.join(f.location for f in fetched)}: no claims in the file "
                "(refusing to record the removal of every claim)"
            )
        _check_duplicates_across(claims)
        return ParsedPayload(claims=claims, complete_kinds=frozenset({"claim"}))


class SingleClaimFeed:
    """One claim written with `tracker claims add`: archived as a one-row CSV, never removing others."""

    name = "cli"
    source = CURATED
    default_location = "tracker claims add"

    def __init__(self, claim: ClaimRecord) -> None:
        self.claim = claim

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
        claims = [c for item in fetched for c in parse_claims_csv(item.content, item.location)]
        return ParsedPayload(claims=claims, complete_kinds=frozenset())


def claims_to_csv(claims: list[ClaimRecord]) -> str:
    """Claims as a claims file (the header and one row each)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for claim in claims:
        writer.writerow(to_fields(claim))
    return out.getvalue()


def parse_claims_csv(content: bytes, where: str) -> list[ClaimRecord]:
    """Every row of a claims file as a validated claim; BadPayload names the first bad line."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadPayload(f"{where}: not UTF-8 text") from None
    if not text.strip():
        raise BadPayload(f"{where}: empty file")
    if text.lstrip().startswith("<"):
        raise BadPayload(f"{where}: expected CSV, got {describe(content)}")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise BadPayload(f"{where} line 1: {exc}") from None
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
    claims: list[ClaimRecord] = []
    keys: dict[str, int] = {}
    same: dict[tuple, int] = {}
    line_no = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise BadPayload(f"{where} line {start}: {exc}") from None
        line_no = start
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != len(header):
            raise BadPayload(f"{where} line {line_no}: expected {len(header)} fields, got {len(row)}")
        try:
            claim = claim_from_fields(dict(zip(header, row)))
        except InvalidInput as exc:
            raise BadPayload(f"{where} line {line_no}: {exc}") from None
        if claim.key in keys:
            raise BadPayload(
                f"{where} line {line_no}: duplicate claim_key {claim.key!r} (first on line {keys[claim.key]})"
            )
        if identity(claim) in same:
            raise BadPayload(
                f"{where} line {line_no}: duplicate of the claim on line {same[identity(claim)]} "
                "(same source, published date, kind, period, definition and figures)"
            )
        keys[claim.key] = line_no
        same[identity(claim)] = line_no
        claims.append(claim)
    return claims


def _check_duplicates_across(claims: list[ClaimRecord]) -> None:
    seen: set[str] = set()
    for claim in claims:
        if claim.key in seen:
            raise BadPayload(f"duplicate claim_key {claim.key!r} across files")
        seen.add(claim.key)
