"""Withdrawals are held, not fatal (issue 22).

A full snapshot that leaves out rows the store holds removes them (a removal revision). When
what it leaves out of one series looks like a broken upstream file rather than a retraction (the
whole series, its latest reports cut off, a large share of it), those removals are **held**: the
rows stay current, untouched (neither removed nor seen), and a withdrawal records them until
someone decides (`tracker feeds accept-withdrawal`, or `--allow-shrink` on a run) or upstream
undoes it (the rows come back). The rest of the run is stored as usual.

A series is (kind, metric, side) within one feed: it is judged on its own, so a withdrawal is
seen whatever the size of the feed around it. A claims file (a feed of the `claim` table) is
judged as one whole: its claims are not a series of dates (judge_claims).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, tuple_, update

from tracker.errors import InvalidInput
from tracker.ingest.validation import series_name
from tracker.store import models as m
from tracker.store.db import as_utc
from tracker.store.revisions import CurrentRow, Key, Stamp
from tracker.store.run_report import ACCEPTED_STATUS, NewFinding

# A series' removals are held when they take every row it had; or its latest report and the one
# before it (a file cut short: upstream retracts one report at a time, and re-adds it, so the
# single latest report going still passes — the dataset's 2023-05-09 removal did just that); or
# more than SERIES_MAX_SHARE of its rows and more than SERIES_MIN_ROWS (one report's typo fixed
# by deleting it, a few scattered rows, pass as before; 80 prisoner-of-war values of some 140
# do not).
TAIL_CUT_REPORTS = 2
SERIES_MAX_SHARE = 0.02
SERIES_MIN_ROWS = 3
# A documented series (Oryx: a count of losses documented so far) removes nothing when a snapshot
# goes wrong: a new day's figures simply fall (an all-zero file, Russia's and Ukraine's columns
# swapped). A category whose total falls below the previous snapshot's by more than
# DOCUMENTED_DROP_SHARE and by more than DOCUMENTED_DROP_MIN is held the same way (its total and
# status parts that day are not stored): Oryx's own corrections (a duplicate struck off) take a
# few items at a time. Its recounts can take more (15 falls of >5% in 621 real snapshots, e.g.
# Ukraine's reconnaissance drones 1,950 -> 296 when the category was split): each is held once,
# and stored with the next snapshot, which closes the withdrawal.
DOCUMENTED_DROP_SHARE = 0.05
DOCUMENTED_DROP_MIN = 3
# A claims file's removals are held when they take every claim its feed holds (an emptied file,
# or another file saved over it), or more than CLAIMS_MAX_REMOVED claims at once: a curator
# retracts a claim or two in an edit (the curated file has lost none of its keys in its history),
# while a file cut short, or saved from the wrong sheet, drops many.
CLAIMS_MAX_REMOVED = 3
# withdrawal_row.kind of a held claim. The table was made for observations (and the schema stays
# at 0007): a claim's row keeps its key in `held_values` as {"claim_key": ...}, and its metric,
# subject (as side) and publication date (as report_date), so the row reads on its own and the
# key needs no parsing back out of the withdrawal's summary.
CLAIM_KIND = m.CLAIM_ROW_KIND
RULE = "withdrawal_held"
# Statuses of a withdrawal; "held" is the open one.
HELD, ACCEPTED, UNDONE = "held", "accepted", "undone"
# The status of the run that accept-withdrawal records: not a fetch, so not a "success" that would
# make a stale feed look fresh, and never the previous run an unchanged payload is compared with.
ACCEPT_STATUS = ACCEPTED_STATUS

# How many series a withdrawal's summary names (an emptied file holds some thirty).
DESCRIBED = 4
# A held row's key: (kind, metric id, side, report date).
HeldKey = tuple[str, int, str, dt.date]


def judge_series(removed: set[dt.date], dates: list[dt.date]) -> str | None:
    """Why removing `removed` from a series whose current report dates are `dates` (sorted) is
    held, or None when it is applied as a retraction."""
    n, gone = len(dates), len(removed)
    if not gone:
        return None
    if gone >= n:
        return "every row"
    tail = 0
    for day in reversed(dates):
        if day not in removed:
            break
        tail += 1
    if tail >= TAIL_CUT_REPORTS:
        return f"its latest {tail} reports"
    if gone > SERIES_MIN_ROWS and gone > SERIES_MAX_SHARE * n:
        return f"{gone / n:.0%} of it"
    return None


@dataclass
class Holding:
    """What a run holds back, kind by kind: the keys it would have removed (`gone`), those held
    (`held`), why each series was held (`why`), and the keys still held by an open withdrawal
    (`open_keys`: held again whatever the rule says, until someone decides)."""

    allow_shrink: bool
    open_keys: set[HeldKey]
    gone: set[HeldKey] = field(default_factory=set)
    held: set[HeldKey] = field(default_factory=set)
    why: dict[tuple[str, int, str], str] = field(default_factory=dict)
    # A documented series' drops held back: the values the snapshot brought (not stored).
    values: dict[HeldKey, tuple[Any, ...]] = field(default_factory=dict)

    def hold_drops(self, by_kind: dict[str, dict[Key, Any]], drops: Mapping[tuple[int, str], tuple[int, int]]) -> None:
        """Take the (metric id, side) series that `drops` names (last stored value, new value) out
        of every kind of the payload and hold them; nothing when the run says --allow-shrink."""
        if self.allow_shrink or not drops:
            return
        for kind, incoming in by_kind.items():
            for key in [k for k in incoming if (k[0], k[1]) in drops]:
                held: HeldKey = (kind, *key)
                self.values[held] = tuple(incoming.pop(key))
                self.held.add(held)
        for (metric_id, side), (last, new) in drops.items():
            self.why[("total", metric_id, side)] = f"fell from {last:,} to {new:,}"

    def hold(
        self, kind: str, whole_dates: Callable[[set[tuple[int, str]]], dict[tuple[int, str], list[dt.date]]] | None
    ) -> Callable[[list[Key], Mapping[Key, CurrentRow]], set[Key]]:
        """The `hold` callback of apply_snapshot for one kind: keys are (metric id, side, date).
        `whole_dates` reads a series' dates from the store when the payload was compared with a
        date window only (the rows in `current` are not the whole series)."""

        def hold(gone: list[Key], current: Mapping[Key, CurrentRow]) -> set[Key]:
            # A dropped figure taken out of the payload keeps the stored one of its day, if any.
            kept = {key for key in gone if (kind, *key) in self.values}
            gone = [key for key in gone if key not in kept]
            self.gone.update((kind, *key) for key in gone)
            if self.allow_shrink:
                return kept
            by_series: dict[tuple[int, str], set[dt.date]] = {}
            for metric_id, side, day in gone:
                by_series.setdefault((metric_id, side), set()).add(day)
            if whole_dates is not None:
                dates = whole_dates(set(by_series))
            else:
                dates = {s: [] for s in by_series}
                for (metric_id, side, day), cur in current.items():
                    if not cur.removed and (metric_id, side) in dates:
                        dates[(metric_id, side)].append(day)
            held: set[Key] = set()
            for series, removed in by_series.items():
                why = judge_series(removed, sorted(dates.get(series, [])))
                if why is not None:
                    self.why[(kind, *series)] = why
                    held.update((*series, day) for day in removed)
                else:
                    held.update((*series, d) for d in removed if (kind, *series, d) in self.open_keys)
            self.held.update((kind, *key) for key in held)
            return held | kept

        return hold


def judge_claims(gone: int, current: int) -> str | None:
    """Why removing `gone` of the `current` claims a claims file's feed holds is held, or None
    when it is applied as the curator's edit."""
    if not gone:
        return None
    if gone >= current:
        return "every claim of its feed"
    if gone > CLAIMS_MAX_REMOVED:
        return f"{gone:,} of its {current:,} claims at once"
    return None


