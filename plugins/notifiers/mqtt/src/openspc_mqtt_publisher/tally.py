"""Counters of the publisher, kept for ``/health`` and exported to Prometheus (``/metrics``)."""

from __future__ import annotations

from collections import Counter as Counts

from prometheus_client import Counter

from openspc.metrics import REGISTRY

published = Counter(
    "openspc_mqtt_published",
    "MQTT messages published by the publisher, by kind",
    ["kind"],
    registry=REGISTRY,
)
dropped = Counter(
    "openspc_mqtt_publish_dropped",
    "Updates the publisher dropped, by reason",
    ["reason"],
    registry=REGISTRY,
)


class Tally:
    """Counts by label, here (for ``/health``) and in a Prometheus counter."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.counts: Counts[str] = Counts()

    def add(self, label: str, n: int = 1) -> None:
        self.counts[label] += n
        self.counter.labels(label).inc(n)
