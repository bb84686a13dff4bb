"""What the store commands print: an ingest run's summary, feed status, the latest figures,
findings and the feed list — as text for people, JSON or CSV for machines, always made safe."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tracker.errors import ExitCode, sanitize
from tracker.reports.render import render_csv, render_json

if TYPE_CHECKING:
    from tracker.store.run_report import RunReport

FINDINGS_SHOWN = 20  # after a run; `tracker findings` lists them all


def machine_output(rows: Sequence[dict[str, Any]], fmt: str, fields: Sequence[str] | None = None) -> str | None:
    """Rows as JSON or CSV when the format asks for it; None for a table."""
    if fmt == "json":
        return render_json([dict(r) if fields is None else {f: r.get(f) for f in fields} for r in rows])
    if fmt == "csv":  # print adds the last line's end: a second would read as an empty row
        return render_csv([_flat(r) for r in rows], list(fields) if fields else None).rstrip("\n")
    return None


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row for CSV: a nested mapping (counts per severity) becomes one cell per key."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def run_summary(report: RunReport, *, quiet: bool) -> tuple[str, bool]:
    """An ingest run as printed: (text, whether it goes to stderr). A failure is one `error:`
    line; with `quiet` a success is one timestamped line, else its new findings follow."""
    if report.status == "failed":
        return f"error: {sanitize(report.summary())}", True
    stamp = f"{report.observed_at:%Y-%m-%dT%H:%M:%SZ} " if quiet else ""
    lines = [stamp + sanitize(report.summary())]
    if not quiet:
        for f in report.new_findings[:FINDINGS_SHOWN]:
            where = " ".join(x for x in (f.metric or "", f.report_date.isoformat() if f.report_date else "") if x)
            lines.append(sanitize(f"  {f.severity:<7} {f.rule:<17} {where:<28} {f.message}"))
        if len(report.new_findings) > FINDINGS_SHOWN:
            lines.append(f"  … and {len(report.new_findings) - FINDINGS_SHOWN:,} more: tracker findings")
    return "\n".join(lines), False


def status_exit_code(rows: Sequence[dict[str, Any]]) -> int:
    """3 when a judged feed is stale or its last run failed (cron alerts on it), else 0."""
    bad = any(r["judged"] and (r["stale"] or r["last_run_status"] == "failed") for r in rows)
    return int(ExitCode.FINDINGS) if bad else 0


def status_output(rows: Sequence[dict[str, Any]], fmt: str, stale_hours: float) -> str:
    """Per feed: its state (fresh, STALE and why, or not judged), last success, latest report,
    last run (with the whole error line of a failure) and open findings."""
    machine = machine_output(rows, fmt)
    if machine is not None:
        return machine
    if not rows:
        return "The store is empty: run `tracker ingest dataset` (see --help)."
    lines: list[str] = []
    for row in rows:
        findings = ", ".join(f"{n:,} {sev}" for sev, n in sorted(row["open_findings"].items())) or "none"
        age = row["hours_since_success"]
        failed = row["last_run_status"] == "failed"
        lines += [
            f"{row['feed']} ({row['source']}): {_state(row, stale_hours)}",
            f"  last success   {row['last_success'] or 'never'}" + (f" ({age:.1f} h ago)" if age is not None else ""),
            f"  latest report  {row['latest_report_date'] or '—'}",
            f"  last run       {row['last_run_status'] or '—'}" + (f": {row['last_run_error']}" if failed else ""),
            f"  open findings  {findings}",
        ]
        lines += [
            f"  HELD           {w['rows']:,} {_held_unit(w)} by run #{w['run']} ({w['metrics']}; {_dated(w)} "
            f"{w['first_date']}..{w['last_date']}): `tracker feeds accept-withdrawal {row['feed']} --run {w['run']}`"
            for w in row.get("withdrawals_held", [])
        ]
    return sanitize("\n".join(lines), keep_newlines=True)


def _state(row: dict[str, Any], stale_hours: float) -> str:
    age, report_age = row["hours_since_success"], row["latest_report_age_hours"]
    if not row["judged"]:
        return f"{row['role']}, not judged"
    if not row["stale"]:
        return "fresh"
    if age is None:
        return "STALE: no successful run yet"
    if age > stale_hours:
        return f"STALE: last success {age:.1f} h ago (warn past {stale_hours:g} h)"
    return f"STALE: latest report is {report_age / 24:.1f} days old (warn past {stale_hours:g} h)"


def latest_output(rows: Sequence[dict[str, Any]], fmt: str, source: str, *, side: str = "russia") -> str:
    """The latest report's total and increase per category (the title names a side other than
    Russia's losses, the default)."""
    machine = machine_output(rows, fmt)
    if machine is not None:
        return machine
    whose = "" if side == "russia" else f" ({side.capitalize()}'s losses)"
    lines = [f"Latest figures of {source}{whose}:"]
    if not rows:
        lines.append(f"  no totals of {side.capitalize()}'s losses stored for {source}")
    for r in rows:
        inc = f"+{r['increase']:,}" if r["increase"] is not None else "—"
        span = f" over {r['days_since_previous']} days" if (r["days_since_previous"] or 1) > 1 else ""
        qual = f" ({r['qualifier']})" if r["qualifier"] else ""
        lines.append(f"  {r['label']:<38} {r['total']:>12,}{qual:<8} {inc:>9}{span}   report {r['report_date']}")
    return sanitize("\n".join(lines), keep_newlines=True)


