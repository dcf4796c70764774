"""``ris3 profile``, ``ris3 compare``, ``ris3 hubs search|show`` and ``ris3 funding``: regions,
their comparison, the DIH catalogue and the planned cohesion funding."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .common import load_settings, require_passages, write_or_echo


@click.command()
@click.argument("region")
@click.option("--format", "-f", "fmt", type=click.Choice(("md", "html", "docx", "json")), default="md", show_default=True,
              help="md and html print or write; docx needs --out.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write; {ext} is replaced by the format, e.g. brief.{ext}.")
@click.option("--no-answers", is_flag=True, help="Leave out the EDP and digitalisation answers (no model load: ~2 s faster).")
def profile(region, fmt, out, no_answers) -> None:
    """A cited brief on REGION for an EDP workshop or a comparison.

    REGION is a name (English or local: "South Moravia", "Jihomoravský kraj", "Lubelskie",
    "Northern Netherlands"), a NUTS code (CZ064, PL31, NL1, LT) or part of a manifest region
    name. The brief lists the region's documents, priority domains (share of its text, and the
    official Czech domains for Czech regions), support structures named with example sentences,
    hubs and organisations linked to the JRC DIH catalogue, what the documents say about the
    entrepreneurial discovery process and digitalisation, and the 2014-2020 programmes covering
    the region with their planned amounts. Every statement cites a passage (document, page) or a
    dataset record (file, CSV lines).
    """
    from analysis.profiles import ProfileBuilder
    from app import service
    from app.render.profile_formats import profile_bytes

    settings = load_settings()
    asker = None if no_answers else service.open_asker(settings)
    index = require_passages(asker.index if asker else service.open_index(settings))
    try:
        result = ProfileBuilder(index, settings.corpus, asker=asker).build(region)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "docx" and not out:
        raise click.UsageError("DOCX is binary: give --out FILE")
    path = Path(str(out).replace("{ext}", fmt)) if out else None
    write_or_echo(profile_bytes(result, fmt), path,
                  f"{len(result.citations)} text and {len(result.data_citations)} data citations")


@click.command()
@click.argument("question")
@click.option("--regions", "-r", required=True,
              help='Regions to compare, comma-separated (";" when a name has a comma): "Lubelskie,Lithuania".')
@click.option("--top-k", type=click.IntRange(1, 100), default=None, help="Passages read per region, 1-100 (default 8).")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "md", "html", "json")), default="text", show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def compare(question, regions, top_k, fmt, out) -> None:
    """Answer QUESTION once per region, side by side, with each region's profile.

    Each answer comes only from that region's documents (in a report covering several regions,
    only its passages about the region), with its own numbered citations. When no sentence
    reaches the answer threshold, the nearest one is cited and marked low confidence. Below the
    answers: support-structure mentions per 10,000 words and priority-domain shares per region.
    """
    from analysis.compare import compare as run_compare
    from analysis.compare import parse_regions
    from app import service
    from app.render.profile_formats import compare_bytes

    settings = load_settings()
    asker = service.open_asker(settings)
    require_passages(asker.index)
    try:
        result = run_compare(asker, settings.corpus, question, parse_regions(regions), top_k=top_k)
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    write_or_echo(compare_bytes(result, fmt), out, f"{len(result.columns)} regions")


@click.group()
def hubs() -> None:
    """The JRC Digital Innovation Hubs catalogue snapshot bundled in corpus/data."""


def _catalogue():
    from analysis.hubs import HubCatalogue

    try:
        return HubCatalogue.from_corpus(load_settings().corpus)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc


@hubs.command("search")
@click.argument("query", required=False, default="")
@click.option("--country", help="Country as the catalogue writes it, e.g. Lithuania, 'Czech Republic'.")
@click.option("--sector", help="Part of a sector name, e.g. 'manufacture of machinery', healthcare.")
@click.option("--city", help="Part of the city name.")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def hubs_search(query, country, sector, city, limit, as_json) -> None:
    """Find hubs by name or acronym (DIGIMAT), then by text (BM25 over name, description, sectors,
    city); filters narrow both. Without QUERY, lists the hubs that pass the filters. Says so when
    no hub is named like QUERY, and then shows the nearest hubs by text."""
    cat = _catalogue()
    try:
        result = cat.search(query, country=country, sector=sector, city=city, limit=limit)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(result.message)
    for label, items in (("Named", [(h, None) for h in result.named]), ("Related by text", result.related)):
        if not items:
            continue
        if query:
            click.echo(f"\n{label}:")
        for h, score in items:
            place = ", ".join(x for x in (h.locality, h.country) if x)
            click.echo(f"  {h.id:<10} {h.name} ({place})" + (f"  score {score:.1f}" if score is not None else ""))
    click.echo(f"\nSource: {result.source}. 'ris3 hubs show ID' gives a hub's record and the passages naming it.",
               err=True)


@hubs.command("show")
@click.argument("hub")
@click.option("--json", "as_json", is_flag=True)
def hubs_show(hub, as_json) -> None:
    """HUB (an id such as dih:12995, or a name/acronym naming one hub): its catalogue record and
    where the indexed documents mention it (document, page)."""
    from app import service

    cat = _catalogue()
    try:
        h = cat.get(hub)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    mentions = cat.mentions(service.open_index(load_settings()), h.id)
    if as_json:
        click.echo(json.dumps({"hub": h.to_json(), "mentions": [m.__dict__ for m in mentions],
                               "source": cat.dataset.title}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{h.name}  ({h.id})")
    for label, value in (("country", h.country), ("city", h.locality), ("address", h.street), ("website", h.website),
                         ("sectors", "; ".join(h.sectors)), ("technologies", "; ".join(h.technologies)),
                         ("services", "; ".join(h.services))):
        click.echo(f"  {label + ':':<13} {value or '(not given in the catalogue)'}")
    if h.description:
        click.echo("\n" + h.description)
    click.echo(f"\nMentioned in the indexed documents: {len(mentions)} time(s)")
    for m in mentions[:20]:
        click.echo(f"  {m.doc_id}, {m.where}: “{m.sentence[:220]}{'…' if len(m.sentence) > 220 else ''}”")
    click.echo(f"\nSource: {cat.dataset.title}", err=True)


@click.command()
@click.argument("region", required=False)
@click.option("--country", help="All programmes of a country (code as in the data: PL, CZ, LT, GR/EL, UK).")
@click.option("--cci", help="Programme CCI code(s), comma-separated, e.g. 2014PL16M2OP003.")
@click.option("--fund", help="Only these funds: ERDF, ESF, CF, YEI, EAFRD, EMFF (comma = any of).")
@click.option("--to", "to", help="Only these thematic objectives: 01-11, TA (comma = any of).")
@click.option("--by", "by", default="programme,fund,to", show_default=True,
              help="Sum by these fields: programme, fund, to, category, priority, country.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "csv", "json", "md")), default="text", show_default=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
def funding(region, country, cci, fund, to, by, fmt, out) -> None:
    """Planned ESIF 2014-2020 amounts (EUR) from the bundled cohesiondata CSV.

    With REGION (as for 'ris3 profile'): the programmes covering it, regional ones first, then
    multi-regional and national ones (which cover the region among others, not the region's
    share). Or --country / --cci. Amounts are summed exactly as the CSV gives them; every sum
    lists the CSV lines it adds up; every row says its programme's scope, amounts by thematic
    objective are by fund too, and the regional and the national/multi-regional sums are given
    apart, never added up.
    """
    from analysis.funding import FundingData
    from app.render.funding_formats import render_funding

    settings = load_settings()
    try:
        data = FundingData.from_corpus(settings.corpus)
        if not (region or cci or country):
            raise click.UsageError("give a REGION, --country or --cci")
        selection = data.select_programmes(region=_resolve_region(settings, region) if region else None,
                                           cci=cci, country=country)
        rows = data.rows(selection.ccis, country=selection.country, fund=fund, to=to, scopes=selection.scopes)
        table = data.table(rows, by=[b.strip() for b in by.split(",") if b.strip()])
    except (ValueError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from exc
    write_or_echo(render_funding(table, selection.programmes, data.about, fmt, country=selection.country is not None)
                  .encode("utf-8"), out, f"{len(table)} rows")


def _resolve_region(settings, name: str):
    """REGION as 'ris3 profile' reads it: NUTS names and codes, and the indexed documents' regions."""
    from analysis.regions import RegionResolver
    from analysis.sources import dataset
    from app import service

    return RegionResolver(dataset(settings.corpus, "nuts").path, service.open_index(settings).documents()).resolve(name)
