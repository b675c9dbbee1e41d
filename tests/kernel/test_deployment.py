"""The compose file parses and names images, ports and settings consistently with the
Dockerfile and the application (Docker itself cannot run here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from openspc.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_services_and_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"openspc", "postgres", "mosquitto"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
    assert services["openspc"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "mosquitto": {"condition": "service_healthy"},
    }


def test_ports_match_the_dockerfile_and_the_broker() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    app = compose()["services"]["openspc"]
    exposed = re.search(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE)
    assert exposed and app["ports"] == [f"{exposed.group(1)}:{exposed.group(1)}"]
    assert "OPENSPC_PORT=8000" in dockerfile and "127.0.0.1:8000/health" in dockerfile
    broker_conf = (ROOT / "deploy" / "mosquitto.conf").read_text()
    assert "listener 1883" in broker_conf and "persistence true" in broker_conf
    assert app["environment"]["OPENSPC_MQTT_URL"] == "mqtt://mosquitto:1883"


def test_environment_names_are_settings_and_database_matches_postgres() -> None:
    services = compose()["services"]
    env = services["openspc"]["environment"]
    fields = {f"OPENSPC_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= fields, set(env) - fields
    pg = services["postgres"]["environment"]
    assert env["OPENSPC_DATABASE_URL"] == (
        f"postgresql://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"
    )


def test_images_are_pinned_to_a_major_version() -> None:
    for name, service in compose()["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
