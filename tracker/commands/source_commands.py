"""`tracker sources list|add|remove`: the registry of sources (data/sources/sources.csv) and the sources
a store records itself. The registry file is data a person edits; the CLI never writes it.

(Named source_commands, not sources: tracker/sources.py and tracker/store/sources.py have the name.)
"""

from __future__ import annotations

from typing import Annotated

import typer

from tracker.commands.ingest import WaitOption
from tracker.commands.options import DbOption, FormatOption, JsonAliasOption, chosen_format, echo
from tracker.domain import DATES_BY, SERIES_DEFINITIONS, SIDES
from tracker.errors import InvalidInput
from tracker.reports.options import OutputFormat
from tracker.store.source_registry import SOURCE_KEY, SOURCES, check_choice

NAME_MAX = 200  # the store's column
LICENCE_MAX = 1000

KeyArgument = Annotated[
    str, typer.Argument(help="The source's key: up to 64 lowercase letters, digits, '.', '_' or '-'.")
]
NameOption = Annotated[
    str | None,
    typer.Option("--name", show_default=False, help="Who the source is, as labels name it. Needed for a new key."),
]
UrlOption = Annotated[
    str | None, typer.Option("--url", show_default=False, help="Where its figures are published (absolute http(s)).")
]
DatesByOption = Annotated[
    str | None,
    typer.Option(
        "--dates-by",
        show_default=False,
        help="How it dates a figure: report (the report that published it), covered (the day it covers, "
        "as UK Defence Intelligence) or documented (when a loss was documented, as Oryx). New sources: report.",
    ),
]
SideOption = Annotated[
    str | None,
    typer.Option(
        "--side", show_default=False, help="Whose losses its figures count by default: russia or ukraine (new: russia)."
    ),
]
DefinitionOption = Annotated[
    str | None,
    typer.Option(
        "--definition",
        show_default=False,
        help=f"What its figures count by default: {', '.join(SERIES_DEFINITIONS)}. Without one, personnel "
        "counts killed and wounded, equipment claimed losses.",
    ),
]
LicenceOption = Annotated[
    str | None, typer.Option("--licence", show_default=False, help="The terms its figures come under.")
]


def sources_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table, as_json: JsonAliasOption = False) -> None:
    """Every source of the registry file and of the store: how it dates figures, whose losses
    they count and what, its licence, and where it is defined (registry, store, or store
    overriding the registry). Without a store, the registry alone."""
    from tracker.config import resolve_db_url
    from tracker.reports.source_outputs import sources_output
    from tracker.store.sources import list_sources

    echo(sources_output(list_sources(resolve_db_url(db)), chosen_format(fmt, as_json)))


def sources_add(
    key: KeyArgument,
    name: NameOption = None,
    url: UrlOption = None,
    dates_by: DatesByOption = None,
    side: SideOption = None,
    definition: DefinitionOption = None,
    licence: LicenceOption = None,
    db: DbOption = None,
    wait: WaitOption = 10.0,
) -> None:
    """Record a source in the store: its name, URL, date convention, side, definition and licence.

    The source's defaults then apply to its series (`ingest csv --source KEY`) and labels. A key
    the store already has is updated: only the fields given change, and the command prints what
    changed (before → after). A registry source gets the store's values over the file's. The
    registry file (data/sources/sources.csv) is never written: edit it to share a source.
    """
    from tracker.config import resolve_db_url
    from tracker.reports.source_outputs import source_update_text
    from tracker.store.sources import add_source, sources_for_run

    fields = check_source_fields(
        key, name=name, url=url, dates_by=dates_by, side=side, definition=definition, licence=licence
    )
    store = resolve_db_url(db)
    if fields["name"] is None and key not in sources_for_run(store):  # checked again under the lock
        raise InvalidInput(f"source {key!r} is new: give it a --name")
    done = add_source(store, key, fields, lock_wait=wait)
    echo(source_update_text(done, in_registry=key in SOURCES))


def sources_remove(key: KeyArgument, db: DbOption = None, wait: WaitOption = 10.0) -> None:
    """Remove a source the store records that has no figures (a mistyped key, say), with its feeds
    and their run records. A source with any figure, current or past, is refused (exit 2): history
    is never deleted. The registry file is never written."""
    from tracker.config import resolve_db_url
    from tracker.store.sources import remove_source

    if not SOURCE_KEY.fullmatch(key):
        raise InvalidInput(f"a source key is up to 64 lowercase letters, digits, '.', '_' or '-': {key[:80]!r}")
    done = remove_source(resolve_db_url(db), key, lock_wait=wait)
    note = " (it stays in the registry file)" if key in SOURCES else ""
    echo(f"removed source {done.key}: {done.feeds} feed(s), {done.runs} run record(s){note}")


def check_source_fields(key: str, **given: str | None) -> dict[str, str | None]:
    """The fields of `tracker sources add`, checked; InvalidInput (exit 2) names the first bad one."""
    from tracker.claims.parse import check_text, check_url

    if not SOURCE_KEY.fullmatch(key):
        raise InvalidInput(f"a source key is up to 64 lowercase letters, digits, '.', '_' or '-': {key[:80]!r}")
    out: dict[str, str | None] = {}
    for option, allowed in (("dates_by", DATES_BY), ("side", SIDES), ("definition", SERIES_DEFINITIONS)):
        out[option] = check_choice(option, given.get(option), allowed)
    for option, limit in (("name", NAME_MAX), ("licence", LICENCE_MAX)):
        text = given.get(option)
        if text is not None:
            check_text(f"--{option}", text, limit)
            if not text.strip():
                raise InvalidInput(f"--{option} is blank")
        out[option] = text.strip() if text is not None else None
    url = given.get("url")
    out["url"] = check_url(url) if url is not None else None
    if url is not None and out["url"] is None:
        raise InvalidInput("--url is blank")
    return out


def register(app: typer.Typer) -> None:
    """Add the `sources` group: `sources list`, `sources add` and `sources remove`."""
    from tracker.commands.options import fails_in_one_line

    sources_app = typer.Typer(
        help="Who makes claims: the registry file (data/sources/sources.csv) and the sources a store records.",
        no_args_is_help=True,
    )
    app.add_typer(sources_app, name="sources")
    sources_app.command("list")(fails_in_one_line(sources_list))
    sources_app.command("add")(fails_in_one_line(sources_add))
    sources_app.command("remove")(fails_in_one_line(sources_remove))
