"""Scale-out partitions: each process takes its own Sparkplug groups and plain topic filters
(the two-process test against PostgreSQL is ``tests/scaleout``)."""

import pytest

from openspc.config import Settings
from openspc_sparkplug.config import SparkplugConfig


def config(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(f"OPENSPC_SPARKPLUG_{name}", value)
    found = SparkplugConfig.from_settings(Settings(_env_file=None, mqtt_url="mqtt://broker"))  # type: ignore[call-arg]
    assert found is not None
    return found


def test_groups_and_plain_topics_are_comma_separated_or_json(monkeypatch):
    found = config(monkeypatch, GROUPS=" Line1, Line2 ", PLAIN_TOPICS="plant/a/#,plant/+/b")
    assert found.groups == ["Line1", "Line2"]
    assert found.plain_topics == ["plant/a/#", "plant/+/b"]
    assert config(monkeypatch, GROUPS='["L1"]', PLAIN_TOPICS="").groups == ["L1"]


def test_a_process_subscribes_to_the_plain_topics_its_filters_match(monkeypatch):
    found = config(monkeypatch, PLAIN_TOPICS="plant/a/#,plant/+/b")
    assert found.takes_plain_topic("plant/a/x/y")
    assert found.takes_plain_topic("plant/z/b")
    assert not found.takes_plain_topic("plant/z/c")
    assert config(monkeypatch, PLAIN_TOPICS="").takes_plain_topic("anything/at/all")


@pytest.mark.parametrize("bad", ["a#", "a/#/b", "a+/b"])
def test_a_plain_topic_filter_is_checked(monkeypatch, bad):
    with pytest.raises(ValueError, match="topic filter"):
        config(monkeypatch, PLAIN_TOPICS=bad)


def test_a_group_id_is_checked(monkeypatch):
    with pytest.raises(ValueError, match="group id"):
        config(monkeypatch, GROUPS="Line/1")