# What a held claim's withdrawal_row records of it: (metric, subject, publication date).
ClaimFacts = tuple[str, str, dt.date]


@dataclass
class ClaimHolding:
    """What a claims file's run holds back: the claim keys it would have removed (`gone`), those
    held (`held`) and why, and the keys still held by an open withdrawal of its feed (`open_keys`:
    key -> (withdrawal id, row id), held again whatever the rule says, until someone decides).
    `facts` reads a current claim's ClaimFacts from its stored values."""

    allow_shrink: bool
    open_keys: Mapping[str, tuple[int, int]]
    facts: Callable[[tuple[Any, ...]], ClaimFacts]
    gone: set[str] = field(default_factory=set)
    held: dict[str, ClaimFacts] = field(default_factory=dict)
    why: str | None = None

    def hold(self, gone: list[Key], current: Mapping[Key, CurrentRow]) -> set[Key]:
        """The `hold` callback of apply_snapshot on the claim table (keys are (claim_key,))."""
        self.gone.update(key[0] for key in gone)
        if self.allow_shrink:
            return set()
        self.why = judge_claims(len(gone), sum(1 for cur in current.values() if not cur.removed))
        held = gone if self.why is not None else [key for key in gone if key[0] in self.open_keys]
        self.held = {key[0]: self.facts(current[key].values) for key in held}
        return set(held)


