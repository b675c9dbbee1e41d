"""Schema-driven fuzzing of the whole REST API from its own OpenAPI schema (schemathesis).

Every operation is called by every caller (anonymous, operator, engineer, admin) with data
schemathesis generates from the schema, valid and invalid, on an app started with a seeded
plant; path ids are mostly those of seeded records, so requests reach the handlers' logic and
not only their 404s. Every response must:

- not be a server error (5xx);
- conform to the schema: a documented status code and content type, a body that matches the
  documented model, and a 4xx for data the schema says is invalid;
- respect the role table of ``tests/api/test_role_matrix.py``: 401 for anonymous callers
  except on the public routes, 403 for a role below the route's minimum, neither for the rest.

Bounded and deterministic for CI: a few examples per operation and caller from a fixed seed.
``OPENSPC_FUZZ_EXAMPLES`` and ``OPENSPC_FUZZ_SEED`` run it deeper or differently by hand.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import zlib
from pathlib import Path
from types import ModuleType
from typing import Any

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, seed, settings
from openspc_webhook.schemas import Url
from pydantic import TypeAdapter, ValidationError
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from openspc.api.schemas import MAX_ID
from openspc.app import create_app
from openspc.config import Settings
from openspc.security import ROLES, Role, role_at_least

EXAMPLES = int(os.environ.get("OPENSPC_FUZZ_EXAMPLES", "6"))  # per operation and caller
SEED = os.environ.get("OPENSPC_FUZZ_SEED", "openspc")
WEBHOOK_URL: TypeAdapter[Any] = TypeAdapter(Url)


def _role_matrix() -> ModuleType:
    """``tests/api/test_role_matrix.py`` (the role table), imported by its path: the test
    directories are not packages (``--import-mode=importlib``)."""
    path = Path(__file__).parents[1] / "api" / "test_role_matrix.py"
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == str(path):
            return module
    spec = importlib.util.spec_from_file_location("openspc_fuzz_role_matrix", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ROLE_MATRIX = _role_matrix()
#: The app's schema, read once to name the tests (the same app is started per caller).
RAW_SCHEMA = create_app(
    Settings(_env_file=None, database_url="sqlite://", secret_key="x" * 40)  # type: ignore[call-arg]
).openapi()
#: Anonymous callers send generated credentials (bearer tokens, API keys); a role's token is
#: never mutated, so a request is invalid only where the schema says it is.
SCHEMAS = {
    "anonymous": schemathesis.openapi.from_dict(RAW_SCHEMA),
    "role": schemathesis.openapi.from_dict(
        RAW_SCHEMA,
        config=schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}}),
    ),
}
OPERATIONS = sorted(
    (op.ok().method.upper(), op.ok().path) for op in SCHEMAS["role"].get_all_operations()
)
CALLERS: list[Role | None] = [None, *ROLES]
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def expected_refusal(method: str, path: str, role: Role | None) -> int | None:
    """401 or 403 when the role table refuses this caller, None when it lets it in."""
    required = ROLE_MATRIX.minimum_role(ROLE_MATRIX.Endpoint(method, path))
    assert required is not None, f"{method} {path} is missing from the role table"
    if role is None:
        return 401
    return None if role_at_least(role, required) else 403


@pytest.fixture(scope="module", params=CALLERS, ids=lambda role: role or "anonymous")
def caller(request: pytest.FixtureRequest, start_seeded_app: Any) -> Any:
    """A freshly seeded app per caller: what one role's fuzz creates or changes does not
    decide what the next one meets."""
    with start_seeded_app() as app:
        yield request.param, app


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation(caller: Any, method: str, path: str) -> None:
    role, app = caller
    operation = SCHEMAS["role" if role else "anonymous"][path][method]
    public = (method, path) in ROLE_MATRIX.PUBLIC
    refusal = None if public else expected_refusal(method, path, role)
    seeded = {
        p.name: st.sampled_from(app.ids[p.name])
        for p in operation.path_parameters
        if p.name in app.ids
    }

    @seed(zlib.crc32(f"{SEED} {role} {method} {path}".encode()))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        case=st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ),
        ids=st.fixed_dictionaries(
            {name: st.one_of(ids, ids, ids, st.none()) for name, ids in seeded.items()}
        ),
    )
    def fuzz(case: Any, ids: dict[str, int | None]) -> None:
        # Every query parameter is a scalar; FastAPI reads the last of repeated ones, so a
        # repeated one is valid as far as the server goes, not the negative case it was made as.
        assume(not any(isinstance(v, list) for v in (case.query or {}).values()))
        for name, value in ids.items():  # mostly an id that resolves; None: as generated
            if value is not None and valid_id(case.path_parameters.get(name)):
                case.path_parameters[name] = value  # (an invalid one stays: it is the test)
        if path.startswith("/api/v1/webhooks") and deliverable(case.body):
            case.body["url"] = app.hook_url  # never the network
        headers = app.headers(role)
        response = send(app.client, case, headers)
        where = f"as {role or 'anonymous'}: {case.as_curl_command(headers=headers)}\n"
        status = response.status_code
        assert status < 500, f"{where}{status} {response.text}"
        if refusal is not None:
            assert status == refusal or unreadable_body(response), (
                f"{where}expected {refusal}, got {status} {response.text}"
            )
        elif not public:  # a public route may refuse bad credentials of its own (login)
            assert status not in (401, 403), f"{where}{status} {response.text}"
        case.validate_response(response, checks=CHECKS)

    fuzz()


def deliverable(body: Any) -> bool:
    """A webhook body whose URL the app would accept, and so deliver to."""
    if not isinstance(body, dict) or "url" not in body:
        return False
    try:
        WEBHOOK_URL.validate_python(body["url"])
    except ValidationError:
        return False
    return True


def valid_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID


def unreadable_body(response: Any) -> bool:
    """FastAPI decodes a body (JSON, a form) before it runs any dependency, authentication
    included: a body that cannot be decoded at all is refused (400 or 422) before the caller
    is known. That reads nothing stored and reveals nothing, so it counts as a refusal."""
    if response.status_code == 400:
        return bool(response.json() == {"detail": "There was an error parsing the body"})
    if response.status_code != 422:
        return False
    errors = response.json()["detail"]
    return bool(errors) and all(e["type"] == "json_invalid" for e in errors)


def send(client: Any, case: Any, headers: dict[str, str]) -> Any:
    """The case through the started app's TestClient (schemathesis' own ASGI transport would
    run the app's lifespan a second time), encoded by ``requests`` exactly as schemathesis'
    own transport encodes it, with the caller's token."""
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    kwargs["headers"] = {**kwargs["headers"], **headers}
    fields = ("method", "url", "headers", "params", "json", "data", "files")
    prepared = requests.Request(**{k: kwargs[k] for k in fields if k in kwargs}).prepare()
    assert prepared.method is not None and prepared.url is not None
    return client.request(
        prepared.method, prepared.url, headers=dict(prepared.headers), content=prepared.body
    )
