"""`tracker daily --quiet-unless-news` and `--notify`: the morning's story reaches people. Run as
cron runs it (the README's own crontab line, `env -i`, output captured), a day with nothing new
prints nothing, the day of the 2024-11-11 report prints its NEW RECORD line first and posts it once
to a webhook on 127.0.0.1, and a failing feed prints the failure; a post that fails is a line and
changes neither the store nor the exit code."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clirun import run_tracker
from tests.faultserver import answer, refused_port, running, stall
from tests.storecheck import runs
from tests.test_changes import RECORD_LINE, cut_dataset
from tracker.errors import ExitCode
from tracker.ingest.feeds.dataset import DatasetFeed
from tracker.ingest.run import run_ingest

README = Path(__file__).resolve().parent.parent / "README.md"
TRACKER = str(Path(sys.executable).parent / "tracker")
HOOK = "/hooks/T0001/B0001/s3cr3t-token"
RECORD_FIELDS = {"kind": "record", "metric": "personnel", "value": 1770, "report_date": "2024-11-11"}
RECORD_FIELDS |= {"previous_value": 1740, "previous_report_date": "2024-05-13", "margin": 30}


@pytest.fixture(scope="module")
def november_10(tmp_path_factory, latest_dir) -> tuple[Path, Path]:
    """A SQLite store holding the dataset up to the report of 2024-11-10 (as read that morning),
    and the next morning's files (up to 2024-11-11)."""
    base = tmp_path_factory.mktemp("news")
    before = cut_dataset(latest_dir, base / "upto-2024-11-10", "2024-11-10")
    store = base / "store.db"
    report = run_ingest(
        f"sqlite:///{store}",
        DatasetFeed(),
        location=str(before),
        observed_at=dt.datetime(2024, 11, 10, 8, tzinfo=dt.UTC),
    )
    assert report.status == "ok_with_findings", report.error
    return store, cut_dataset(latest_dir, base / "upto-2024-11-11", "2024-11-11")


@pytest.fixture
def store(november_10, tmp_path) -> str:
    """A fresh copy of the 2024-11-10 store, its URL."""
    copy = tmp_path / "store.db"
    copy.write_bytes(november_10[0].read_bytes())
    return f"sqlite:///{copy}"


def readme_crontab() -> tuple[dict[str, str], str]:
    """The README's crontab example: its variable lines and its job's command (after the five
    time fields), exactly as written."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```cron\n(.*?)```", text, re.S)
    assert block, "the README has a ```cron block"
    env, commands = {}, []
    for line in block.group(1).splitlines():
        if re.fullmatch(r"[A-Z_]+=\S*", line.strip()):
            name, _, value = line.strip().partition("=")
            env[name] = value
        elif line.strip() and not line.startswith("#"):
            commands.append(line.split(None, 5)[5])
    assert len(commands) == 1, commands
    return env, commands[0]


def cron_run(env: dict[str, str], command: str, home: Path) -> tuple[int, str]:
    """Run `command` as cron does: /bin/sh -c, an empty environment but PATH, HOME and the
    crontab's variables, stdout and stderr captured together (what cron mails)."""
    settings = [f"{k}={v}" for k, v in env.items() if k != "MAILTO"]
    done = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", *settings, "/bin/sh", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    return done.returncode, done.stdout