def open_claim_keys(conn: Connection, feed_id: int) -> dict[str, tuple[int, int]]:
    """Every claim key an open withdrawal of the (claims) feed holds: its withdrawal's and row's id."""
    w, r = m.withdrawal, m.withdrawal_row
    rows = conn.execute(
        select(r.c.held_values, w.c.id, r.c.id)
        .join(w, w.c.id == r.c.withdrawal_id)
        .where(w.c.feed_id == feed_id, w.c.status == HELD, r.c.closed_run_id.is_(None), r.c.kind == CLAIM_KIND)
    ).all()
    return {json.loads(values)["claim_key"]: (wid, rid) for values, wid, rid in rows}


def record_claims(
    conn: Connection,
    *,
    feed_id: int,
    feed_label: str,
    run_id: int,
    now: dt.datetime,
    holding: ClaimHolding,
    incoming: Iterable[str],
    metric_ids: Mapping[str, int],
) -> NewFinding | None:
    """After a claims file's run is stored: open a withdrawal for the claims it newly held (with
    its finding, returned), and close the rows of open withdrawals whose claims came back or were
    removed (a withdrawal with none left closes, as in `record`)."""
    r = m.withdrawal_row
    finding: NewFinding | None = None
    new = {key: facts for key, facts in holding.held.items() if key not in holding.open_keys}
    if new:
        days = sorted(facts[2] for facts in new.values())
        summary = f"claims: {len(new):,}" + (f" ({holding.why})" if holding.why else "")
        message = (
            f"{len(new):,} claim(s) held, not removed: this file would remove {holding.why or 'them'} "
            f"(published {days[0]}..{days[-1]}); "
            f"`tracker feeds accept-withdrawal {feed_label} --run {run_id}` applies it"
        )
        finding = NewFinding(RULE, "warning", None, days[-1], message)
        withdrawal_id = _open_withdrawal(conn, feed_id, Stamp(now, run_id), days, summary, finding)
        conn.execute(
            insert(r),
            [
                {
                    "withdrawal_id": withdrawal_id,
                    "kind": CLAIM_KIND,
                    "metric_id": metric_ids[metric],
                    "side": subject,
                    "report_date": published,
                    "held_values": json.dumps({"claim_key": key}),
                }
                for key, (metric, subject, published) in sorted(new.items())
            ],
        )
    back = set(incoming)
    closed: dict[int, bool] = {}
    done: list[int] = []
    for key, (withdrawal_id, row_id) in holding.open_keys.items():
        if key in holding.held:
            continue
        removed = key in holding.gone
        if removed or key in back:
            done.append(row_id)
            closed[withdrawal_id] = closed.get(withdrawal_id, False) or removed
    _close_rows(conn, done, closed, Stamp(now, run_id))
    return finding


def _apply_claim_rows(conn: Connection, feed_id: int, rows: Sequence[Any], now: dt.datetime, run_id: int) -> int:
    """Apply held claims as removal revisions of their feed's claims (those still current);
    returns how many were removed."""
    claim = m.claim
    keys = [json.loads(row.held_values)["claim_key"] for row in rows]
    current = conn.execute(
        select(claim.c.id, claim.c.claim_key, claim.c.revision).where(
            claim.c.feed_id == feed_id,
            claim.c.superseded_at.is_(None),
            claim.c.removed.is_(False),
            claim.c.claim_key.in_(keys),
        )
    ).all()
    if not current:
        return 0
    conn.execute(update(claim).where(claim.c.id.in_([c.id for c in current])).values(superseded_at=now))
    conn.execute(
        insert(claim),
        [
            dict(
                feed_id=feed_id,
                claim_key=c.claim_key,
                revision=c.revision + 1,
                removed=True,
                first_seen_at=now,
                last_seen_at=now,
                run_id=run_id,
                last_seen_run_id=run_id,
            )  # fmt: skip
            for c in current
        ],
    )
    return len(current)


def documented_drops(
    conn: Connection, feed_id: int, totals: Mapping[Key, Any], start: dt.date
) -> dict[tuple[int, str], tuple[int, int]]:
    """The series of a documented snapshot (its totals keyed (metric id, side, date), dated from
    `start`) whose figure falls below the series' previous snapshot (its last point before
    `start`, stored or held) by more than DOCUMENTED_DROP_SHARE and DOCUMENTED_DROP_MIN:
    (metric id, side) -> (last value, lowest new)."""
    last, days = _last_stored_totals(conn, feed_id, start)
    _count_held_drops(conn, feed_id, start, last, days)
    drops: dict[tuple[int, str], tuple[int, int]] = {}
    for (metric_id, side, _day), values in totals.items():
        before, new = last.get((metric_id, side)), values[0]
        if before is None or new is None:
            continue
        fall = before - new
        if fall > DOCUMENTED_DROP_MIN and fall > DOCUMENTED_DROP_SHARE * before:
            lowest = min(new, drops.get((metric_id, side), (before, new))[1])
            drops[(metric_id, side)] = (before, lowest)
    return drops


