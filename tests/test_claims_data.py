"""The shipped claims file (data/claims/claims.csv): it loads cleanly, every claim names where it
was published or says why not, no link points at an aggregator or rewrite site, and the figures
corrected against their published sources (issue 10) are what the file says, claim by claim."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from tests.clirun import run_tracker
from tests.storecheck import count, fingerprint
from tests.test_claims_ingest import curated_rows, write_claims
from tracker.claims.claim import NO_URL_PREFIX, ClaimRecord, figure_label
from tracker.claims.parse import claim_from_fields
from tracker.claims.queries import claim_history
from tracker.errors import ExitCode, InvalidInput
from tracker.ingest.feeds.claims import ClaimsFeed
from tracker.ingest.run import run_ingest
from tracker.store.db import open_store

CURRENT = "SELECT count(*) FROM claim WHERE superseded_at IS NULL AND removed = :r"
FINDINGS = "SELECT message FROM finding WHERE rule = 'bad_claim' ORDER BY id"
# Sites that republish or rewrite other outlets' reports: never the place a claim was published.
AGGREGATORS = ("tellerreport.com", "redcensor.com", "headtopics.com", "republicangazette.com", "nhub.news", "ru24.net")
D = dt.date


def shipped() -> dict[str, ClaimRecord]:
    """The claims of the shipped file, by key, read as `tracker ingest claims` reads them."""
    feed = ClaimsFeed()
    return {c.key: c for c in feed.parse(feed.fetch()).claims}


def summary(claim: ClaimRecord) -> tuple[object, ...]:
    """What a claim says: who, what it counts, how, over which period, the figure, when said."""
    return (
        claim.source,
        claim.definition,
        claim.kind,
        claim.period,
        figure_label(claim.qualifier, claim.low, claim.best, claim.high),
        claim.published,
    )


# --- the file as shipped ---------------------------------------------------------------------------


def test_the_shipped_claims_file_loads_all_73_claims_with_no_finding(sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    feed = ClaimsFeed()
    parsed = feed.parse(feed.fetch())
    assert (len(parsed.claims), parsed.issues, parsed.complete_kinds) == (73, [], frozenset({"claim"}))
    # 52 about Russia's losses, 21 about Ukraine's.
    assert sum(c.subject == "ukraine" for c in parsed.claims) == 21
    code, out, err = run_tracker(capsys, "ingest", "claims", "--db", sqlite_url)
    assert (code, err) == (ExitCode.OK, "")
    assert "73 records, 73 new" in out and "0 new findings" in out


def test_every_shipped_claim_has_a_url_or_says_why_not() -> None:
    claims = shipped().values()
    without = {c.key: c.note for c in claims if c.url is None}
    assert sorted(without) == ["news-2024-11-11-may-2024-peak", "uk-mod-2024-02-total"]
    for note in without.values():
        assert note is not None and note.startswith(NO_URL_PREFIX) and len(note) > len(NO_URL_PREFIX) + 20
    for claim in claims:
        if claim.url is not None:
            assert urlsplit(claim.url).scheme == "https", claim.key


def test_no_shipped_claim_links_to_an_aggregator_or_rewrite_site() -> None:
    hosts = {c.key: urlsplit(c.url).hostname or "" for c in shipped().values() if c.url}
    on_aggregators = {k: h for k, h in hosts.items() if any(h == a or h.endswith("." + a) for a in AGGREGATORS)}
    assert on_aggregators == {}
    # UK government statements link to gov.uk itself.
    assert hosts["uk-mod-2024-02-22-total"] == hosts["uk-osce-2026-01-total"] == "www.gov.uk"
    assert hosts["csis-2026-01-casualties"] == "www.csis.org"


# Sites that retell what others published (agencies, state outlets, reprints): first-hand for nothing.
RETELLINGS = ("sputnikglobe.com", "rt.com", "republicworld.com", "alarabiya.net", "dagens.com",
              "hawaiitribune-herald.com", "themoscowtimes.com")  # fmt: skip
NOT_FIRST_HAND = "First-hand page not found ("


def test_a_claim_cited_through_a_retelling_says_so_and_names_what_it_retells() -> None:
    claims = shipped()
    retold = {k for k, c in claims.items() if NOT_FIRST_HAND in (c.note or "")}
    # 56 of 73 (issue 23): 32 Defence Intelligence updates (posts on X), 9 Zelensky figures, 6 from
    # the New York Times' US estimates, all 5 of Russia's defence ministry's, and 4 single claims.
    assert (len(retold), sum(claims[k].source == "uk-defence-intelligence" for k in retold)) == (56, 32)
    for key in retold:
        assert claims[key].url and "); quoted via " in (claims[key].note or ""), key
    hosts = {k: urlsplit(c.url).hostname or "" for k, c in claims.items() if c.url}
    on_retellings = {k for k, h in hosts.items() if any(h == r or h.endswith("." + r) for r in RETELLINGS)}
    assert on_retellings and on_retellings <= retold
    # The 11 November 2024 news rows cite the Evening Standard's report (not dagens.com).
    assert {hosts[k] for k in ("news-2024-11-11-day", "news-2024-11-11-total")} == {"streaming.standard.co.uk"}


# --- the corrections of issue 10, claim by claim ---------------------------------------------------


@pytest.mark.parametrize(
    "key, expected",
    [
        # CSIS covers February 2022 to December 2025, published 27 January 2026.
        (
            "csis-2026-01-casualties",
            ("csis", "killed_or_wounded", "cumulative", "2025-12", "about 1,200,000", "2026-01-27"),
        ),
        ("csis-2026-01-killed", ("csis", "killed", "cumulative", "2025-12", "up to 325,000", "2026-01-27")),
        # UK Defence Intelligence's update was published on Monday 7 October 2024.
        (
            "ukdi-2024-10-06-sep-2024-avg",
            ("uk-defence-intelligence", "killed_or_wounded", "daily_average", "2024-09", "1,271", "2024-10-07"),
        ),
        (
            "ukdi-2024-10-06-may-2024-avg",
            ("uk-defence-intelligence", "killed_or_wounded", "daily_average", "2024-05", "1,262", "2024-10-07"),
        ),
        (
            "ukdi-2024-10-06-total",
            (
                "uk-defence-intelligence",
                "killed_or_wounded",
                "cumulative",
                "2024-10-07",
                "more than 648,000",
                "2024-10-07",
            ),
        ),
        # "Over 350,000", not a plain 350,000; and the better primary figures beside it. A UK
        # statement to the OSCE: the OSCE statements' source (issue 23).
        (
            "uk-mod-2024-02-total",
            ("uk-fcdo", "killed_or_wounded", "cumulative", "2024-02", "more than 350,000", "2024-02"),
        ),
        (
            "uk-mod-2024-02-22-total",
            ("uk-mod", "killed_or_wounded", "cumulative", "2024-02-22", "more than 356,000", "2024-02-22"),
        ),
        (
            "ukdi-2024-03-03-total",
            (
                "uk-defence-intelligence",
                "killed_or_wounded",
                "cumulative",
                "2024-03-03",
                "more than 355,000",
                "2024-03-03",
            ),
        ),
        # The US intelligence assessment as reported on 12 December 2023.
        (
            "us-intelligence-2023-12-total",
            ("us-intelligence", "killed_or_wounded", "cumulative", "2023-12", "315,000", "2023-12-12"),
        ),
        # The October 2024 US estimate reported by the New York Times.
        (
            "us-officials-2024-10-casualties",
            ("us-officials", "killed_or_wounded", "cumulative", "2024-10-09", "up to 615,000", "2024-10"),
        ),
        (
            "us-officials-2024-10-killed",
            ("us-officials", "killed", "cumulative", "2024-10-09", "about 115,000", "2024-10"),
        ),
        (
            "us-officials-2024-10-wounded",
            ("us-officials", "wounded", "cumulative", "2024-10-09", "about 500,000", "2024-10"),
        ),
        # The UK statement to the OSCE in January 2026, delivered on Thursday 29 January (issue 23).
        (
            "uk-osce-2026-01-2025-total",
            ("uk-fcdo", "killed_or_wounded", "period_total", "2025", "about 420,000", "2026-01-29"),
        ),
        (
            "uk-osce-2026-01-total",
            ("uk-fcdo", "killed_or_wounded", "cumulative", "2025-12-31", "more than 1,200,000", "2026-01-29"),
        ),
        # Mediazona and BBC's count as published on 2 January 2024, with its page (issue 23).
        (
            "mediazona-bbc-2024-01-named-deaths",
            ("mediazona-bbc", "killed_confirmed_by_name", "cumulative", "2024-01-02", "40,599", "2024-01-02"),
        ),
        # UK Defence Intelligence's update of 20 March 2025: 200,000 to 250,000 killed (issue 23).
        (
            "ukdi-2025-03-killed",
            ("uk-defence-intelligence", "killed", "cumulative", "2025-03", "200,000–250,000", "2025-03-20"),
        ),
        (
            "ukdi-2025-03-total",
            ("uk-defence-intelligence", "killed_or_wounded", "cumulative", "2025-03", "about 900,000", "2025-03-20"),
        ),
        # Claims about Ukraine's losses (issue 23), one per kind of claimant.
        (
            "ua-president-2024-02-25-killed",
            ("ua-president", "killed", "cumulative", "2024-02-25", "31,000", "2024-02-25"),
        ),
        (
            "ua-president-2024-12-08-wounded",
            ("ua-president", "wounded", "cumulative", "2024-12-08", "370,000", "2024-12-08"),
        ),
        (
            "ua-armed-forces-2022-08-22-killed",
            ("ua-armed-forces", "killed", "cumulative", "2022-08-22", "about 9,000", "2022-08-22"),
        ),
        (
            "ua-officials-2023-04-18-missing",
            ("ua-officials", "missing", "cumulative", "2023-04-18", "more than 7,000", "2023-04-18"),
        ),
        (
            "us-dod-2022-11-09-ukraine-total",
            ("us-dod", "killed_or_wounded", "cumulative", "2022-11-09", "more than 100,000", "2022-11-09"),
        ),
        (
            "ru-mod-2024-12-16-2024-total",
            ("ru-mod", "killed_or_wounded", "period_total", "2024-01-01/2024-12-15", "more than 560,000", "2024-12-16"),
        ),
        # The plain 159,000 of the ministry's summary of Shoigu's report (Sputnik's reprint said "over").
        (
            "ru-mod-2023-12-19-counteroffensive",
            ("ru-mod", "killed_or_wounded", "period_total", "2023-06-04/2023-12-19", "159,000", "2023-12-19"),
        ),
        ("csis-2026-01-ukraine-killed", ("csis", "killed", "cumulative", "2025-12", "100,000–140,000", "2026-01-27")),
        ("uk-osce-2025-02-ukraine-killed", ("uk-fcdo", "killed", "cumulative", "2025-01", "about 43,000", "2025-02")),
        # Kept as the news report published it: the comparison shows it 10 below the series' 1,740.
        (
            "news-2024-11-11-may-2024-peak",
            ("news-report", "killed_or_wounded", "peak_day", "2024-05", "1,730", "2024-11-11"),
        ),
    ],
)
def test_a_corrected_or_added_claim_says_what_its_published_source_says(key: str, expected: tuple[object, ...]) -> None:
    assert summary(shipped()[key]) == expected


def test_both_sides_claims_are_labelled_by_who_made_them_and_checked_pages_only() -> None:
    ukraine = {k: c for k, c in shipped().items() if c.subject == "ukraine"}
    assert len(ukraine) == 21
    assert {c.source for c in ukraine.values()} == {
        "ua-president", "ua-armed-forces", "ua-officials", "us-dod", "uk-fcdo", "csis", "ru-mod",
    }  # fmt: skip
    # Every one links the page it was checked against: none without a URL, none on a rewrite site.
    assert all(c.url and urlsplit(c.url).scheme == "https" for c in ukraine.values())
    assert {c.definition for c in ukraine.values()} == {"killed", "wounded", "killed_or_wounded", "missing"}
    published = sorted(c.published for c in ukraine.values())
    assert (published[0], published[-1]) == ("2022-04-15", "2026-02-04")
    # CSIS's casualty counts include the missing, on both sides: the notes say so.
    for key in ("csis-2026-01-casualties", "csis-2026-01-ukraine-casualties"):
        assert "killed, wounded or missing" in (shipped()[key].note or "")


# --- the rule: a URL, or a note saying why not -----------------------------------------------------

ROW = {
    "claim_key": "test-no-url",
    "source": "uk-defence-intelligence",
    "subject": "russia",
    "metric": "personnel",
    "definition": "killed_or_wounded",
    "kind": "daily_average",
    "period": "2024-09",
    "best": "1271",
    "published": "2024-10-07",
}


@pytest.mark.parametrize(
    "url, note, message",
    [
        (
            "",
            "",
            "url is missing: give the address where the claim was published, "
            "or start the note with 'No URL:' and say why there is none",
        ),
        ("", "September average.", "url is missing"),
        ("", "No URL:   ", "the note says 'No URL:' but gives no reason after it"),
        (
            "https://example.org/a",
            "No URL: not online.",
            "the note starts with 'No URL:' but the claim has a url; drop one of them",
        ),
    ],
)
def test_a_claim_needs_a_url_or_a_note_saying_why_not(url: str, note: str, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        claim_from_fields({**ROW, "url": url, "note": note})
    assert str(err.value).startswith(message)


def test_a_claim_without_a_url_is_accepted_when_its_note_says_why() -> None:
    claim = claim_from_fields({**ROW, "note": "no url: read out on BBC radio, no transcript published."})
    assert (claim.url, claim.note) == (None, "no url: read out on BBC radio, no transcript published.")


def test_a_row_with_neither_url_nor_reason_is_a_finding_and_the_other_rows_are_stored(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_ingest(store_url, ClaimsFeed()).counts.new == 73
    rows = curated_rows()
    line, row = next((n + 2, r) for n, r in enumerate(rows) if r["claim_key"] == "uk-cds-2024-11-10-oct-2024-avg")
    old_url, row["url"] = row["url"], ""
    path = write_claims(tmp_path / "no-url.csv", rows)

    code, out, err = run_tracker(capsys, "ingest", "claims", "--from", path, "--feed", "claims-file", "--db", store_url)

    assert (code, err) == (ExitCode.FINDINGS, "")
    assert count(store_url, CURRENT, r=False) == 73 and count(store_url, CURRENT, r=True) == 0
    # The claim keeps the revision it had: a bad row is neither revised nor removed.
    engine = open_store(store_url, write=False)
    (history,) = claim_history(engine, "uk-cds-2024-11-10-oct-2024-avg")
    with engine.connect() as conn:
        (message,) = [r[0] for r in conn.execute(text(FINDINGS))]
    engine.dispose()
    assert [(h["revision"], h["url"]) for h in history] == [(1, old_url)]
    assert message == (
        f"{path} line {line}: claim 'uk-cds-2024-11-10-oct-2024-avg': url is missing: give the address where "
        "the claim was published, or start the note with 'No URL:' and say why there is none; "
        "not stored, and no claim is recorded as removed this run"
    )


def test_claims_add_without_a_url_needs_a_reason_too(sqlite_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["claims", "add", "--source", "us-dod", "--definition", "killed_or_wounded", "--kind", "cumulative"]
    args += ["--period", "2024-10-09", "--best", "600000", "--published", "2024-10-09", "--db", sqlite_url]
    assert run_ingest(sqlite_url, ClaimsFeed()).status == "ok"
    before = fingerprint(sqlite_url)
    code, _, err = run_tracker(capsys, *args, "--qualifier", "about")
    assert code == ExitCode.USAGE and err.startswith("error: url is missing") and len(err.splitlines()) == 1
    assert fingerprint(sqlite_url) == before
    code, out, err = run_tracker(capsys, *args, "--qualifier", "about", "--note", "No URL: said at a briefing.")
    assert (code, err) == (ExitCode.OK, "") and "about 600,000" in out
