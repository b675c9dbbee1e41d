"""``openspc import`` and ``openspc export`` on a real SQLite database, registered through
the plugin hook like any command."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from openspc.config import get_settings
from openspc.db import models as m
from openspc.plugins import create_plugin_manager
from openspc.testing.builders import Plant

TIMES = [f"2026-01-01T00:{i:02d}:00Z" for i in range(12)]


@pytest.fixture
def plant_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plant]:
    """The CLI's settings point at the test database; the chunks are small."""
    monkeypatch.setenv("OPENSPC_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("OPENSPC_BATCH_CHUNK_ROWS", "5")
    get_settings.cache_clear()
    plant = Plant(sqlite_url)
    yield plant
    plant.engine.dispose()
    get_settings.cache_clear()


def openspc(*args: str | Path) -> Result:
    cli = click.Group("openspc")
    create_plugin_manager(allow=["batch"]).hook.register_commands(cli=cli)
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_entry_point_names_the_plugin_module() -> None:
    (entry,) = [e for e in entry_points(group="openspc") if e.name == "batch"]
    assert entry.value == "openspc_batch.plugin"


def test_dry_run_then_import_then_refused_reimport(
    plant_cli: Plant, write: Callable[..., Path]
) -> None:
    cid = plant_cli.characteristic()
    values: list[object] = [0.5] * 12
    values[3] = "oops"
    path = write("data.csv", {"timestamp": TIMES, "x": values})
    dry = openspc("import", path, "--characteristic", cid, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "data.csv: 12 rows, 12 subgroups (dry run: nothing stored)" in dry.stdout
    assert "line 5: x 'oops' is not a number" in dry.stdout
    assert "checking: 5/12 rows" in dry.stderr and "storing" not in dry.stderr

    stored = openspc("import", path, "--characteristic", cid, "--json")
    assert stored.exit_code == 0, stored.output
    report = json.loads(stored.stdout)
    assert (report["stored"], report["rejected"]) == (11, 1)
    assert report["violations_by_rule"] == {"nelson.2": 3}  # the 9th, 10th, 11th on one side
    assert (
        "storing: 12/12 rows" in stored.stderr and "rows/s, 11 stored, 1 rejected" in stored.stderr
    )

    refused = openspc("import", path, "--characteristic", cid, "--on-duplicate", "refuse")
    assert refused.exit_code == 1
    assert "refused: 11 subgroups of data.csv are stored already" in refused.stdout


def test_a_mapping_file_with_the_long_layout(
    plant_cli: Plant, write: Callable[..., Path], tmp_path: Path
) -> None:
    cid = plant_cli.characteristic("bore", "xbar_r", 2, center=1.0)
    path = write(
        "long.parquet",
        {"part": ["bore"] * 4, "when": [TIMES[0]] * 2 + [TIMES[1]] * 2, "mm": [1.0, 1.1, 0.9, 1.0]},
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "layout": "long",
                "characteristic": "part",
                "characteristics": {"bore": cid},
                "timestamp": "when",
                "value": "mm",
            }
        )
    )
    result = openspc("import", path, "--map", mapping, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2


def test_usage_and_mapping_errors_are_reported(
    plant_cli: Plant, write: Callable[..., Path]
) -> None:
    path = write("data.csv", {"time": TIMES, "x": [1.0] * 12})
    neither = openspc("import", path)
    assert neither.exit_code == 2 and "give --characteristic ID or --map MAPPING" in neither.output
    missing = openspc("import", path, "--characteristic", 1)
    assert missing.exit_code == 1
    assert "column(s) 'timestamp' not in the file (its columns: time, x)" in missing.output


def test_export_writes_csv_or_parquet(
    plant_cli: Plant, write: Callable[..., Path], tmp_path: Path
) -> None:
    cid = plant_cli.characteristic()
    path = write("data.csv", {"timestamp": TIMES, "x": [0.5] * 12})
    assert openspc("import", path, "--characteristic", cid).exit_code == 0
    out = tmp_path / "out.parquet"
    result = openspc("export", "--characteristic", cid, "--output", out)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"samples": 12, "file": str(out)}
    frame = pl.read_parquet(out)
    assert frame["violations"].to_list() == [None] * 8 + ["nelson.2"] * 4
    since = openspc(
        "export",
        "--characteristic",
        cid,
        "--output",
        tmp_path / "x.csv",
        "--since",
        "2026-01-01 00:10:00",
    )
    assert json.loads(since.stdout)["samples"] == 2
    unknown = openspc("export", "--characteristic", 999, "--output", tmp_path / "none.csv")
    assert unknown.exit_code == 1 and "characteristic 999 not found" in unknown.output
    assert not (tmp_path / "none.csv").exists()


def test_orange_juice_p_chart_with_a_baseline_of_30(
    plant_cli: Plant, reference_data: Callable[[str], pl.DataFrame], tmp_path: Path
) -> None:
    """Montgomery's orange-juice cans, the 30 trial samples: p̄ = 0.2313, UCL = 0.4102,
    LCL = 0.0524; samples 15 and 23 are beyond the limits, no other."""
    path = tmp_path / "orangejuice.csv"
    reference_data("orangejuice.csv").filter(pl.col("trial")).write_csv(path)
    cid = plant_cli.characteristic("cans", "p", 50, center=None)
    result = openspc(
        "import", path, "--characteristic", cid, "--count-column", "D", "--size-column", "size",
        "--baseline", 30, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["stored"], report["rejected"]) == (30, 0)
    [version] = report["limits"]
    assert version["center_line"] == pytest.approx(0.2313, abs=5e-5)
    assert version["ucl"] == pytest.approx(0.4102, abs=5e-5)
    assert version["lcl"] == pytest.approx(0.0524, abs=5e-5)
    with plant_cli.engine.connect() as conn:
        beyond = conn.execute(
            select(m.Sample.timestamp)
            .join(m.Violation, m.Violation.sample_id == m.Sample.id)
            .where(m.Violation.rule_key == "nelson.1")
            .order_by(m.Sample.timestamp)
        ).scalars()
        minutes = [t.replace(tzinfo=None) - datetime(2026, 1, 1) for t in beyond]
    assert [t // timedelta(minutes=1) + 1 for t in minutes] == [15, 23]  # one a minute from 1
    summary = openspc("import", path, "--characteristic", cid, "--count-column", "D")
    assert "already stored  30 (skipped)" in summary.stdout


def test_a_wide_import_into_an_attribute_chart_is_a_clear_error(
    plant_cli: Plant, write: Callable[..., Path]
) -> None:
    cid = plant_cli.characteristic("cans", "p", 50, center=0.2)
    path = write("data.csv", {"timestamp": TIMES, "x": [3] * 12})
    result = openspc("import", path, "--characteristic", cid)
    assert result.exit_code == 1
    assert f"characteristic {cid} is a p chart: its samples are a count and a size" in result.output
    wrong = openspc("import", path, "--characteristic", cid, "--size-column", "x")
    assert wrong.exit_code == 1 and "a size column goes with a count column" in wrong.output
