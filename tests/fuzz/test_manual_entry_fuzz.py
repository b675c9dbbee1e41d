"""Property-based fuzzing of manual entry: ``POST /characteristics/{id}/samples`` and
``/samples/batch`` with arbitrary JSON bodies, written as raw text so that NaN, Infinity and
numbers beyond a double (``1e400``) reach the server as tokens.

Whatever the body, the answer is a 201 or a 4xx in FastAPI's ``{"detail": ...}`` shape (a 422
names the field), never a 5xx; a refused submission stores nothing, so a batch is never half
stored; and every sample not stored is accounted for, by the HTTP status or, for the
duplicates a 201 batch skips, by the ``openspc_samples_rejected`` counter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, example, given, settings
from sqlalchemy import func, select

from openspc.api.schemas.samples import SampleBatchResult, SampleResult
from openspc.db import models as m
from openspc.metrics import REGISTRY

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
UNKNOWN_ID = 999_999
MAX_DOUBLE = 1.7976931348623157e308


@dataclass(frozen=True)
class Raw:
    """A JSON token written as it is (``NaN``, ``Infinity``, ``1e400``)."""

    token: str


def render(value: Any) -> str:
    """JSON text of ``value``, with :class:`Raw` tokens and non-finite floats written bare."""
    if isinstance(value, Raw):
        return value.token
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list):
        return "[" + ",".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{render(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


TOKENS = st.sampled_from(
    [Raw(t) for t in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0")]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    TOKENS,
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
#: The extremes of a double, and numbers whose square is beyond one.
EXTREMES = st.sampled_from(
    [0.0, -0.0, 5e-324, 1e100, -1e100, 1e155, -1e155, MAX_DOUBLE, -MAX_DOUBLE]
)
#: Numbers a client could send.
NUMBERS = st.one_of(
    st.floats(-1e6, 1e6),
    st.floats(allow_nan=False, allow_infinity=False),
    EXTREMES,
    st.integers(-(2**70), 2**70),
)
ODD_TIMESTAMPS = st.sampled_from(
    [
        "",
        "now",
        "yesterday",
        "2026-01-01",
        "2026-01-01T00:00",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-06-30T23:59:60Z",
        "2026-01-01T00:00:00+25:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999-14:00",
        "9999-12-31T23:59:59.999999Z",
        "2026-01-01T00:00:00.123456789Z",
        "2026-03-29T02:30:00",
    ]
)
#: Few enough that submissions often meet stored samples: duplicates.
REUSED_TIMESTAMPS = st.sampled_from([f"2026-05-01T08:00:0{i}Z" for i in range(4)])
TIMESTAMPS = st.one_of(
    REUSED_TIMESTAMPS,
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda t: t.isoformat()),
    ODD_TIMESTAMPS,
    st.integers(-(2**64), 2**64),
    st.floats(),
    JSON,
)


def readings(n: int) -> st.SearchStrategy[list[Any]]:
    """``n`` numbers (the subgroup size): a plausible subgroup, as far as its shape goes."""
    return st.one_of(
        st.lists(NUMBERS, min_size=n, max_size=n),
        (NUMBERS | EXTREMES).map(lambda v: [v] * n),  # a gauge stuck on one reading
    )


def plausible_samples(n: int) -> st.SearchStrategy[dict[str, Any]]:
    """Samples a client could well send: stored, duplicates, or refused for their values."""
    return st.fixed_dictionaries(
        {"measurements": readings(n)},
        optional={
            "timestamp": REUSED_TIMESTAMPS
            | st.datetimes(timezones=st.none() | st.timezones()).map(lambda t: t.isoformat()),
            "batch_number": st.text(max_size=100),
            "operator_id": st.text(max_size=100),
        },
    )


def hostile_samples(n: int) -> st.SearchStrategy[Any]:
    """The fields with bad values (counts, tokens, types, timestamps), unknown fields; or
    anything but an object."""
    sample = st.fixed_dictionaries(
        {
            "measurements": st.one_of(
                st.lists(NUMBERS, max_size=30),
                st.lists(NUMBERS | TOKENS, min_size=1, max_size=n + 1),
                st.just([1.0] * 10_000),
                JSON,
            )
        },
        optional={
            "timestamp": TIMESTAMPS,
            "batch_number": st.text(max_size=120) | JSON,
            "operator_id": st.text(max_size=120) | JSON,
            "measurement": JSON,
            "characteristic_id": st.integers(),
        },
    )
    return sample | JSON


def samples(n: int) -> st.SearchStrategy[Any]:
    return st.one_of(plausible_samples(n), plausible_samples(n), hostile_samples(n))


def batches(n: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.fixed_dictionaries({"samples": st.lists(plausible_samples(n), min_size=1, max_size=8)}),
        st.fixed_dictionaries({"samples": st.lists(samples(n), max_size=8)}),
        st.fixed_dictionaries({"samples": st.lists(samples(n))}, optional={"unknown": JSON}),
        st.just({"samples": [{"measurements": [1.0] * n}] * 10_001}),
        JSON,
    )


@dataclass(frozen=True)
class Target:
    characteristic_id: int
    subgroup_size: int


#: The seeded characteristics by chart type, the one still collecting its baseline, the one
#: bound to a tag (it takes no manual entry); and ids no characteristic has.
KINDS = ["imr", "xbar_r", "xbar_s", "baseline", "tag", "absent"]
ABSENT = [Target(UNKNOWN_ID, 1), Target(-1, 1), Target(2**63, 1), Target(2**70, 1)]


@pytest.fixture(scope="module")
def entry(start_seeded_app: Any) -> Iterator[tuple[Any, dict[str, list[Target]]]]:
    with start_seeded_app() as app:
        listed = app.client.get("/api/v1/characteristics", headers=app.headers("operator"))
        by_name = {c["name"]: Target(c["id"], c["subgroup_size"]) for c in listed.json()}
        yield (
            app,
            {
                "imr": [by_name["Bore imr"]],
                "xbar_r": [by_name["Bore xbar_r"]],
                "xbar_s": [by_name["Bore xbar_s"]],
                "baseline": [by_name["Collecting"]],
                "tag": [by_name["Spindle temperature"]],
                "absent": ABSENT,
            },
        )


def nasty(n: int) -> list[dict[str, Any]]:
    """Samples always tried: finite readings whose mean, range or standard deviation is not,
    and timestamps that leave the calendar when taken to UTC."""
    return [
        {"measurements": [MAX_DOUBLE] * n},
        {"measurements": [-MAX_DOUBLE, MAX_DOUBLE] * (n // 2) + [0.0] * (n % 2)},
        {"measurements": [1e155, -1e155] * (n // 2) + [0.0] * (n % 2)},
        {"measurements": [1e100, -1e100] * (n // 2) + [-1e100] * (n % 2)},
        {"measurements": [1.0] * n, "timestamp": "0001-01-01T00:30:00+01:00"},
        {"measurements": [1.0] * n, "timestamp": "9999-12-31T23:30:00-01:00"},
    ]


class Ledger:
    """Samples stored and the rejection counter, before and after one request."""

    def __init__(self, app: Any) -> None:
        self.engine = app.client.app.state.kernel.engine
        self.stored, self.rejected = self._read()

    def _read(self) -> tuple[int, dict[str, float]]:
        with self.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(m.Sample)).scalar_one()
        rejected = {
            reason: REGISTRY.get_sample_value("openspc_samples_rejected_total", {"reason": reason})
            or 0.0
            for reason in ("invalid", "duplicate")
        }
        return stored, rejected

    def change(self) -> tuple[int, dict[str, float]]:
        stored, rejected = self._read()
        return stored - self.stored, {r: rejected[r] - self.rejected[r] for r in rejected}


def post(app: Any, target: Target, suffix: str, body: Any) -> Any:
    return app.client.post(
        f"/api/v1/characteristics/{target.characteristic_id}/samples{suffix}",
        content=render(body),
        headers={**app.headers("operator"), "Content-Type": "application/json"},
    )


def assert_refusal_shape(response: Any) -> None:
    """A 4xx in FastAPI's shape: ``{"detail": message}``, or for a 422 the list of errors,
    each naming where in the request it is."""
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"detail"}, body
    detail = body["detail"]
    if response.status_code != 422:
        assert isinstance(detail, str) and detail, body
        return
    assert isinstance(detail, list) and detail, body
    for error in detail:
        assert {"type", "loc", "msg"} <= set(error), error
        assert error["loc"] and error["loc"][0] in ("body", "path"), error


@pytest.mark.parametrize("kind", KINDS)
def test_one_sample_is_stored_or_refused_whole(entry: Any, kind: str) -> None:
    app, targets = entry
    n = targets[kind][0].subgroup_size

    @FUZZ
    @given(target=st.sampled_from(targets[kind]), body=samples(n))
    def submit(target: Target, body: Any) -> None:
        ledger = Ledger(app)
        response = post(app, target, "", body)
        stored, rejected = ledger.change()
        if response.status_code == 201:
            sample = SampleResult.model_validate(response.json()).sample
            assert stored == 1 and rejected == {"invalid": 0, "duplicate": 0}
            assert sample.characteristic_id == target.characteristic_id
            sent = json.loads(render(body))["measurements"]  # as the server's parser reads it
            assert sample.measurements == [float(v) for v in sent]
            return
        assert_refusal_shape(response)
        assert stored == 0, f"{response.status_code} but {stored} stored"
        assert sum(rejected.values()) <= 1, rejected

    for body in nasty(n):
        submit = example(target=targets[kind][0], body=body)(submit)
    submit()


@pytest.mark.parametrize("kind", KINDS)
def test_a_batch_is_stored_all_or_nothing(entry: Any, kind: str) -> None:
    app, targets = entry
    n = targets[kind][0].subgroup_size

    @FUZZ
    @given(target=st.sampled_from(targets[kind]), body=batches(n))
    def submit(target: Target, body: Any) -> None:
        ledger = Ledger(app)
        response = post(app, target, "/batch", body)
        stored, rejected = ledger.change()
        if response.status_code == 201:
            result = SampleBatchResult.model_validate(response.json())
            submitted = len(body["samples"])
            assert len(result.sample_ids) == submitted
            duplicates = [i for i, sid in enumerate(result.sample_ids) if sid is None]
            assert result.duplicates == duplicates
            assert stored == submitted - len(duplicates), (stored, result)
            assert rejected == {"invalid": 0, "duplicate": len(duplicates)}, rejected
            return
        assert_refusal_shape(response)
        assert stored == 0, f"{response.status_code} but {stored} of the batch stored"
        sent = body.get("samples") if isinstance(body, dict) else None
        assert sum(rejected.values()) <= (len(sent) if isinstance(sent, list) else 0), rejected

    stored_first = {"measurements": [1.0] * n, "timestamp": "2026-05-02T00:00:00Z"}
    for bad in nasty(n):  # the bad sample last: nothing before it may stay stored
        submit = example(target=targets[kind][0], body={"samples": [stored_first, bad]})(submit)
    submit()
