"""``/api/v1/imports`` and the sample exports through the real app (its kernel starts the
batch provider like any other)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from openspc.testing.builders import Plant

TIMES = [f"2026-01-01T00:{i:02d}:00Z" for i in range(12)]


@pytest.fixture
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setenv("OPENSPC_BATCH_UPLOAD_DIR", str(folder))
    monkeypatch.setenv("OPENSPC_BATCH_MAX_UPLOAD_MB", "1")
    return folder


@pytest.fixture
def site(upload_dir: Path, app_client: Any, roles: Any) -> Iterator[tuple[Any, Any, Plant]]:
    plant = Plant(app_client.app.state.kernel.settings.database_url)
    yield app_client, roles, plant
    plant.engine.dispose()


def upload(
    client: Any, headers: dict[str, str], content: bytes, name: str = "data.csv", **form: Any
) -> Any:
    data = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in form.items()}
    return client.post(
        "/api/v1/imports", files={"file": (name, content)}, data=data, headers=headers
    )


def finished(client: Any, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish")


def csv_bytes(columns: dict[str, list[Any]]) -> bytes:
    out = io.BytesIO()
    pl.DataFrame(columns).write_csv(out)
    return out.getvalue()


def test_an_engineer_imports_in_the_background(site: Any, upload_dir: Path) -> None:
    client, roles, plant = site
    cid = plant.characteristic()
    engineer = roles.headers("engineer")
    content = csv_bytes({"when": TIMES, "x": [0.5] * 11 + [-4.0]})
    started = upload(
        client, engineer, content, mapping={"timestamp": "when"}, characteristic_id=cid
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] == "queued" and job["created_by"] == "test-engineer"
    assert started.headers["location"].endswith(f"/api/v1/imports/{job['id']}")
    done = finished(client, engineer, job["id"])
    assert done["status"] == "succeeded", done
    report = done["result"]
    assert (report["file"], report["stored"], report["rejected"]) == ("data.csv", 12, 0)
    assert report["violations_by_rule"] == {"nelson.1": 2, "nelson.2": 3}  # primary and MR
    assert done["progress"] is None and done["finished_at"] is not None
    assert list(upload_dir.iterdir()) == []  # the upload is gone with its job
    samples = client.get(
        f"/api/v1/characteristics/{cid}/samples", headers=roles.headers("operator")
    ).json()
    assert samples["total"] == 12 and {s["source"] for s in samples["items"]} == {"IMPORT"}

    again = upload(
        client,
        engineer,
        content,
        mapping={"timestamp": "when"},
        characteristic_id=cid,
        on_duplicate="refuse",
    )
    refused = finished(client, engineer, again.json()["id"])
    assert refused["status"] == "succeeded"
    assert refused["result"]["refused"].startswith("12 subgroups of data.csv are stored already")


def test_a_dry_run_and_a_long_parquet_file(site: Any) -> None:
    client, roles, plant = site
    cid = plant.characteristic("bore", "xbar_r", 2)
    out = io.BytesIO()
    pl.DataFrame(
        {
            "part": ["B"] * 6,
            "t": [TIMES[0]] * 2 + [TIMES[1]] * 2 + [TIMES[2]] * 2,
            "v": [1.0, 2.0, 1.0, None, 1.5, 2.5],
        }
    ).write_parquet(out)
    mapping = {
        "layout": "long",
        "characteristic": "part",
        "characteristics": {"B": cid},
        "timestamp": "t",
        "value": "v",
    }
    engineer = roles.headers("engineer")
    job = upload(
        client, engineer, out.getvalue(), "lot.parquet", mapping=mapping, dry_run="true"
    ).json()
    report = finished(client, engineer, job["id"])["result"]
    assert report["dry_run"] and (report["subgroups"], report["rejected"]) == (3, 1)
    assert report["rejections"] == [{"line": 4, "reason": "v is missing"}]
    assert (
        client.get(f"/api/v1/characteristics/{cid}/samples", headers=engineer).json()["total"] == 0
    )


def test_bad_requests_name_the_field(site: Any) -> None:
    client, roles, plant = site
    cid = plant.characteristic()
    engineer = roles.headers("engineer")
    content = csv_bytes({"timestamp": TIMES, "x": [0.5] * 12})

    def field(response: Any) -> list[Any]:
        assert response.status_code == 422, response.text
        return [e["loc"] for e in response.json()["detail"]]

    assert field(upload(client, engineer, content)) == [["body", "mapping"]]
    assert field(upload(client, engineer, content, mapping="{oops")) == [["body", "mapping"]]
    missing = upload(
        client, engineer, content, mapping={"timestamp": "time"}, characteristic_id=cid
    )
    assert field(missing) == [["body", "mapping"]]
    assert "column(s) 'time' not in the file" in missing.json()["detail"][0]["msg"]
    assert field(upload(client, engineer, content, "data.xlsx", characteristic_id=cid)) == [
        ["body", "file_format"]
    ]
    assert field(upload(client, engineer, b"\x00\x01", "data.parquet", characteristic_id=cid)) == [
        ["body", "file"]
    ]
    assert field(upload(client, engineer, content, characteristic_id=cid, baseline=1)) == [
        ["body", "baseline"]
    ]
    big = upload(
        client,
        engineer,
        b"timestamp,x\n" + b"2026-01-01T00:00:00Z,1\n" * 50_000,
        characteristic_id=cid,
    )
    assert big.status_code == 413
    assert client.get("/api/v1/imports/999", headers=engineer).status_code == 404


def test_roles(site: Any) -> None:
    client, roles, plant = site
    cid = plant.characteristic()
    content = csv_bytes({"timestamp": TIMES, "x": [0.5] * 12})
    assert (
        upload(client, roles.headers("operator"), content, characteristic_id=cid).status_code == 403
    )
    assert upload(client, {}, content, characteristic_id=cid).status_code == 401
    job = upload(client, roles.headers("admin"), content, characteristic_id=cid).json()
    assert (
        client.get(f"/api/v1/imports/{job['id']}", headers=roles.headers("operator")).status_code
        == 403
    )
    finished(client, roles.headers("admin"), job["id"])
    for suffix in ("csv", "parquet"):
        r = client.get(
            f"/api/v1/characteristics/{cid}/samples.{suffix}", headers=roles.headers("operator")
        )
        assert r.status_code == 200
        assert client.get(f"/api/v1/characteristics/{cid}/samples.{suffix}").status_code == 401


def test_exports_carry_the_samples_and_their_violations(site: Any) -> None:
    client, roles, plant = site
    cid = plant.characteristic()
    engineer = roles.headers("engineer")
    content = csv_bytes({"timestamp": TIMES, "x": [0.5] * 11 + [-4.0]})
    finished(
        client, engineer, upload(client, engineer, content, characteristic_id=cid).json()["id"]
    )
    csv = client.get(f"/api/v1/characteristics/{cid}/samples.csv", headers=engineer)
    assert csv.headers["content-type"].startswith("text/csv")
    assert f'filename="characteristic-{cid}.csv"' in csv.headers["content-disposition"]
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert frame["m1"].to_list() == [0.5] * 11 + [-4.0]
    assert frame["violations"].to_list() == [None] * 8 + ["nelson.2"] * 3 + ["nelson.1"]
    assert frame["dispersion_violations"].to_list() == [None] * 11 + ["nelson.1"]
    parquet = client.get(
        f"/api/v1/characteristics/{cid}/samples.parquet",
        params={"since": "2026-01-01T00:10:00Z"},
        headers=engineer,
    )
    assert pl.read_parquet(io.BytesIO(parquet.content))["m1"].to_list() == [0.5, -4.0]
    assert (
        client.get("/api/v1/characteristics/999/samples.csv", headers=engineer).status_code == 404
    )


def test_circuit_c_chart_through_the_api_with_a_baseline(
    site: Any, reference_data: Callable[[str], pl.DataFrame]
) -> None:
    """Montgomery's circuit boards: c̄ = 19.85, UCL = 33.22, LCL = 6.48 from the 26 trial
    units; units 6 and 20 are beyond; the export carries the counts and sizes."""
    client, roles, plant = site
    cid = plant.characteristic("boards", "c", 100, center=None)
    engineer = roles.headers("engineer")
    content = io.BytesIO()
    reference_data("circuit.csv").write_csv(content)
    mapping = {"count": "x", "size": "size"}
    wide = upload(client, engineer, content.getvalue(), characteristic_id=cid)
    assert wide.status_code == 422 and wide.json()["detail"][0]["loc"] == ["body", "mapping"]
    assert "is a c chart: its samples are a count and a size" in wide.json()["detail"][0]["msg"]
    job = upload(
        client, engineer, content.getvalue(), mapping=mapping, characteristic_id=cid, baseline=26
    ).json()
    done = finished(client, engineer, job["id"])
    assert done["status"] == "succeeded", done
    report = done["result"]
    assert (report["stored"], report["rejected"]) == (46, 0)
    [version] = report["limits"]
    assert version["center_line"] == pytest.approx(19.846, abs=5e-4)
    assert (version["ucl"], version["lcl"]) == pytest.approx((33.22, 6.48), abs=0.01)
    frame = pl.read_csv(
        io.BytesIO(
            client.get(f"/api/v1/characteristics/{cid}/samples.csv", headers=engineer).content
        )
    )
    assert "m1" not in frame.columns and frame["size"].unique().to_list() == [100.0]
    assert frame["count"].to_list()[:3] == [21, 24, 16]
    beyond = frame.with_row_index("unit", offset=1).filter(
        pl.col("violations").str.contains("nelson.1")
    )
    assert beyond["unit"].to_list() == [6, 20]
