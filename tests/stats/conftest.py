"""Reference data sets (``tests/data``, a copy of the project's public ``shared/data``) as NumPy arrays."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


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
