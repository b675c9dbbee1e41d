"""Prometheus metrics (served at ``/metrics``). Updated per micro-batch, not per sample."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

samples_ingested = Counter(
    "openspc_samples_ingested", "Samples committed, by source", ["source"], registry=REGISTRY
)
samples_rejected = Counter(
    "openspc_samples_rejected", "Samples not stored, by reason", ["reason"], registry=REGISTRY
)
violations_detected = Counter(
    "openspc_violations", "Violations stored, by rule", ["rule_key"], registry=REGISTRY
)
ingest_latency = Histogram(
    "openspc_ingest_latency_seconds",
    "From submission to commit",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
batch_size = Histogram(
    "openspc_batch_size",
    "Samples per micro-batch",
    buckets=(1, 2, 5, 10, 50, 100, 500, 1000, 2000, 5000, 10000),
    registry=REGISTRY,
)
queue_depth = Gauge("openspc_ingest_queue_depth", "Submissions waiting", registry=REGISTRY)
websocket_clients = Gauge(
    "openspc_websocket_clients", "Connected WebSocket clients", registry=REGISTRY
)
mqtt_connected = Gauge(
    "openspc_mqtt_connected",
    "MQTT connection state (1 connected)",
    ["connection"],
    registry=REGISTRY,
)
mqtt_messages = Counter(
    "openspc_mqtt_messages", "MQTT messages received", ["connection"], registry=REGISTRY
)
mqtt_dropped = Counter(
    "openspc_mqtt_dropped", "MQTT values dropped, by reason", ["reason"], registry=REGISTRY
)
