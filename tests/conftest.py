"""Session-wide test ordering, and the reference data sets (``tests/data``, a copy of the
project's public ``shared/data``) as NumPy arrays."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API leaves its event loop marked as running
    in the main thread, which would break every asyncio test after it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


REPOSITORY = Path(__file__).resolve().parents[1]


def reference_data_dir() -> Path:
    """``$OPENSPC_REFERENCE_DATA``, else ``tests/data`` in the repository."""
    configured = os.environ.get("OPENSPC_REFERENCE_DATA")
    directory = Path(configured) if configured else REPOSITORY / "tests" / "data"
    if not (directory / "README.md").is_file():
        raise FileNotFoundError(f"reference data sets not found in {directory}")
    return directory


def _rows(name: str) -> list[dict[str, str]]:
    with (reference_data_dir() / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _subgroups(name: str) -> tuple[np.ndarray, np.ndarray]:
    """NaN-padded ``[k, m]`` measurements and the phase-I (``trial``) mask."""
    rows = _rows(name)
    columns = sorted(key for key in rows[0] if key.startswith("x"))
    values = np.array([[float(row[c]) if row[c] else math.nan for c in columns] for row in rows])
    trial = np.array([row.get("trial") == "TRUE" for row in rows])
    return values, trial


@pytest.fixture(scope="session")
def pistonrings() -> np.ndarray:
    """Montgomery's piston-ring diameters: 40 subgroups of 5."""
    return _subgroups("pistonrings_wide.csv")[0]


@pytest.fixture(scope="session")
def pistonrings_phase_one() -> np.ndarray:
    """The first 25 subgroups (``trial``)."""
    values, trial = _subgroups("pistonrings_wide.csv")
    assert trial.sum() == 25 and trial[:25].all()
    return values[trial]


@pytest.fixture(scope="session")
def pistonrings_unequal() -> np.ndarray:
    """qcc's ``diameter2``: pistonrings without observations 9, 10, 30, 35, 45, 64, 65, 74,
    75, 85, 99 and 100, so subgroups of 3, 4 and 5; 40 subgroups, NaN-padded."""
    return _subgroups("pistonrings_unequal_wide.csv")[0]


def _viscosity() -> tuple[np.ndarray, np.ndarray]:
    rows = _rows("viscosity.csv")
    values = np.array([float(row["viscosity"]) for row in rows])
    return values, np.array([row["trial"] == "TRUE" for row in rows])


@pytest.fixture(scope="session")
def viscosity() -> np.ndarray:
    """Montgomery's batch viscosities: 35 individual values."""
    return _viscosity()[0]


@pytest.fixture(scope="session")
def viscosity_phase_one() -> np.ndarray:
    """The first 20 batches (``trial``)."""
    values, trial = _viscosity()
    assert trial.sum() == 20 and trial[:20].all()
    return values[trial]


def _counts(name: str, count: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts, sizes and the phase-I (``trial``) mask of an attribute data set."""
    rows = _rows(name)
    return (
        np.array([float(row[count]) for row in rows]),
        np.array([float(row["size"]) for row in rows]),
        np.array([row.get("trial") == "TRUE" for row in rows]),
    )


@pytest.fixture(scope="session")
def orangejuice() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Montgomery's orange-juice cans: nonconforming ``D`` of 50 per sample; 54 samples, the
    first 30 ``trial``."""
    return _counts("orangejuice.csv", "D")


@pytest.fixture(scope="session")
def circuit() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Montgomery's circuit boards: nonconformities ``x`` per inspection unit; 46 units, the
    first 26 ``trial``."""
    return _counts("circuit.csv", "x")


@pytest.fixture(scope="session")
def pcmanufact() -> tuple[np.ndarray, np.ndarray]:
    """Montgomery's personal computers: nonconformities ``x`` in samples of 5; 20 samples."""
    counts, sizes, _ = _counts("pcmanufact.csv", "x")
    return counts, sizes


@pytest.fixture(scope="session")
def nist_ewma() -> np.ndarray:
    """The NIST/SEMATECH e-Handbook EWMA example (6.3.2.4): 20 observations."""
    return np.array([float(row["x"]) for row in _rows("nist_ewma.csv")])
