"""What waits for the broker: the newest last value per characteristic (superseded ones are
counted), every violation in order (only an overflow drops the oldest), recounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from openspc.engine.pipeline import BatchEvents
from openspc.testing.builders import T0
from openspc_mqtt_publisher.changes import Outbox
from openspc_mqtt_publisher.tally import Tally, dropped


def at(second: int) -> str:
    return (T0 + timedelta(seconds=second)).isoformat()


def ms(second: int) -> int:
    return int((T0 + timedelta(seconds=second)).timestamp() * 1000)


def sample(cid: int, second: int, value: float) -> dict[str, Any]:
    return {"characteristic_id": cid, "timestamp": at(second), "value": value}


def violation(cid: int, sample_id: int) -> dict[str, Any]:
    return {
        "characteristic_id": cid,
        "rule_key": "nelson.1",
        "sample_id": sample_id,
        "created_at": at(sample_id),
    }


def test_the_newest_sample_wins_and_a_superseded_last_value_is_counted():
    drops = Tally(dropped)
    outbox = Outbox(10, drops)
    outbox.add(BatchEvents(samples=[sample(1, 2, 2.0), sample(1, 1, 1.0), sample(2, 0, 5.0)]))
    assert drops.counts == {}  # the older sample of a batch was never a candidate
    outbox.add(BatchEvents(samples=[sample(1, 3, 3.0)]))

    changes = outbox.take()

    assert changes[1].last_value == (3.0, ms(3))
    assert changes[2].last_value == (5.0, ms(0))
    assert drops.counts == {"last_value_superseded": 1}
    assert outbox.take() == {}


def test_every_violation_waits_in_order_until_the_queue_overflows():
    drops = Tally(dropped)
    outbox = Outbox(3, drops)
    outbox.add(BatchEvents(violations=[violation(1, 10), violation(2, 11)]))
    outbox.add(BatchEvents(violations=[violation(1, 12), violation(1, 13)]))  # 4 > 3

    changes = outbox.take()

    assert list(changes[1].violations) == [
        ("nelson.1 sample 12", ms(12)),
        ("nelson.1 sample 13", ms(13)),
    ]
    assert list(changes[2].violations) == [("nelson.1 sample 11", ms(11))]
    assert changes[1].recount and changes[2].recount
    assert drops.counts == {"violation_overflow": 1}


def test_an_acknowledgment_asks_for_a_recount_only():
    outbox = Outbox(10, Tally(dropped))
    outbox.add(
        BatchEvents(acks=[{"violation_id": 4, "acknowledged": True, "characteristic_id": 7}])
    )

    [(cid, change)] = outbox.take().items()

    assert cid == 7 and change.recount
    assert change.last_value is None and change.limits is None and not change.violations
