"""Claimed beside confirmed (issue 10, part 3): `tracker compare --series oryx` and the
claimed-vs-confirmed chart. The General Staff's claimed totals beside Oryx's visually confirmed
ones, per Oryx snapshot date and category; on 2025-07-19 tanks 11,032 claimed vs 4,074 confirmed
(ratio 2.71), naval ships 28 (+1 submarine) vs 28.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.clirun import run_tracker
from tests.test_claims_ingest import copy_store
from tracker.analysis.confirmed import claimed_vs_confirmed, gather

D = dt.date
# Oryx snapshots ingested for the store tests (a few, to stay fast): the first, the day Russia's
# "Naval Ships" became "Naval Ships and Submarines", and the last two.
SNAPSHOTS = ("2022-03-28T0443_36f9122", "2023-09-13T1135_b9a2c2e", "2025-07-17T1144_1738104", "2025-07-19T1144_a8624b4")
MAPPED = ["tanks", "afv", "artillery", "mlrs", "air_defense", "aircraft", "helicopters", "uav", "ships", "vehicles_fuel_tanks"]  # fmt: skip


def frame(points: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"report_date": pd.to_datetime(list(points)), "value": list(points.values())})


# --- the rule, on small made-up series -------------------------------------------------------------

CLAIMED_TANKS = frame({"2025-07-16": 11_000, "2025-07-17": 11_010, "2025-07-19": 11_032})
CONFIRMED_TANKS = frame({"2025-07-17": 4_060, "2025-07-18": 4_065, "2025-07-19": 4_074})


def test_claimed_is_the_report_of_the_snapshot_date_or_else_the_latest_before_it() -> None:
    rows = claimed_vs_confirmed({"tanks": CONFIRMED_TANKS}, {"tanks": CLAIMED_TANKS}).to_dict("records")
    assert [(r["date"], r["claimed"], r["claimed_date"], r["confirmed"]) for r in rows] == [
        (D(2025, 7, 17), 11_010, D(2025, 7, 17), 4_060),
        (D(2025, 7, 18), 11_010, D(2025, 7, 17), 4_065),  # no report dated 07-18: the one before
        (D(2025, 7, 19), 11_032, D(2025, 7, 19), 4_074),
    ]
    assert [r["ratio"] for r in rows] == [11_010 / 4_060, 11_010 / 4_065, 11_032 / 4_074]
    assert round(rows[-1]["ratio"], 2) == 2.71


def test_no_ratio_without_a_claim_or_with_nothing_confirmed() -> None:
    confirmed = {"tanks": frame({"2022-02-20": 3, "2025-07-19": 0}), "afv": frame({"2025-07-19": 10})}
    rows = claimed_vs_confirmed(confirmed, {"tanks": CLAIMED_TANKS, "afv": None}).to_dict("records")
    # Before the first report there is no claim; nothing confirmed gives no ratio; no series, no claim.
    assert [(r["metric"], r["claimed"], r["claimed_date"], r["confirmed"], r["ratio"]) for r in rows] == [
        ("tanks", None, None, 3, None),
        ("tanks", 11_032, D(2025, 7, 19), 0, None),
        ("afv", None, None, 10, None),
    ]


def test_what_the_claimant_counts_apart_is_noted_beside_the_claim_not_added_to_it() -> None:
    ships = {"ships": frame({"2025-07-19": 28})}
    submarines = frame({"2023-09-13": 1})
    rows = claimed_vs_confirmed(
        ships, {"ships": frame({"2025-07-19": 28})}, alongside={"ships": ("submarines", submarines)}
    ).to_dict("records")
    assert [(r["claimed"], r["claimed_extra"], r["claimed_note"], r["confirmed"], r["ratio"]) for r in rows] == [
        (28, 1, "+1 submarine", 28, 1.0)
    ]
    two = claimed_vs_confirmed(
        ships, {"ships": frame({"2025-07-19": 28})}, alongside={"ships": ("submarines", frame({"2024-01-01": 2}))}
    )
    assert two["claimed_note"].tolist() == ["+2 submarines"]


def test_the_latest_snapshot_of_each_category_or_those_between_since_and_until() -> None:
    confirmed, claimed = {"tanks": CONFIRMED_TANKS}, {"tanks": CLAIMED_TANKS}
    latest = claimed_vs_confirmed(confirmed, claimed, latest_only=True)
    assert latest[["date", "claimed", "confirmed"]].values.tolist() == [[D(2025, 7, 19), 11_032, 4_074]]
    middle = claimed_vs_confirmed(confirmed, claimed, since=D(2025, 7, 18), until=D(2025, 7, 18))
    assert middle["date"].tolist() == [D(2025, 7, 18)]


def test_gather_reads_no_claimed_series_for_a_side_the_claimant_does_not_report() -> None:
    read_log: list[tuple[str, str, str]] = []
    series = {("oryx", "tanks"): CONFIRMED_TANKS, ("oryx", "ships"): frame({"2025-07-19": 41})}

    def read(source: str, metric: str, side: str) -> pd.DataFrame:
        read_log.append((source, metric, side))
        return series.get((source, metric), frame({}))

    confirmed, claimed, alongside = gather(
        read, ["tanks", "ships", "aircraft"], side="ukraine", claimant="ua-general-staff",
        claimant_sides=("russia",), confirmer="oryx",
    )  # fmt: skip
    assert list(confirmed) == ["tanks", "ships"]  # nothing confirmed of aircraft: left out
    assert claimed == {} and alongside == {}
    assert {source for source, _, _ in read_log} == {"oryx"}


# --- `tracker compare --series oryx` on the real data -------------------------------------------


@pytest.fixture(scope="module")
def store(full_store_url: str, shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The full General Staff dataset and a few real Oryx snapshots."""
    from tracker.cli import main

    url = copy_store(full_store_url, tmp_path_factory.mktemp("confirmed") / "store.db")
    history = shared_data.parent / "oryx" / "history"
    if not history.is_dir():
        pytest.skip(f"the Oryx snapshots are not at {history}")
    for name in SNAPSHOTS:
        when = f"{name[:10]}T{name[11:13]}:{name[13:15]}"
        argv = ["tracker", "ingest", "oryx", "--from", str(history / name), "--observed-at", when, "--db", url, "-q"]
        code = _run(main, argv)
        assert code in (0, 3), f"ingest {name}: exit {code}"
    return url


