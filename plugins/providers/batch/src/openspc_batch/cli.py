"""``openspc import`` and ``openspc export``: straight against OPENSPC_DATABASE_URL.

The import runs its own ingestion pipeline on the database; while a server runs on the same
database, import through the API instead (``POST /api/v1/imports``): the server's window
cache does not see samples another process stores until it restarts.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from openspc.config import get_settings
from openspc.db.engine import make_engine
from openspc.engine.pipeline import utc
from openspc.kernel import Kernel
from openspc_batch.config import BatchConfig
from openspc_batch.export import UnknownCharacteristic, export_samples
from openspc_batch.importer import Importer, ImportOptions
from openspc_batch.mapping import MappingError, parse_mapping
from openspc_batch.report import ImportReport, Progress
from openspc_batch.source import SUFFIXES, FileKind, SourceError, file_kind

FILE_KINDS = click.Choice(["csv", "parquet"])


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--characteristic", "characteristic_id", type=int, help="Import every row into it.")
@click.option(
    "--map",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Column mapping (JSON; see the plugin's README).",
)
@click.option(
    "--count-column",
    "count_column",
    metavar="COLUMN",
    help="Attribute charts (p, np, c, u): the count column, one row per sample.",
)
@click.option(
    "--size-column",
    "size_column",
    metavar="COLUMN",
    help="Attribute charts: the sample size column (default: the characteristic's size).",
)
@click.option("--dry-run", is_flag=True, help="Validate and report; store nothing.")
@click.option(
    "--on-duplicate",
    type=click.Choice(["skip", "refuse"]),
    default="skip",
    show_default=True,
    help="Subgroups stored before (same characteristic and timestamp): skip them, or refuse "
    "the whole import.",
)
@click.option(
    "--baseline",
    type=click.IntRange(min=2),
    help="Characteristics without limits first get limits from their first N subgroups.",
)
@click.option("--format", "file_format", type=FILE_KINDS, help="Default: from the suffix.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(
    file: Path,
    characteristic_id: int | None,
    mapping_file: Path | None,
    count_column: str | None,
    size_column: str | None,
    dry_run: bool,
    on_duplicate: str,
    baseline: int | None,
    file_format: FileKind | None,
    as_json: bool,
) -> None:
    """Import historical samples from a CSV or Parquet FILE (progress on stderr, report on
    stdout)."""
    if characteristic_id is None and mapping_file is None:
        raise click.UsageError("give --characteristic ID or --map MAPPING")
    try:
        mapping = parse_mapping(
            mapping_file.read_text(encoding="utf-8") if mapping_file else None,
            characteristic_id,
            count=count_column,
            size=size_column,
        )
        options = ImportOptions(
            mapping=mapping,
            file_format=file_format,
            dry_run=dry_run,
            on_duplicate=on_duplicate,  # type: ignore[arg-type]
            baseline=baseline,
        )
        report = asyncio.run(_import(file, options))
    except (MappingError, SourceError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        click.echo(summary(report))
    if report.refused:
        sys.exit(1)


async def _import(file: Path, options: ImportOptions) -> ImportReport:
    kernel = Kernel(get_settings())
    kernel.migrate()
    await kernel.pipeline.start()
    bar = _ProgressBar()
    try:
        importer = Importer(
            kernel.pipeline,
            BatchConfig(),
            actor=f"cli:{getpass.getuser()}",
            publish=kernel.publish,
        )
        return await importer.run(file, options, on_progress=bar.update)
    finally:
        bar.close()
        await kernel.pipeline.stop()
        kernel.engine.dispose()


class _ProgressBar:
    """One click progress bar per pass (rows, ETA, rate) on a terminal; elsewhere (a log, a
    pipe) one line per step."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.bar: Any = None
        self.phase: str | None = None
        self.done = 0

    def update(self, progress: Progress) -> None:
        if not self.terminal:
            eta = progress.eta_seconds
            click.echo(
                f"{progress.phase}: {progress.rows_done:,}/{progress.rows_total:,} rows, "
                f"{_progress_text(progress)}, ETA {'-' if eta is None else f'{eta:,.0f} s'}",
                err=True,
            )
            return
        if progress.phase != self.phase:
            self.close()
            self.phase, self.done = progress.phase, 0
            self.bar = click.progressbar(
                length=max(progress.rows_total, 1),
                label=f"{progress.phase:8}",
                show_eta=True,
                show_pos=True,
                item_show_func=_progress_text,
                file=sys.stderr,
            )
            self.bar.__enter__()
        self.bar.update(progress.rows_done - self.done, progress)
        self.done = progress.rows_done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _progress_text(progress: Progress | None) -> str:
    if progress is None:
        return ""
    stored = f"{progress.stored:,} stored, " if progress.phase == "storing" else ""
    return f"{progress.rows_per_second:,.0f} rows/s, {stored}{progress.rejected:,} rejected"


def summary(report: ImportReport) -> str:
    """The report as text."""
    lines = [
        f"{report.file}: {report.rows:,} rows, {report.subgroups:,} subgroups"
        + (" (dry run: nothing stored)" if report.dry_run else ""),
    ]
    stored = not report.dry_run and not report.refused
    if report.refused:
        lines.append(f"  refused: {report.refused}")
    if stored:
        lines.append(
            f"  stored          {report.stored:,} samples "
            f"({len(report.characteristics):,} characteristics)"
        )
    lines.append(f"  already stored  {report.already_stored:,} (skipped)")
    lines.append(f"  rejected        {report.rejected:,}")
    lines += [f"    line {r.line}: {r.reason}" for r in report.rejections]
    if report.rejected > len(report.rejections):
        lines.append(f"    ... and {report.rejected - len(report.rejections):,} more")
    if stored:
        by_rule = ", ".join(f"{k}: {n:,}" for k, n in report.violations_by_rule.items())
        lines.append(
            f"  violations      {report.violations:,}" + (f" ({by_rule})" if by_rule else "")
        )
    lines += [
        f"  limits          characteristic {v['characteristic_id']}: version {v['version']} "
        f"from a baseline of {v['sample_count']} subgroups"
        for v in report.limits
    ]
    lines += [f"  note: {note}" for note in report.notes]
    lines.append(f"  took {report.seconds:,.1f} s")
    return "\n".join(lines)


@click.command("export")
@click.option("--characteristic", "characteristic_id", type=int, required=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: characteristic-ID.csv (or .parquet with --format parquet).",
)
@click.option("--format", "file_format", type=FILE_KINDS, help="Default: from --output, or CSV.")
@click.option(
    "--since", type=click.DateTime(), help="From this time (UTC unless it has an offset)."
)
@click.option("--until", type=click.DateTime(), help="Before this time.")
def export_command(
    characteristic_id: int,
    output: Path | None,
    file_format: FileKind | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Export a characteristic's samples with their violations to CSV or Parquet."""
    if output is None:
        kind: FileKind = file_format or "csv"
        output = Path(f"characteristic-{characteristic_id}.{kind}")
    else:
        try:
            kind = file_kind(output, file_format)
        except SourceError:
            raise click.UsageError(
                f"give --format, or an --output ending in {', '.join(SUFFIXES)}"
            ) from None
    engine = make_engine(get_settings().database_url)
    try:
        with output.open("wb") as out:
            n = export_samples(
                engine, characteristic_id, out, kind, since=_utc(since), until=_utc(until)
            )
    except UnknownCharacteristic as exc:
        output.unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    click.echo(json.dumps({"samples": n, "file": str(output)}))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)