def _last_stored_totals(
    conn: Connection, feed_id: int, start: dt.date
) -> tuple[dict[tuple[int, str], Any], dict[tuple[int, str], dt.date]]:
    """Each series' last current total before `start` in the store: (metric id, side) -> value,
    and -> its report date."""
    obs = m.observation
    current = and_(
        obs.c.feed_id == feed_id, obs.c.kind == "total", obs.c.superseded_at.is_(None), obs.c.removed.is_(False)
    )
    latest = (
        select(obs.c.metric_id, obs.c.side, func.max(obs.c.report_date).label("day"))
        .where(current, obs.c.report_date < start)
        .group_by(obs.c.metric_id, obs.c.side)
        .subquery()
    )
    last = {
        (metric_id, side): value
        for metric_id, side, value in conn.execute(
            select(obs.c.metric_id, obs.c.side, obs.c.value)
            .join(
                latest,
                and_(
                    obs.c.metric_id == latest.c.metric_id,
                    obs.c.side == latest.c.side,
                    obs.c.report_date == latest.c.day,
                ),
            )
            .where(current)
        )
    }
    days = {
        (metric_id, side): day
        for metric_id, side, day in conn.execute(select(latest.c.metric_id, latest.c.side, latest.c.day))
    }
    return last, days


def _count_held_drops(
    conn: Connection,
    feed_id: int,
    start: dt.date,
    last: dict[tuple[int, str], Any],
    days: dict[tuple[int, str], dt.date],
) -> None:
    """Take a drop an open withdrawal held before `start` as its series' previous snapshot (in
    `last` and `days`) when it is later than the stored total.

    A fall is held once, at the snapshot that brings it, and a figure that stays down is stored
    the next time (the drop "at once" is what looks broken; Oryx's own recounts move a category
    down and keep it there)."""
    w, r = m.withdrawal, m.withdrawal_row
    for metric_id, side, day, values in conn.execute(
        select(r.c.metric_id, r.c.side, r.c.report_date, r.c.held_values)
        .join(w, w.c.id == r.c.withdrawal_id)
        .where(
            w.c.feed_id == feed_id,
            w.c.status == HELD,
            r.c.closed_run_id.is_(None),
            r.c.kind == "total",
            r.c.held_values.is_not(None),
            r.c.report_date < start,
        )
    ):
        if day > days.get((metric_id, side), dt.date.min):
            days[(metric_id, side)] = day
            last[(metric_id, side)] = json.loads(values)[0]


def open_keys(conn: Connection, feed_id: int) -> dict[HeldKey, tuple[int, int, bool]]:
    """Every key an open withdrawal of the feed holds: its withdrawal's id, its row's id, and
    whether it holds a documented drop (values not stored) rather than a removal."""
    w, r = m.withdrawal, m.withdrawal_row
    rows = conn.execute(
        select(r.c.kind, r.c.metric_id, r.c.side, r.c.report_date, w.c.id, r.c.id, r.c.held_values.is_not(None))
        .join(w, w.c.id == r.c.withdrawal_id)
        .where(w.c.feed_id == feed_id, w.c.status == HELD, r.c.closed_run_id.is_(None), r.c.kind != CLAIM_KIND)
    ).all()
    return {(k, mid, side, day): (wid, rid, bool(drop)) for k, mid, side, day, wid, rid, drop in rows}


def whole_series_dates(
    conn: Connection, feed_id: int, kind: str
) -> Callable[[set[tuple[int, str]]], dict[tuple[int, str], list[dt.date]]]:
    """A reader of the current report dates of some series of the feed's `kind`, whole."""
    obs = m.observation

    def read(series: set[tuple[int, str]]) -> dict[tuple[int, str], list[dt.date]]:
        out: dict[tuple[int, str], list[dt.date]] = {s: [] for s in series}
        for metric_id, side in series:
            out[(metric_id, side)] = list(
                conn.execute(
                    select(obs.c.report_date).where(
                        obs.c.feed_id == feed_id,
                        obs.c.kind == kind,
                        obs.c.metric_id == metric_id,
                        obs.c.side == side,
                        obs.c.superseded_at.is_(None),
                        obs.c.removed.is_(False),
                    )
                ).scalars()
            )
        return out

    return read


