"""The morning's story posted to a chat webhook (`tracker daily --notify URL` / $TRACKER_NOTIFY_URL).

The body is what Slack's and Mattermost's incoming webhooks accept, `{"text": "..."}` (the lines
`--quiet-unless-news` prints, one per line), plus the same story as data for anything else that
listens: `exit_code` and `news`, one object per line with its `kind` and fields. A post that fails
is one line of the job's output; it never changes what was stored or the job's exit code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInput, TrackerError

if TYPE_CHECKING:
    from tracker.api.daily_job import News

ENV_NOTIFY_URL = "TRACKER_NOTIFY_URL"


def notify_url(given: str | None) -> str | None:
    """The webhook to post to: --notify, else $TRACKER_NOTIFY_URL (empty counts as unset), else
    None. An empty --notify or a URL that is not http(s) with a host is refused (exit 2) before
    the job runs."""
    from tracker.ingest.feeds.json_payload import check_url

    if given is not None and not given.strip():
        raise InvalidInput("an empty --notify: give the webhook's URL, or leave it out to post nothing")
    value = given if given is not None else (os.environ.get(ENV_NOTIFY_URL) or None)
    if value is None:
        return None
    where = "--notify" if given is not None else f"${ENV_NOTIFY_URL}"
    try:
        if "://" not in value:
            raise InvalidInput("no scheme")
        check_url(value)
    except InvalidInput:
        from tracker.ingest.http import webhook_label

        # check_url's message holds the URL; a webhook's path is its secret, so name only its host.
        given_as = webhook_label(value) if "://" in value else "not a URL"
        raise InvalidInput(
            f"{where} must be an http(s) URL with a host, e.g. https://hooks.slack.com/services/… (given: {given_as})"
        ) from None
    from tracker.ingest.http import NOTIFY_TIMEOUT, TIMEOUT_ENV, env_seconds

    env_seconds(TIMEOUT_ENV, NOTIFY_TIMEOUT)  # a bad setting is refused now, not after the job
    return value


def story_payload(news: Sequence[News], exit_code: int) -> dict[str, Any]:
    """The JSON body: `text` for chat, `exit_code` and `news` (kind, line and fields) for machines."""
    return {
        "text": "\n".join(item.line for item in news),
        "exit_code": exit_code,
        "news": [{"kind": item.kind, "line": item.line, **item.fields} for item in news],
    }


def post_story(url: str, news: Sequence[News], exit_code: int) -> tuple[bool, str]:
    """POST the story to the webhook: (posted, the line saying so or why not)."""
    from tracker.ingest.http import post_json, webhook_label
    from tracker.reports.render import render_json

    body = render_json(story_payload(news, exit_code), indent=None).encode("utf-8")
    plural = "s" if len(news) != 1 else ""
    try:
        status = post_json(url, body)
    except TrackerError as exc:  # unreachable, refused, or a setting gone bad since: a line, never the exit code
        return False, f"notify: error: not posted: {exc}"
    return True, f"notify: posted {len(news)} line{plural} to {webhook_label(url)} (HTTP {status})"