def findings_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Findings, one line each, newest report dates first."""
    machine = machine_output(rows, fmt)
    if machine is not None:
        return machine
    lines = [
        f"{r['feed']:<18} {r['severity']:<7} {r['rule']:<17} {r['metric'] or '':<20} "
        f"{r['report_date'] or '':<10}  {r['message']}"
        for r in rows
    ]
    lines.append(f"({len(rows):,} finding(s) shown)")
    return sanitize("\n".join(lines), keep_newlines=True)


FEED_FIELDS = ("feed", "source", "role", "last_success", "last_run_status", "latest_report_date")


def feeds_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Every feed with its role and its last run."""
    machine = machine_output(rows, fmt, FEED_FIELDS)
    if machine is not None:
        return machine
    lines = [
        f"{r['feed']:<20} {r['source']:<20} {r['role']:<8} last success {r['last_success'] or 'never'}, "
        f"last run {r['last_run_status'] or '—'}"
        for r in rows
    ]
    lines.append(f"({len(rows)} feed(s))")
    return sanitize("\n".join(lines), keep_newlines=True)


WITHDRAWAL_FIELDS = (
    *("feed", "source", "run", "opened_at", "status", "rows", "of", "metrics", "first_date", "last_date"),
    "closed_run",
)


def withdrawals_output(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    """Per withdrawal: its feed, the run that held it, when, its status, rows, series and dates."""
    machine = machine_output(rows, fmt, WITHDRAWAL_FIELDS)
    if machine is not None:
        return machine
    if not rows:
        return "No withdrawal held."
    lines = [
        f"{r['feed']} ({r['source']}) run #{r['run']} at {r['opened_at']}: {r['status']}"
        + (f" by run #{r['closed_run']}" if r["closed_run"] else "")
        + f", {r['rows']:,} {_held_unit(r)}, {_dated(r)} {r['first_date']}..{r['last_date']} — {r['metrics']}"
        for r in rows
    ]
    return sanitize("\n".join(lines), keep_newlines=True)


def _held_unit(withdrawal: dict[str, Any]) -> str:
    """What a withdrawal holds, as counted: a claims file's claims, or a feed's rows."""
    return "claim(s)" if withdrawal.get("of") == "claims" else "row(s)"


def _dated(withdrawal: dict[str, Any]) -> str:
    """What a withdrawal's dates are: its claims' publication dates, or its rows' report dates."""
    return "published" if withdrawal.get("of") == "claims" else "reports"
