"""The ``ris3`` command line: thin commands over app.service, the analysis layer and app.render,
one module per command group. Heavy imports happen inside commands so that ``ris3 --help``
answers at once. Domain errors are one line, never a traceback.

Other packages add commands through the entry point group ``ris3.commands``: each entry point is
a callable taking the ``cli`` group (eval/ adds ``ris3 eval`` and ``ris3 bench`` that way, so the
app never imports it). A plugin that fails to load is a one-line warning on stderr."""
from __future__ import annotations

import click

from app.settings import quiet_third_parties

from . import ask, indexing, operations, regions, reports, serve
from .errors import OneLineErrors

PLUGIN_GROUP = "ris3.commands"


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ris3-miner")
def cli() -> None:
    """ris3-miner: search EU smart-specialisation strategies, programmes and reports, and get
    answers with cited passages (document, page, region). Offline; nothing is downloaded.

    \b
    Start with:   ris3 ingest            (index the bundled corpus; incremental)
    Then ask:     ris3 ask "How does DIGIMAT relate to the South Moravian RIS3?"
    Count terms:  ris3 report keywords --by region -f html -o keywords.html
    In context:   ris3 kwic support.living_lab
    A region:     ris3 profile "South Moravia" -f docx -o brief.docx
    Compare:      ris3 compare "What role do clusters play?" --regions "Lubelskie,Lithuania"
    Data:         ris3 hubs search DIGIMAT;  ris3 funding Lubelskie
    Index lives in $RIS3_HOME (default: data/ in the repository).
    """
    quiet_third_parties()


for _command in (indexing.ingest, indexing.status, indexing.tags, ask.ask, reports.report, reports.kwic,
                 regions.profile, regions.compare, regions.hubs, regions.funding, operations.operations,
                 serve.serve):
    cli.add_command(_command)


def load_plugins(group: click.Group, entry_point_group: str = PLUGIN_GROUP) -> list[str]:
    """Call each entry point of ``entry_point_group`` with ``group``; the names of those loaded.
    One that fails is skipped with a one-line warning on stderr."""
    from importlib.metadata import entry_points

    loaded = []
    for ep in entry_points(group=entry_point_group):
        try:
            ep.load()(group)
        except Exception as exc:  # noqa: BLE001 -- a broken plugin must not break the CLI
            reason = " ".join(str(exc).split()) or type(exc).__name__
            click.echo(f"warning: ris3 plugin {ep.name!r} ({ep.value}) not loaded: {reason}", err=True)
        else:
            loaded.append(ep.name)
    return loaded


load_plugins(cli)


def main() -> None:
    cli()
