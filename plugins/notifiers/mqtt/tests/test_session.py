"""Session rules that need no broker: history never replaces the last value, and an NDATA
carries only what changed."""

from __future__ import annotations

from openspc_mqtt_publisher.changes import Change
from openspc_mqtt_publisher.model import Alarm, CharacteristicState
from openspc_mqtt_publisher.session import EdgeNodeSession

from .wire import parse


def born(**state: object) -> EdgeNodeSession:
    session = EdgeNodeSession("G", "N")
    session.connect()
    session.birth([CharacteristicState(1, "c", **state)], now=5000)  # type: ignore[arg-type]
    return session


def test_an_older_sample_does_not_replace_the_last_value():
    session = born(last_value=2.0, last_value_at=1000)

    assert session.data({1: Change(last_value=(1.0, 999))}, {}, now=6000) is None
    newer = session.data({1: Change(last_value=(3.0, 1001))}, {}, now=6000)

    assert newer is not None and parse(newer).by_alias() == {16: [3.0]}


def test_an_unchanged_alarm_is_not_published_again():
    session = born(alarm=Alarm(2, "WARNING"))

    assert session.data({1: Change(recount=True)}, {1: Alarm(2, "WARNING")}, now=6000) is None
    changed = session.data({1: Change(recount=True)}, {1: Alarm(3, "CRITICAL")}, now=6000)

    assert changed is not None
    assert parse(changed).by_alias() == {16 + 6: [3], 16 + 5: ["CRITICAL"]}