def _run(main, argv: list[str]) -> int:  # type: ignore[no-untyped-def]
    import sys

    saved, sys.argv = sys.argv, argv
    try:
        main()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = saved


def compare_json(capsys, url: str, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--series", "oryx", "--db", url, "--format", "json", *args)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def test_on_2025_07_19_kyiv_claimed_11032_tanks_oryx_confirmed_4074_a_ratio_of_2_71(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = compare_json(capsys, store, "--metric", "tanks")
    assert len(rows) == 1
    tanks = rows[0]
    assert {k: tanks[k] for k in ("date", "side", "metric", "claimed", "claimed_date", "confirmed")} == {
        "date": "2025-07-19",
        "side": "russia",
        "metric": "tanks",
        "claimed": 11_032,
        "claimed_date": "2025-07-19",
        "confirmed": 4_074,
    }
    assert tanks["ratio"] == 11_032 / 4_074 and round(tanks["ratio"], 2) == 2.71  # full precision in JSON


def test_naval_ships_28_plus_1_submarine_claimed_against_28_confirmed(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    (ships,) = compare_json(capsys, store, "--metric", "ships")
    assert (ships["claimed"], ships["claimed_extra"], ships["claimed_note"], ships["confirmed"]) == (
        28,
        1,
        "+1 submarine",
        28,
    )
    assert ships["ratio"] == 1.0


def test_the_table_shows_each_mapped_category_at_its_latest_snapshot(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--series", "oryx", "--db", store)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["date", "metric", "claimed", "as", "of", "confirmed", "ratio"]
    body = [line.split() for line in lines[2:12]]
    assert [row[1] for row in body] == MAPPED
    assert body[0] == ["2025-07-19", "tanks", "11,032", "2025-07-19", "4,074", "2.71"]
    assert body[MAPPED.index("ships")] == ["2025-07-19", "ships", "28", "(+1", "submarine)", "2025-07-19", "28", "1.00"]
    text = " ".join(out.split())
    assert "(10 row(s), Russia's losses; the latest snapshot of each category, --all for every one)" in text
    assert "ships: the General Staff counts submarines apart (in brackets, not in the ratio)" in text
    assert 'CC BY 4.0; attribute "Oryx, via scarnecchia/oryx_data"' in text
    assert max(len(line) for line in lines) <= 120


def test_ratios_not_like_for_like_carry_their_caveat_in_the_table_json_and_csv(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracker.store.typemap import load_typemap

    caveats = {r["metric"]: r["caveat"] for r in compare_json(capsys, store)}
    oryx = load_typemap("oryx")
    assert (
        oryx is not None and caveats["uav"] == oryx.caveat("uav") and caveats["artillery"] == oryx.caveat("artillery")
    )
    assert "Oryx lists only the drones it has photo or video evidence of" in caveats["uav"]
    assert {m for m, c in caveats.items() if c} == {"uav", "artillery"}  # tanks, aircraft, … are like for like
    code, out, _ = run_tracker(capsys, "compare", "--series", "oryx", "--db", store)
    rows = {line.split()[1]: line for line in out.splitlines()[2:12]}
    assert code == 0 and rows["uav"].endswith("66.07 ‡") and rows["artillery"].endswith(" †")
    assert not rows["tanks"].endswith(("†", "‡"))
    text = " ".join(out.split())
    assert "‡ uav: Not like for like: the General Staff's 'drone' counts every drone" in text
    code, out, _ = run_tracker(capsys, "compare", "--series", "oryx", "--db", store, "--format", "csv")
    header, *lines = out.splitlines()
    assert header.endswith(",caveat") and any("Not like for like" in line for line in lines if ",uav," in line)


def test_all_gives_every_snapshot_date(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    rows = compare_json(capsys, store, "--metric", "tanks", "--all")
    assert [r["date"] for r in rows] == ["2022-03-28", "2023-09-13", "2025-07-17", "2025-07-19"]
    assert all(r["claimed_date"] == r["date"] for r in rows)  # Kyiv reported on each of those days
    in_range = compare_json(capsys, store, "--metric", "tanks", "--since", "2023-01-01", "--until", "2025-07-18")
    assert [r["date"] for r in in_range] == ["2023-09-13", "2025-07-17"]


def test_ukraines_losses_are_confirmed_only_the_general_staff_claims_none(store: str, capsys) -> None:  # type: ignore[no-untyped-def]
    (tanks,) = compare_json(capsys, store, "--side", "ukraine", "--metric", "tanks")
    assert (tanks["side"], tanks["confirmed"], tanks["claimed"], tanks["ratio"]) == ("ukraine", 1_220, None, None)
    code, out, _ = run_tracker(capsys, "compare", "--series", "oryx", "--side", "ukraine", "--db", store)
    assert code == 0
    assert "The General Staff reports Russia's losses only: nothing is claimed for Ukraine's." in " ".join(out.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--series", "oryx", "--metric", "personnel"],
            "error: --metric personnel: no oryx type maps onto it; mapped: ",
        ),
        (["--series", "oryx", "--side", "both"], "error: --side 'both': use russia or ukraine"),
        (["--series", "oryx", "--kind", "day"], "error: --series compares two series, not claims: leave out --source"),
        (["--series", "mine"], "error: no source 'mine' in the store; sources: oryx, ua-general-staff"),
        (["--series", "ua-general-staff"], "error: --series ua-general-staff: that is the series every other"),
        (["--series", "oryx", "--sort", "size"], "error: --sort 'size': use distance, ratio, date, source"),
        (["--series", "oryx", "--sort", "ratio"], "error: --series compares two series, not claims: leave out"),
        (["--all"], "error: --all, --since and --until go with --series (e.g. tracker compare --series oryx)"),
        (["--series", "oryx", "--since", "20250719"], "error: --since: "),
    ],
)
def test_bad_series_options_are_one_line_usage_errors(store: str, capsys, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--db", store, *args)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith(message), err


def test_a_store_without_oryx_data_says_what_to_run(full_store_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_tracker(capsys, "compare", "--series", "oryx", "--db", full_store_url)
    assert (code, out) == (2, "")
    assert err.splitlines() == ["error: no Oryx data in the store (`tracker ingest oryx` loads it)"]


# --- the chart ------------------------------------------------------------------------------------


def test_the_chart_draws_the_ratio_per_category_with_the_latest_values_labelled(store: str) -> None:
    from tracker.charts.build import ChartRequest, Loader, draw

    loader = Loader(store, ChartRequest())
    try:
        fig = draw("claimed-vs-confirmed", loader, D(2024, 1, 2))
    finally:
        loader.close()

    def text(gid: str) -> str:
        (artist,) = fig.findobj(lambda a: a.get_gid() == gid)
        return str(artist.get_text())

    lines = {m: fig.findobj(lambda a, m=m: a.get_gid() == f"ratio:{m}") for m in MAPPED}
    assert all(len(found) == 1 for found in lines.values())
    tanks = lines["tanks"][0]
    assert list(tanks.get_ydata()) == pytest.approx([r / c for r, c in _tanks(store)])
    assert text("latest:tanks") == "2.71×" and text("latest:ships") == "1.00×"
    # Ratios not like for like carry their caveat's mark, and the caveat is under the chart.
    assert text("latest:uav") == "66.1× ‡" and text("panel:uav") == "Drones ‡"
    assert text("latest:artillery").endswith("× †") and text("panel:artillery") == "Artillery systems †"
    notes = " ".join(" ".join(str(a.get_text()).split()) for a in fig.findobj(lambda a: a.get_gid() == "note"))
    assert "‡ Drones: Not like for like: the General Staff's 'drone' counts every drone" in notes
    assert "† Artillery systems: Not like for like:" in notes
    assert text("figures:tanks") == "11,032 claimed / 4,074 confirmed"
    assert text("panel:tanks") == "Tanks"
    assert text("title").replace("\n", " ") == (
        "On 19 Jul 2025, Kyiv's count of Russian tanks lost was 2.7 times what Oryx had confirmed with photo "
        "or video evidence"
    )
    source = text("source-line").replace("\n", " ")
    assert source.startswith(
        "Source: General Staff of the Armed Forces of Ukraine (claimed); Oryx, via scarnecchia/oryx_data, "
        "CC BY 4.0 (visually confirmed)."
    )
    assert "Warships and boats: the General Staff counts submarines apart (+1 submarine on 19 Jul 2025)" in notes


def _tanks(store: str) -> list[tuple[int, int]]:
    """(claimed, confirmed) of tanks at each ingested snapshot, read straight from the store's series."""
    from tracker.store.db import open_store
    from tracker.store.queries import observations_frame

    engine = open_store(store, write=False)
    try:
        staff = observations_frame(engine, source="ua-general-staff", metric="tanks").set_index("report_date")
        oryx = observations_frame(engine, source="oryx", metric="tanks")
    finally:
        engine.dispose()
    return [(int(staff.loc[d, "value"]), int(v)) for d, v in zip(oryx["report_date"], oryx["value"], strict=True)]


def test_chart_claimed_vs_confirmed_writes_the_chart_of_the_standard_set(store: str, capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tracker.charts.build import STANDARD_SET

    out_file = tmp_path / "claimed-vs-confirmed.png"
    code, out, err = run_tracker(capsys, "chart", "claimed-vs-confirmed", "--db", store, "--out", str(out_file))
    assert (code, err, out.strip()) == (0, "", str(out_file))
    assert out_file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "claimed-vs-confirmed" in STANDARD_SET  # `tracker charts` and the daily job draw it too
