"""``ris3 ingest``, ``ris3 status`` and ``ris3 tags``: building the index and saying what is in it."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import load_settings


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(0, 64), default=None, help="Extraction processes (default: $RIS3_WORKERS or 2).")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="Run the per-file work on a Dask cluster: tcp://HOST:PORT of a scheduler, or local:N worker "
                   "processes (default: $RIS3_INGEST_CLUSTER, else this process). This process writes the index.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-file outcome as JSON.")
def ingest(paths: tuple[Path, ...], workers: int | None, cluster: str | None, quiet: bool, as_json: bool) -> None:
    """Index PATHS (files or folders; default: the bundled corpus).

    Unchanged files are skipped, changed files re-indexed, files removed from a folder dropped.
    A file that cannot be read is reported with the reason and the rest goes on. Exits non-zero
    only when files were given and none could be indexed.
    """
    from dataclasses import asdict, replace

    from app import service

    settings = load_settings()
    if workers is not None:
        settings = replace(settings, workers=workers)
    if cluster is not None:
        from index.distributed import parse_cluster

        try:
            parse_cluster(cluster)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--cluster") from exc
        settings = replace(settings, ingest_cluster=cluster)
    for p in paths:
        if not p.exists():
            raise click.ClickException(f"{p}: no such file or folder")
    report = service.ingest(settings, list(paths) or None, progress=not quiet and not as_json)
    if as_json:
        click.echo(json.dumps({"seconds": round(report.seconds, 2), "repaired": report.repaired,
                               "files": [asdict(o) for o in report.outcomes]}, ensure_ascii=False, indent=2))
    else:
        if any(report.repaired.values()):
            r = report.repaired
            click.echo(f"repaired an interrupted ingest: {r['chroma_orphans_removed']} orphan vectors removed, "
                       f"{r['documents_to_redo']} documents redone, keyword index "
                       f"{'rebuilt' if r['keyword_rebuilt'] else 'kept'}", err=True)
        for o in report.outcomes:
            if o.status in ("failed", "skipped", "removed"):
                click.echo(f"{o.status:8} {o.file}: {o.reason}", err=o.status == "failed")
            elif o.status == "unchanged" and o.reason:  # failed before, same file: still failing
                click.echo(f"failed   {o.file}: {o.reason} (unchanged since the last run)", err=True)
        counts = {s: report.count(s) for s in ("ingested", "unchanged", "skipped", "failed", "removed")}
        click.echo(f"{counts['ingested']} ingested, {counts['unchanged']} unchanged, {counts['skipped']} skipped, "
                   f"{counts['failed']} failed, {counts['removed']} removed in {report.seconds:.1f} s")
    considered = [o for o in report.outcomes if o.status in ("ingested", "unchanged", "failed")]
    if considered and all(o.status == "failed" for o in considered):
        sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--check", is_flag=True,
              help="Check that the record, the Chroma collection and the keyword index hold the same passages "
                   "and that each document record agrees with its passages; exit 1 when they do not "
                   "('ris3 ingest' repairs it). Files changed since they were indexed are listed too.")
def status(as_json: bool, check: bool) -> None:
    """Documents, passages and failures in the index."""
    from app import service

    settings = load_settings()
    index = service.open_index(settings)
    if check:
        found = index.check()
        if as_json:
            click.echo(json.dumps(found, indent=2))
        else:
            click.echo(f"{found['passages']} passages recorded, {found['chroma']} in Chroma, {found['keyword']} in the "
                       f"keyword index: " + ("consistent" if found["ok"] else
                       f"{len(found['chroma_orphans'])} orphan vectors, {len(found['chroma_missing'])} passages without "
                       f"vectors, {len(found['keyword_stale'])} keyword entries out of date, "
                       f"{len(found['records_inconsistent'])} document records that disagree with their passages "
                       f"(run 'ris3 ingest' to repair)"))
            for r in found["records_inconsistent"]:
                click.echo(f"  inconsistent {r['doc_id']}: {r['problem']}")
            for r in found["files_changed"]:
                click.echo(f"  changed      {r['doc_id']} ({r['file']}): {r['problem']} (run 'ris3 ingest')")
        sys.exit(0 if found["ok"] else 1)
    rows = service.library_rows(index)
    data = {
        "index": str(index.folder),
        "settings": settings.index.as_dict(),
        "documents": sum(1 for r in rows if r["status"] == "ingested"),
        "passages": index.passage_count(),
        "files": rows,
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"index: {data['index']}")
    click.echo(f"{data['documents']} documents, {data['passages']} passages")
    for f in data["files"]:
        extra = f" ({f['reason']})" if f["reason"] else ""
        top = ", ".join(f"{t.split('.', 1)[-1]} {n}" for t, n in list(f["tag_counts"].items())[:4])
        tags = f"  [{top}]" if top else ""
        click.echo(f"  {f['status']:8} {f['doc_id']:45} {f['pages']:>4} p {f['passages']:>5} passages{extra}{tags}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def tags(as_json: bool) -> None:
    """List the concept and domain ids the tagger uses (for --tag), with their labels."""
    from nlp.lexicon import load_lexicon, load_taxonomy
    from nlp.tagging import tagging_version

    concepts = [{"id": c.id, "label": c.label, "group": c.group, "languages": sorted(c.variants),
                 "acronyms": c.acronyms, "policy": c.policy} for c in load_lexicon()[1]]
    domains = [{"id": d.id, "label": d.label, "nace": d.nace} for d in load_taxonomy()[1]]
    if as_json:
        click.echo(json.dumps({"version": tagging_version(), "concepts": concepts, "domains": domains},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"tagging version {tagging_version()}")
    for c in concepts:
        click.echo(f"  {c['id']:32} {c['label']} ({len(c['languages'])} languages)")
    for d in domains:
        click.echo(f"  {d['id']:32} {d['label']}" + (f" (NACE {d['nace']})" if d["nace"] else ""))