def _open_withdrawal(
    conn: Connection, feed_id: int, stamp: Stamp, days: list[dt.date], summary: str, finding: NewFinding
) -> int:
    """Insert a new withdrawal of `len(days)` held keys (their dates, sorted) held by the run of
    `stamp`, and its open `withdrawal_held` finding; the withdrawal's id."""
    now, run_id = stamp.now, stamp.run_id
    finding_id = conn.execute(
        insert(m.finding)
        .values(
            feed_id=feed_id,
            run_id=run_id,
            last_run_id=run_id,
            rule=RULE,
            severity="warning",
            metric=None,
            report_date=finding.report_date,
            message=finding.message,
            status="open",
            first_seen_at=now,
            last_seen_at=now,
        )  # fmt: skip
        .returning(m.finding.c.id)
    ).scalar_one()
    w = m.withdrawal
    return int(
        conn.execute(
            insert(w)
            .values(
                feed_id=feed_id,
                run_id=run_id,
                status=HELD,
                opened_at=now,
                n_rows=len(days),
                metrics=summary,
                first_date=days[0],
                last_date=days[-1],
                finding_id=finding_id,
            )  # fmt: skip
            .returning(w.c.id)
        ).scalar_one()
    )


def _describe(keys: Iterable[HeldKey], names: Mapping[int, str], why: Mapping[tuple[str, int, str], str]) -> str:
    """The series of some held keys, the largest first (then those judged, with why), each with
    its count ("pow total: 40 (its latest 40 reports)"); past DESCRIBED series, how many more."""
    per: dict[tuple[str, int, str], int] = {}
    for kind, metric_id, side, _day in keys:
        per[(kind, metric_id, side)] = per.get((kind, metric_id, side), 0) + 1
    ordered = sorted(per.items(), key=lambda item: (-item[1], item[0] not in why, names[item[0][1]], item[0]))
    parts = []
    for (kind, metric_id, side), n in ordered[:DESCRIBED]:
        reason = why.get((kind, metric_id, side))
        parts.append(f"{series_name(names[metric_id], side)} {kind}: {n:,}" + (f" ({reason})" if reason else ""))
    if len(ordered) > DESCRIBED:
        parts.append(f"{len(ordered) - DESCRIBED} more series")
    return "; ".join(parts)


def record(
    conn: Connection,
    *,
    feed_id: int,
    feed_label: str,
    stamp: Stamp,
    holding: Holding,
    before: Mapping[HeldKey, tuple[int, int, bool]],
    incoming: Mapping[str, Mapping[Key, Any]],
    names: Mapping[int, str],
) -> tuple[NewFinding | None, int]:
    """After a run's rows are stored: open a withdrawal for the keys it newly held (with its
    finding, returned), and close the rows of open withdrawals that came back or were removed
    (a withdrawal with none left closes: accepted when this run removed some, else undone, and
    its finding resolves). `before` are the keys open withdrawals held before the run, `incoming`
    the payload's rows by kind (a held drop comes back when its series has a later point stored).
    Returns the new finding and how many keys are held (`stamp`: the run, observed when)."""
    new = holding.held - before.keys()
    finding = _open_for_rows(conn, feed_id, feed_label, stamp, holding, new, names) if new else None
    done, closed = _rows_released(holding, before, incoming)
    _close_rows(conn, done, closed, stamp)
    return finding, len(holding.held)


def _open_for_rows(
    conn: Connection,
    feed_id: int,
    feed_label: str,
    stamp: Stamp,
    holding: Holding,
    new: set[HeldKey],
    names: Mapping[int, str],
) -> NewFinding:
    """Open a withdrawal of the `new` keys a run held, one withdrawal_row per key (a held drop's
    row keeps the values the snapshot brought); its finding."""
    days = sorted(key[3] for key in new)
    metrics = _describe(new, names, holding.why)
    message = (
        f"{len(new):,} row(s) held, not changed: this snapshot would remove them or bring them far "
        f"below the last stored point ({metrics}; reports {days[0]}..{days[-1]}); "
        f"`tracker feeds accept-withdrawal {feed_label} --run {stamp.run_id}` applies it"
    )
    finding = NewFinding(RULE, "warning", None, days[-1], message)
    withdrawal_id = _open_withdrawal(conn, feed_id, stamp, days, metrics, finding)
    conn.execute(
        insert(m.withdrawal_row),
        [
            {
                "withdrawal_id": withdrawal_id,
                "kind": k,
                "metric_id": mid,
                "side": side,
                "report_date": day,
                "held_values": _as_json(holding.values.get((k, mid, side, day))),
            }
            for k, mid, side, day in sorted(new)
        ],
    )
    return finding


def _rows_released(
    holding: Holding, before: Mapping[HeldKey, tuple[int, int, bool]], incoming: Mapping[str, Mapping[Key, Any]]
) -> tuple[list[int], dict[int, bool]]:
    """The open withdrawal rows no longer held: removed by this run (--allow-shrink), or back in
    its payload (a held drop: a later point of its series). A row out of the payload's scope was
    not compared: it stays held. Their ids, and withdrawal id -> whether this run removed any."""
    closed: dict[int, bool] = {}
    done: list[int] = []
    latest = _latest_dates(incoming)
    for key, (withdrawal_id, row_id, drop) in before.items():
        if key in holding.held:
            continue
        removed = key in holding.gone
        kind, metric_id, side, day = key
        back = (metric_id, side, day) in incoming.get(kind, {}) or (
            drop and latest.get((kind, metric_id, side), day) > day
        )
        if removed or back:
            done.append(row_id)
            closed[withdrawal_id] = closed.get(withdrawal_id, False) or removed
    return done, closed


