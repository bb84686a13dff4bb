"""`tracker latest --side`: the latest totals of the series of one side's losses, named in the title."""

from __future__ import annotations

import json

from tests.clirun import run_tracker


def test_latest_side_reads_the_series_of_that_sides_losses_and_names_it(capsys, store_url, tmp_path):
    ukraine, russia = tmp_path / "ukraine.csv", tmp_path / "russia.csv"
    ukraine.write_text("report_date,metric,value\n2025-07-18,tanks,1200\n2025-07-19,tanks,1203\n")
    russia.write_text("report_date,metric,value\n2025-07-19,tanks,11032\n")
    for path, side in ((ukraine, "ukraine"), (russia, "russia")):
        code, _, err = run_tracker(
            capsys, "ingest", "csv", "--from", str(path), "--source", "ua-general-staff", "--side", side,
            "--db", store_url,
        )  # fmt: skip
        assert code == 0, err

    code, out, err = run_tracker(capsys, "latest", "--side", "ukraine", "--db", store_url)
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "Latest figures of ua-general-staff (Ukraine's losses):"
    assert out.splitlines()[1].split() == ["Tanks", "1,203", "+3", "report", "2025-07-19"]
    code, out, _ = run_tracker(capsys, "latest", "--side", "UKRAINE", "--format", "json", "--db", store_url)
    assert [(r["metric"], r["total"], r["increase"]) for r in json.loads(out)] == [("tanks", 1203, 3)]
    code, out, _ = run_tracker(capsys, "latest", "--db", store_url)
    assert out.splitlines() == [
        "Latest figures of ua-general-staff:",
        f"  {'Tanks':<38} {11032:>12,}{'':<8} {'—':>9}   report 2025-07-19",
    ]
    code, out, err = run_tracker(capsys, "latest", "--side", "martian", "--db", store_url)
    assert code == 2 and "'martian' is not one of 'russia', 'ukraine'" in err