def test_the_readme_crontab_line_mails_nothing_on_a_quiet_day_the_record_first_on_its_day_and_a_failed_feed(
    november_10, tmp_path
):
    env, command = readme_crontab()
    assert "--quiet-unless-news" in command and "TRACKER_NOTIFY_URL" in env and "MAILTO" in env
    store = tmp_path / "tracker.db"
    store.write_bytes(november_10[0].read_bytes())
    assert shlex.split(command)[0] == "/opt/tracker/.venv/bin/tracker"
    command = command.replace("/opt/tracker/.venv/bin/tracker", shlex.quote(TRACKER))
    env["TRACKER_DB_URL"] = env["TRACKER_DB_URL"].replace("/var/lib/tracker/tracker.db", str(store))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "russia_losses_personnel.json").write_text("<html><body>502 Bad Gateway</body></html>")
    (tmp_path / "home").mkdir()

    with running() as server:
        env["TRACKER_NOTIFY_URL"] = server.route(HOOK, answer(200, b"ok"))
        quiet_day, record_day, failing_day = (
            cron_run({**env, "TRACKER_DATASET_FROM": str(folder)}, command, tmp_path / "home")
            for folder in (november_10[1].parent / "upto-2024-11-10", november_10[1], broken)
        )
        posts = [r for r in server.requests if r.path == HOOK]

    assert quiet_day == (0, "")
    code, out = record_day
    assert code == ExitCode.OK
    assert out.splitlines()[0] == RECORD_LINE
    assert out.startswith("NEW RECORD: 1,770 in the report of 2024-11-11, beating 1,740 of 2024-05-13")
    code, out = failing_day
    assert code == ExitCode.BAD_PAYLOAD
    [line] = out.splitlines()
    assert re.fullmatch(
        r"\S+Z error: ua-dataset \(ua-general-staff\) from \S+: failed — \S+russia_losses_personnel.json: expected "
        r"JSON, got an HTML page \(starts with '<html><body>502 Bad Gateway</b'\)",
        line,
    ), line
    # one POST for the record's day, one for the failure's; none for the quiet day
    assert [p.method for p in posts] == ["POST", "POST"]
    record, failure = (json.loads(p.body) for p in posts)
    assert record["text"].splitlines()[0] == RECORD_LINE
    assert record["exit_code"] == 0
    assert {k: record["news"][0][k] for k in RECORD_FIELDS} == RECORD_FIELDS
    assert [n["kind"] for n in failure["news"]] == ["failure"]
    assert (failure["exit_code"], failure["news"][0]["exit_code"], failure["text"]) == (5, 5, line)
    assert posts[0].headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_failed_post_is_one_line_and_changes_neither_the_store_nor_the_exit_code(capsys, store, november_10):
    with running() as server:
        url = server.route(HOOK, answer(500, b"internal trouble"))
        code, out, err = run_tracker(
            capsys,
            "daily",
            "--quiet-unless-news",
            "--dataset-from",
            str(november_10[1]),
            "--notify",
            url,
            "--db",
            store,
        )
        hits = server.hits(HOOK)

    assert code == ExitCode.OK
    assert out == RECORD_LINE + "\n"
    host = f"http://127.0.0.1:{server.port}/…"
    assert err == f"notify: error: not posted: {host}: HTTP 500 Internal Server Error: internal trouble (2 attempts)\n"
    assert hits == 2  # one retry
    assert "s3cr3t" not in out + err  # a webhook's path is its secret
    code, out, _ = run_tracker(capsys, "changes", "--since", "last-run", "--db", store)
    assert out.splitlines()[0] == RECORD_LINE  # the record is stored as without a webhook


@pytest.mark.parametrize(
    ("steps", "hits", "expected"),
    [
        ([answer(404, b"no_service")], 1, "{host}: HTTP 404 Not Found: no_service (1 attempt)"),  # not tried again
        ([answer(503, b"")], 2, "{host}: HTTP 503 Service Unavailable (2 attempts)"),
        ([stall()], 2, "{host}: no response after 0.3 s (2 attempts)"),
        ([answer(302, b"", {"Location": "/elsewhere"})], 1, "{host}: HTTP 302 Found (1 attempt)"),  # not followed
        ([answer(429, b"slow down", {"Retry-After": "0"}), answer(200, b"ok")], 2, "200"),
        ([answer(500, b"x" * 300), answer(204, b"")], 2, "204"),
    ],
)
def test_a_webhook_post_is_tried_twice_at_most_within_its_timeout_and_refusals_are_not_retried(steps, hits, expected):
    from tracker.errors import SourceUnreachable
    from tracker.ingest.http import post_json

    with running() as server:
        url = server.route(HOOK, *steps)
        try:
            outcome = str(post_json(url, b'{"text": "x"}', timeout=0.3, sleep=lambda _: None))
        except SourceUnreachable as exc:
            outcome = str(exc)
        seen = server.hits(HOOK)
        bodies = [r.body for r in server.requests]

    assert seen == hits
    assert bodies == [b'{"text": "x"}'] * hits
    assert outcome == expected.format(host=f"http://127.0.0.1:{server.port}/…")
    assert "s3cr3t" not in outcome