def _latest_dates(incoming: Mapping[str, Mapping[Key, Any]]) -> dict[tuple[str, int, str], dt.date]:
    """The latest report date of each (kind, metric id, side) series in a payload's rows."""
    latest: dict[tuple[str, int, str], dt.date] = {}
    for kind, rows in incoming.items():
        for metric_id, side, day in rows:
            if day > latest.get((kind, metric_id, side), day - dt.timedelta(days=1)):
                latest[(kind, metric_id, side)] = day
    return latest


def _close_rows(conn: Connection, done: list[int], closed: Mapping[int, bool], stamp: Stamp) -> None:
    """Close the withdrawal rows `done` in the run of `stamp`, then the withdrawals among `closed`
    (id -> whether the run removed any of their rows) left with no row held."""
    r = m.withdrawal_row
    for chunk in _chunks(done, 500):
        conn.execute(update(r).where(r.c.id.in_(chunk)).values(closed_run_id=stamp.run_id))
    _close_finished(conn, closed, stamp.run_id, stamp.now)


def _apply_rows(conn: Connection, feed_id: int, rows: Sequence[Any], now: dt.datetime, run_id: int) -> tuple[int, int]:
    """Apply held rows as the next revision of their keys: a removal, or for a held drop the
    values the snapshot brought. Returns how many were removed and how many values stored."""
    obs = m.observation
    current = {
        (c.kind, c.metric_id, c.side, c.report_date): c
        for c in conn.execute(
            select(
                obs.c.id,
                obs.c.source_id,
                obs.c.kind,
                obs.c.metric_id,
                obs.c.side,
                obs.c.report_date,
                obs.c.revision,
                obs.c.removed,
            ).where(  # fmt: skip
                obs.c.feed_id == feed_id,
                obs.c.superseded_at.is_(None),
                tuple_(obs.c.kind, obs.c.metric_id, obs.c.side, obs.c.report_date).in_(
                    [(k.kind, k.metric_id, k.side, k.report_date) for k in rows]
                ),
            )
        )
    }
    source_id = conn.execute(select(m.feed.c.source_id).where(m.feed.c.id == feed_id)).scalar_one()
    supersede: list[int] = []
    inserts: list[dict[str, Any]] = []
    for k in rows:
        cur = current.get((k.kind, k.metric_id, k.side, k.report_date))
        base = dict(
            source_id=source_id, feed_id=feed_id, kind=k.kind, metric_id=k.metric_id, side=k.side,
            report_date=k.report_date, first_seen_at=now, last_seen_at=now, run_id=run_id, last_seen_run_id=run_id,
        )  # fmt: skip
        if k.held_values is None:  # a removal held back
            if cur is None or cur.removed:
                continue
            inserts.append({**base, "revision": cur.revision + 1, "removed": True})
        else:  # a documented drop held back: the snapshot's values
            value, qualifier, reported, definition = json.loads(k.held_values)
            inserts.append(
                {
                    **base,
                    "revision": cur.revision + 1 if cur is not None else 1,
                    "removed": False,
                    "value": value,
                    "qualifier": qualifier,
                    "reported_increase": reported,
                    "definition": definition,
                }
            )
        if cur is not None:
            supersede.append(cur.id)
    if supersede:
        conn.execute(update(obs).where(obs.c.id.in_(supersede)).values(superseded_at=now))
    if inserts:
        conn.execute(insert(obs), inserts)
    removed = sum(1 for row in inserts if row["removed"])
    return removed, len(inserts) - removed


def _remove_bare_notes(conn: Connection, feed_id: int, dates: set[dt.date], now: dt.datetime, run_id: int) -> None:
    """Remove the notes (official page, direction) of the `dates` whose figures the feed no longer
    holds: a note is part of its report, held with its figures and removed with them."""
    obs, note = m.observation, m.report_note
    for chunk in _chunks(sorted(dates), 500):
        figured = select(obs.c.id).where(
            obs.c.feed_id == feed_id,
            obs.c.report_date == note.c.report_date,
            obs.c.superseded_at.is_(None),
            obs.c.removed.is_(False),
        )
        bare = conn.execute(
            select(note.c.id, note.c.source_id, note.c.key, note.c.report_date, note.c.revision).where(
                note.c.feed_id == feed_id,
                note.c.report_date.in_(chunk),
                note.c.superseded_at.is_(None),
                note.c.removed.is_(False),
                ~figured.exists(),
            )
        ).all()
        if not bare:
            continue
        conn.execute(update(note).where(note.c.id.in_([b.id for b in bare])).values(superseded_at=now))
        conn.execute(
            insert(note),
            [
                dict(
                    source_id=b.source_id,
                    feed_id=feed_id,
                    key=b.key,
                    report_date=b.report_date,
                    text=None,
                    revision=b.revision + 1,
                    removed=True,
                    first_seen_at=now,
                    last_seen_at=now,
                    run_id=run_id,
                    last_seen_run_id=run_id,
                )  # fmt: skip
                for b in bare
            ],
        )


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    return (items[i : i + size] for i in range(0, len(items), size))


