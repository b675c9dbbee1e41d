import pytest

from openspc.config import Settings
from openspc_sparkplug.config import SparkplugConfig


def settings(**values):
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_not_configured_without_a_broker():
    assert SparkplugConfig.from_settings(settings()) is None


def test_broker_credentials_from_the_settings_or_the_url(monkeypatch):
    config = SparkplugConfig.from_settings(settings(mqtt_url="mqtt://u%40x:p%3Aw@broker"))
    assert config is not None
    assert (config.username, config.password.get_secret_value()) == ("u@x", "p:w")
    assert (config.hostname, config.port, config.tls) == ("broker", 1883, False)
    assert config.broker == "mqtt://broker:1883"  # no credentials in health and logs
    config = SparkplugConfig.from_settings(
        settings(mqtt_url="mqtts://broker", mqtt_username="a", mqtt_password="b")
    )
    assert config is not None and (config.username, config.port, config.tls) == ("a", 8883, True)
    monkeypatch.setenv("OPENSPC_SPARKPLUG_HOST_ID", "scada2")
    monkeypatch.setenv("OPENSPC_SPARKPLUG_GROUPS", '["Plant1", "Plant2"]')
    config = SparkplugConfig.from_settings(settings(mqtt_url="mqtt://broker"))
    assert config is not None
    assert (config.host_id, config.session_id, config.groups) == (
        "scada2",
        "openspc-host-scada2",
        ["Plant1", "Plant2"],
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mqtt_url": "mqtt://b", "mqtt_ca_file": "/ca.pem"}, "not mqtts"),
        ({"mqtt_url": "mqtts://b", "mqtt_cert_file": "/c.pem"}, "both the cert file"),
    ],
)
def test_inconsistent_tls_settings_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        SparkplugConfig.from_settings(settings(**values))


def test_invalid_ids_are_refused(monkeypatch):
    monkeypatch.setenv("OPENSPC_SPARKPLUG_HOST_ID", "a/b")
    with pytest.raises(ValueError, match="host id"):
        SparkplugConfig.from_settings(settings(mqtt_url="mqtt://b"))