def test_a_webhook_nobody_listens_on_is_a_connection_failure():
    from tracker.errors import SourceUnreachable
    from tracker.ingest.http import post_json

    with refused_port() as port, pytest.raises(SourceUnreachable) as caught:
        post_json(f"http://127.0.0.1:{port}{HOOK}", b"{}", timeout=1, sleep=lambda _: None)
    assert str(caught.value).startswith(f"http://127.0.0.1:{port}/…: connection failed (ConnectError: ")
    assert str(caught.value).endswith("(2 attempts)") and "s3cr3t" not in str(caught.value)


def test_without_quiet_the_job_prints_everything_and_then_says_where_it_posted(capsys, store, november_10, monkeypatch):
    with running() as server:
        monkeypatch.setenv("TRACKER_NOTIFY_URL", server.route(HOOK, answer(200, b"ok")))
        code, out, err = run_tracker(capsys, "daily", "--dataset-from", str(november_10[1]), "--db", store)
        [post] = server.requests

    assert (code, err) == (ExitCode.OK, "")
    lines = out.splitlines()
    assert lines[0] == RECORD_LINE
    assert lines[-1] == f"notify: posted 1 line to http://127.0.0.1:{server.port}/… (HTTP 200)"
    assert json.loads(post.body)["text"] == RECORD_LINE


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("ftp://hooks.example.org/T0/secret", "ftp://hooks.example.org/…"),
        ("http:///no-host/secret", "http://?/…"),
        ("hooks.example.org/secret", "not a URL"),
        ("javascript:alert(1)//secret", "not a URL"),
        ("http://127.0.0.1:99999/secret", "the webhook"),
    ],
)
def test_a_notify_url_that_is_not_http_with_a_host_is_refused_before_the_job_runs(capsys, store, given, shown):
    code, out, err = run_tracker(capsys, "daily", "--dataset-from", "/nonexistent", "--notify", given, "--db", store)

    assert (code, out) == (ExitCode.USAGE, "")
    assert err == (
        f"error: --notify must be an http(s) URL with a host, e.g. https://hooks.slack.com/services/… (given: {shown})\n"
    )
    assert "secret" not in err
    assert [r["id"] for r in runs(store)] == [1]  # the job did not start: only the store's first run


def test_a_bad_http_timeout_is_refused_before_the_job_runs_when_a_webhook_is_set(
    capsys, store, november_10, monkeypatch
):
    monkeypatch.setenv("TRACKER_HTTP_TIMEOUT", "nan")
    hook = "https://hooks.example.org/T0/secret"
    code, out, err = run_tracker(
        capsys, "daily", "--dataset-from", str(november_10[1]), "--notify", hook, "--db", store
    )

    assert (code, out) == (ExitCode.USAGE, "")
    assert err == "error: $TRACKER_HTTP_TIMEOUT must be a finite number of seconds above 0, not 'nan'\n"
    assert [r["id"] for r in runs(store)] == [1]


def test_a_held_withdrawal_is_news_with_exit_3(capsys, store, november_10, tmp_path):
    emptied = tmp_path / "emptied"
    emptied.mkdir()
    for path in november_10[1].iterdir():
        (emptied / path.name).write_text("[]" if "personnel" in path.name else path.read_text())

    code, out, err = run_tracker(capsys, "daily", "--quiet-unless-news", "--dataset-from", str(emptied), "--db", store)

    assert (code, err) == (ExitCode.FINDINGS, "")
    [line] = out.splitlines()
    assert line.startswith("WITHDRAWAL HELD: ua-dataset (ua-general-staff): 1,052 row(s) held, not changed: ")
    assert "reports 2022-02-25..2024-11-10" in line  # personnel's 990 rows and pow's 62
    assert line.endswith("`tracker feeds accept-withdrawal ua-dataset --run 2` applies it")