def _as_json(values: tuple[Any, ...] | None) -> str | None:
    return None if values is None else json.dumps(list(values))


def _close_finished(conn: Connection, touched: Mapping[int, bool], run_id: int, now: dt.datetime) -> None:
    """Close the withdrawals among `touched` with no row left held, and resolve their findings."""
    w, r = m.withdrawal, m.withdrawal_row
    for withdrawal_id, removed in touched.items():
        left = conn.execute(
            select(func.count()).where(r.c.withdrawal_id == withdrawal_id, r.c.closed_run_id.is_(None))
        ).scalar_one()
        if left:
            continue
        conn.execute(
            update(w)
            .where(w.c.id == withdrawal_id)
            .values(status=ACCEPTED if removed else UNDONE, closed_at=now, closed_run_id=run_id)
        )
        finding_id = conn.execute(select(w.c.finding_id).where(w.c.id == withdrawal_id)).scalar()
        if finding_id is not None:
            conn.execute(
                update(m.finding)
                .where(m.finding.c.id == finding_id, m.finding.c.status == "open")
                .values(status="resolved", resolved_at=now, last_run_id=run_id)
            )


def list_withdrawals(
    engine: Engine, feed: str, *, source: str | None = None, every: bool = False
) -> list[dict[str, Any]]:
    """The feed's withdrawals, held ones (or `every` one) first to last: run, when, rows, series,
    report dates, status."""
    w = m.withdrawal
    with engine.connect() as conn:
        feed_ids = _feed_ids(conn, feed, source)
        query = select(w, m.feed.c.name, m.source.c.key, claims_held(w).label("of_claims"))
        query = query.join(m.feed, m.feed.c.id == w.c.feed_id)
        query = query.join(m.source, m.source.c.id == m.feed.c.source_id).where(w.c.feed_id.in_(feed_ids))
        if not every:
            query = query.where(w.c.status == HELD)
        rows = conn.execute(query.order_by(w.c.id)).mappings().all()
    return [
        {
            "feed": row["name"],
            "source": row["key"],
            "run": row["run_id"],
            "opened_at": row["opened_at"].isoformat(timespec="seconds") if row["opened_at"] else None,
            "status": row["status"],
            "rows": row["n_rows"],
            "of": "claims" if row["of_claims"] else "rows",
            "metrics": row["metrics"],
            "first_date": row["first_date"].isoformat(),
            "last_date": row["last_date"].isoformat(),
            "closed_run": row["closed_run_id"],
        }
        for row in rows
    ]


def claims_held(w: Any) -> Any:
    """Whether a withdrawal (of the table `w`) holds claims (a claims file's) rather than rows."""
    r = m.withdrawal_row
    return select(r.c.id).where(r.c.withdrawal_id == w.c.id, r.c.kind == CLAIM_KIND).exists()


def _feed_ids(conn: Connection, feed: str, source: str | None) -> list[int]:
    """The ids of the feeds called `feed` (of `source`); InvalidInput naming the feeds there are."""
    rows = conn.execute(
        select(m.feed.c.id, m.feed.c.name, m.source.c.key).join(m.source, m.source.c.id == m.feed.c.source_id)
    ).all()
    ids = [fid for fid, name, key in rows if name == feed and (source is None or key == source)]
    if not ids:
        known = ", ".join(sorted({f"{name} ({key})" for _fid, name, key in rows})) or "none"
        raise InvalidInput(f"no feed {feed!r}{f' of {source}' if source else ''} in the store (feeds: {known})")
    return ids


def accept(engine: Engine, feed: str, *, source: str | None = None, run: int | None = None) -> list[str]:
    """Apply the feed's held withdrawals (only the one opened by `run`, if given) as revisions —
    removals, or a documented drop's values — in a run of its own (status "accepted"), history
    kept; one line per withdrawal.
    Raises InvalidInput when nothing is held."""
    from tracker.store.lock import writing

    with writing(engine), engine.begin() as conn:
        return [_accept_one(conn, withdrawal) for withdrawal in _held(conn, feed, source, run)]


