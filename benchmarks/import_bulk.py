"""Bulk import of history: ``openspc import`` of a CSV of 1,000,000 subgroups (1,000
characteristics × 1,000 subgroups of 5) into SQLite, all Nelson rules on (1-8 on the X̄ chart,
1-4 on the R chart), every characteristic with control limits.

    python benchmarks/import_bulk.py [--characteristics 1000] [--subgroups 1000] [--size 5]
                                     [--database-url URL]

The CSV is one row per subgroup (characteristic, timestamp, x1..x5) in time order, the
characteristics interleaved, as a historian export would be. The import runs as the real
command in a child process; its wall time and peak memory (max RSS) are measured. Prints
JSON. Floors: 1,000,000 subgroups in <= 60 s, peak memory < 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import insert

from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.db.migrate import upgrade
from openspc.engine.limit_versions import limits_values
from openspc.stats.limits import limits_from_sigma

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def plant(url: str, count: int, size: int) -> list[int]:
    """Characteristics with limits (CL 10, σ 1) and the dispersion-chart rules switched on."""
    engine = make_engine(url)
    limits = limits_values(limits_from_sigma("xbar_r", 10.0, 1.0, size), method="manual")
    with engine.begin() as conn:
        line = conn.execute(
            insert(m.Hierarchy).values(name="Line", type="line").returning(m.Hierarchy.id)
        ).scalar_one()
        ids = [
            conn.execute(
                insert(m.Characteristic)
                .values(
                    hierarchy_id=line,
                    name=f"c{i:04d}",
                    chart_type="xbar_r",
                    subgroup_size=size,
                    source="MANUAL",
                    decimal_places=3,
                    chart_params={},
                )
                .returning(m.Characteristic.id)
            ).scalar_one()
            for i in range(count)
        ]
        conn.execute(
            insert(m.ControlLimits), [{"characteristic_id": c, "version": 1, **limits} for c in ids]
        )
        conn.execute(
            insert(m.CharacteristicRule),
            [
                {
                    "characteristic_id": c,
                    "chart": "dispersion",
                    "rule_key": f"nelson.{k}",
                    "enabled": True,
                    "severity": "WARNING",
                    "params": {},
                }
                for c in ids
                for k in (2, 3, 4)
            ],
        )
    engine.dispose()
    return ids


def write_csv(path: Path, ids: list[int], subgroups: int, size: int) -> None:
    """Time-major rows of an in-control process (every rule still has its false alarms),
    where every 10th characteristic has a special cause: a 1.5 σ shift over 20 subgroups,
    then a trend over 8."""
    rng = np.random.default_rng(1)
    values = rng.normal(10.0, 1.0, (subgroups, len(ids), size))
    starts = rng.integers(0, subgroups - 28, len(ids))
    for k in range(0, len(ids), 10):
        s = starts[k]
        values[s : s + 20, k] += 1.5
        values[s + 20 : s + 28, k] += np.linspace(0.0, 3.0, 8)[:, None]
    stamps = [(T0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(subgroups)]
    frame = pl.DataFrame(
        {
            "characteristic": np.tile(np.asarray(ids), subgroups),
            "timestamp": np.repeat(np.asarray(stamps), len(ids)),
            **{f"x{j + 1}": np.round(values[:, :, j].ravel(), 4) for j in range(size)},
        }
    )
    frame.write_csv(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--characteristics", type=int, default=1000)
    parser.add_argument("--subgroups", type=int, default=1000, help="per characteristic")
    parser.add_argument("--size", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="openspc-import-bench-"))
    try:
        print(json.dumps(run(folder, args), indent=2))
    finally:
        shutil.rmtree(folder)


def run(folder: Path, args: argparse.Namespace) -> dict[str, object]:
    """Plant, write the CSV, import it with the command line; the results."""
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    ids = plant(url, args.characteristics, args.size)
    started = time.perf_counter()
    csv = folder / "history.csv"
    write_csv(csv, ids, args.subgroups, args.size)
    generated = time.perf_counter() - started

    mapping = folder / "mapping.json"
    columns = [f"x{j + 1}" for j in range(args.size)]
    mapping.write_text(json.dumps({"characteristic": "characteristic", "values": columns}))
    env = {**os.environ, "OPENSPC_DATABASE_URL": url, "OPENSPC_LOG_LEVEL": "WARNING"}
    load_before = os.getloadavg()
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "openspc", "import", str(csv), "--map", str(mapping), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"import failed ({child.returncode}):\n{child.stderr[-2000:]}")
    report = json.loads(child.stdout)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = args.characteristics * args.subgroups
    assert report["stored"] == total and report["rejected"] == 0, report
    return {
        "benchmark": "import_bulk",
        "database": url.split(":", 1)[0],
        "characteristics": args.characteristics,
        "subgroups": total,
        "subgroup_size": args.size,
        "rules_enabled": {"primary": "nelson.1-8", "dispersion": "nelson.1-4"},
        "csv_mib": round(csv.stat().st_size / 2**20, 1),
        "generate_seconds": round(generated, 1),
        "import_seconds": round(seconds, 1),
        "samples_per_s": round(total / seconds),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_memory_mib": round(usage.ru_maxrss / 1024),
        "violations": report["violations"],
        "load_average_1m": {"before": load_before[0], "after": os.getloadavg()[0]},
        "floors": {"import_seconds": 60, "peak_memory_mib": 2048},
    }


if __name__ == "__main__":
    main()