def _held(conn: Connection, feed: str, source: str | None, run: int | None) -> Sequence[Any]:
    """The feed's held withdrawals (the one opened by `run`, if given), first to last; InvalidInput
    when there is none."""
    w = m.withdrawal
    feed_ids = _feed_ids(conn, feed, source)
    query = select(w.c.id, w.c.feed_id, w.c.run_id, w.c.metrics, w.c.first_date, w.c.last_date).where(
        w.c.feed_id.in_(feed_ids), w.c.status == HELD
    )
    if run is not None:
        query = query.where(w.c.run_id == run)
    held = conn.execute(query.order_by(w.c.id)).all()
    if not held:
        what = f"held by run #{run}" if run is not None else "held"
        raise InvalidInput(f"{feed}: no withdrawal {what} (see `tracker feeds withdrawals {feed} --all`)")
    return held


def _accept_one(conn: Connection, withdrawal: Any) -> str:
    """Apply one held withdrawal in a run of its own and close it; the line that says what it did."""
    withdrawal_id, feed_id, held_by, metrics, first, last = withdrawal
    feed_name, source_key = conn.execute(
        select(m.feed.c.name, m.source.c.key)
        .join(m.source, m.source.c.id == m.feed.c.source_id)
        .where(m.feed.c.id == feed_id)
    ).one()
    stamp = _accept_run(conn, feed_id, feed_name, source_key, held_by)
    removed, stored, of_claims = _apply_withdrawal(conn, withdrawal_id, feed_id, stamp)
    _close_finished(conn, {withdrawal_id: True}, stamp.run_id, stamp.now)
    runs = m.ingest_run
    conn.execute(
        update(runs).where(runs.c.id == stamp.run_id).values(finished_at=dt.datetime.now(dt.UTC), n_removed=removed)
    )
    did = " and ".join(
        ([f"removed {removed:,} {'claim' if of_claims else 'row'}(s)"] if removed or not stored else [])
        + ([f"stored {stored:,} held value(s)"] if stored else [])
    )
    return (
        f"{feed_name} ({source_key}): run #{stamp.run_id} {did} held by run #{held_by} "
        f"({metrics}; {'published' if of_claims else 'reports'} {first}..{last})"
    )


def _accept_run(conn: Connection, feed_id: int, feed_name: str, source_key: str, held_by: int) -> Stamp:
    """Start the run that accepts a withdrawal held by run `held_by`: observed now, or at the feed's
    last run if that is later, so that it never comes before the runs it follows."""
    runs = m.ingest_run
    started = dt.datetime.now(dt.UTC)
    last_seen = conn.execute(
        select(func.max(runs.c.observed_at)).where(
            runs.c.feed_id == feed_id, runs.c.status.in_((*m.SUCCESS_STATUSES, ACCEPT_STATUS))
        )
    ).scalar()
    seen = as_utc(last_seen)
    now = max(started, seen) if seen is not None else started
    run_id = conn.execute(
        insert(runs)
        .values(
            feed_name=feed_name,
            source_key=source_key,
            feed_id=feed_id,
            location=f"accept-withdrawal of run #{held_by}",
            started_at=started,
            observed_at=now,
            status=ACCEPT_STATUS,
            exit_code=0,
        )
        .returning(runs.c.id)
    ).scalar_one()
    return Stamp(now, run_id)


def _apply_withdrawal(conn: Connection, withdrawal_id: int, feed_id: int, stamp: Stamp) -> tuple[int, int, bool]:
    """Apply a withdrawal's open rows (claims, or observations and then their bare notes) in the run
    of `stamp`, closing each row: how many were removed, how many held values stored, and whether
    it held claims."""
    r = m.withdrawal_row
    now, run_id = stamp.now, stamp.run_id
    keys = conn.execute(
        select(r.c.id, r.c.kind, r.c.metric_id, r.c.side, r.c.report_date, r.c.held_values).where(
            r.c.withdrawal_id == withdrawal_id, r.c.closed_run_id.is_(None)
        )
    ).all()
    removed = stored = 0
    claims = [k for k in keys if k.kind == CLAIM_KIND]
    keys = [k for k in keys if k.kind != CLAIM_KIND]
    for chunk in _chunks(claims, 500):
        removed += _apply_claim_rows(conn, feed_id, chunk, now, run_id)
        conn.execute(update(r).where(r.c.id.in_([k.id for k in chunk])).values(closed_run_id=run_id))
    for chunk in _chunks(keys, 500):
        gone, kept = _apply_rows(conn, feed_id, chunk, now, run_id)
        removed, stored = removed + gone, stored + kept
        conn.execute(update(r).where(r.c.id.in_([k.id for k in chunk])).values(closed_run_id=run_id))
    _remove_bare_notes(conn, feed_id, {k.report_date for k in keys}, now, run_id)
    return removed, stored, bool(claims)
