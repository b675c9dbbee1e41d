"""Delivery across faults, through the real app: the host going offline and back (store and
forward by the simulator), a broker restart mid-stream, TLS with a password and a client
certificate, and the server process killed and terminated mid-stream."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from openspc.testing.mosquitto import MosquittoBroker, free_port
from openspc_sparkplug.codec import decode_state
from openspc_sparkplug.simulator import EdgeNodeSimulator, SimulatorConfig


class PlainPublisher:
    """A plain QoS 1 publisher with a persistent session (paho queues while disconnected):
    JSON documents with a value ``v`` and a unique timestamp, ``rate`` per second."""

    def __init__(self, port: int, topic: str, rate: float) -> None:
        self.topic = topic
        self.rate = rate
        self.sent: list[int] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"pub-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        start = int(time.time() * 1000)
        while not self._stop.wait(1 / self.rate):
            timestamp = start + len(self.sent)
            self.client.publish(
                self.topic, json.dumps({"timestamp": timestamp, "v": len(self.sent)}), qos=1
            )
            self.sent.append(timestamp)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        deadline = time.monotonic() + 10
        while self.client._out_messages and time.monotonic() < deadline:
            time.sleep(0.05)
        self.client.disconnect()
        self.client.loop_stop()


def simulator(harness, group: str, broker_url: str, taken: list) -> EdgeNodeSimulator:
    config = SimulatorConfig(
        group=group,
        node="N",
        mqtt_url=broker_url,
        metrics=2,
        rate=50.0,
        primary_host=harness.host_id,
        seed=3,
        reconnect_delay=0.1,
    )
    return EdgeNodeSimulator(config, on_sample=lambda ts, values: taken.append((ts, values)))


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.05)


async def settled(harness, characteristic_id: int, seconds: float = 0.5) -> list:
    """The stored samples once their number stopped changing for ``seconds``."""
    samples = harness.samples(characteristic_id)
    while True:
        await asyncio.sleep(seconds)
        again = harness.samples(characteristic_id)
        if len(again) == len(samples):
            return again
        samples = again


async def test_host_offline_and_back_loses_nothing(harness, group):
    """STATE offline makes the simulator store; STATE online brings the stored samples back
    as historical metrics with their own timestamps: every sample arrives, once."""
    taken: list[tuple[int, list[float]]] = []
    edge = simulator(harness, group, harness.broker_url, taken)
    first = harness.characteristic(f"sparkplug://{group}/N/{edge.metric_names[0]}")
    second = harness.characteristic(f"sparkplug://{group}/N/{edge.metric_names[1]}")
    async with harness.app():
        await edge.start()
        await harness.wait_samples(first, 10)
    offline_at, forwarded = len(taken), edge.stats.historical_samples
    await asyncio.sleep(1.0)  # the host is down: the edge node stores
    assert edge.stats.historical_samples == forwarded and len(taken) >= offline_at + 30
    async with harness.app() as app:
        await app.wait_for(lambda h: h["samples"] > 50)
        await edge.stop()
        stored = await settled(harness, first)
    assert edge.stats.historical_samples >= forwarded + 30
    published = [ts for ts, _ in taken][: len(stored)]
    assert [ts for ts, _ in stored] == published  # in order, no gap, no duplicate
    assert len(stored) >= len(taken) - 2  # at most the samples taken while stopping
    assert [v for _, v in stored] == [[values[0]] for _, values in taken[: len(stored)]]
    assert len(harness.samples(second)) == len(stored)


async def test_broker_restart_mid_stream(group, make_harness):
    broker = MosquittoBroker().start()
    harness = make_harness(broker.url)
    taken: list[tuple[int, list[float]]] = []
    edge = simulator(harness, group, broker.url, taken)
    tag = harness.characteristic(f"sparkplug://{group}/N/{edge.metric_names[0]}")
    plain = harness.characteristic(f"mqtt://{group}/plain#v")
    try:
        async with harness.app(reconnect_max_delay=0.5) as app:
            await edge.start()
            publisher = PlainPublisher(broker.port, f"{group}/plain", rate=50)
            await harness.wait_samples(plain, 20)
            await asyncio.to_thread(broker.restart, 0.5)
            await app.wait_for(lambda h: h["connects"] == 2 and h["state"] == "online")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(publisher.stop)
            await edge.stop()
            stored_plain = await settled(harness, plain)
            stored = await settled(harness, tag)
            health = await app.health()
    finally:
        broker.close()
    # plain QoS 1: everything, exactly once
    assert [ts for ts, _ in stored_plain] == publisher.sent
    # Sparkplug: the simulator stored while the host (or the broker) was away; QoS 0
    # messages in flight at the broker's shutdown are the only ones that may be missing
    timestamps = [ts for ts, _ in stored]
    assert len(timestamps) == len(set(timestamps))
    assert set(timestamps) <= {ts for ts, _ in taken}
    missing = len({ts for ts, _ in taken[:-2]} - set(timestamps))
    assert missing <= 5, f"{missing} samples lost"
    assert health["ok"] and health["connects"] == 2


async def test_tls_with_password_and_client_certificate(group, make_harness):
    broker = MosquittoBroker(users={"openspc": "s3cret pw"}, client_certificates=True).start()
    harness = make_harness(broker.url)
    cid = harness.characteristic(f"mqtt://{group}/t")
    tls = {
        "mqtt_ca_file": broker.ca_file,
        "mqtt_cert_file": broker.client_cert,
        "mqtt_key_file": broker.client_key,
        "mqtt_username": "openspc",
    }
    try:
        async with harness.app({**tls, "mqtt_password": "wrong"}, online=False) as app:
            health = await app.wait_for(lambda h: h["last_error"] is not None)
            assert not health["ok"] and health["state"] == "offline"
            assert "refused" in health["last_error"]
        async with harness.app({**tls, "mqtt_password": "s3cret pw"}) as app:
            publisher = mqtt.Client(CallbackAPIVersion.VERSION2)
            publisher.username_pw_set("openspc", "s3cret pw")
            publisher.tls_set(
                ca_certs=str(broker.ca_file),
                certfile=str(broker.client_cert),
                keyfile=str(broker.client_key),
            )
            publisher.connect("127.0.0.1", broker.port)
            publisher.loop_start()
            publisher.publish(f"{group}/t", b"4.5", qos=1).wait_for_publish(5)
            publisher.disconnect()
            publisher.loop_stop()
            assert [v for _, v in await harness.wait_samples(cid, 1)] == [[4.5]]
            assert (await app.health())["broker"] == f"mqtts://127.0.0.1:{broker.port}"
    finally:
        broker.close()


@pytest.mark.parametrize("url", ["tcp://127.0.0.1", "mqtt://"])
def test_a_bad_broker_url_fails_the_start_loudly(url):
    from openspc.config import Settings
    from openspc_sparkplug.config import SparkplugConfig

    with pytest.raises(ValueError, match="mqtt://host"):
        SparkplugConfig.from_settings(Settings(_env_file=None, mqtt_url=url))  # type: ignore[call-arg]


# uvicorn shuts down gracefully on SIGTERM, then re-raises the signal
TERMINATED = (0, -signal.SIGTERM)


class Server:
    """``openspc serve`` in a subprocess (what systemd or a container would run)."""

    def __init__(self, harness, broker) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "OPENSPC_DATABASE_URL": harness.database_url,
            "OPENSPC_MQTT_URL": broker.url,
            "OPENSPC_SPARKPLUG_HOST_ID": harness.host_id,
            "OPENSPC_SPARKPLUG_SHUTDOWN_GRACE": "0.2",
            "OPENSPC_ADMIN_PASSWORD": "admin-test-password",
            "OPENSPC_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
            "OPENSPC_PLUGINS": '["sparkplug", "nelson"]',
            "OPENSPC_WEB_DIR": "/nonexistent/openspc-web",
            "OPENSPC_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openspc", "serve", "--port", str(self.port)], env=self.env
        )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    health = (await http.get("/health")).json()
                    if health["components"]["sparkplug"]["state"] == "online":
                        return
                assert time.monotonic() < deadline and self.process.poll() is None
                await asyncio.sleep(0.1)

    async def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        return await asyncio.to_thread(self.process.wait, 30)


class StateWatcher:
    """Every STATE message of a host, as (online, timestamp)."""

    def __init__(self, port: int, host_id: str) -> None:
        self.states: list[tuple[bool, int | None]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda c, u, m: self.states.append(
            tuple(decode_state(m.payload))  # type: ignore[arg-type]
        )
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(f"spBv1.0/STATE/{host_id}", 1)
        self.client.loop_start()

    async def wait(self, online: bool, after: int = 0) -> tuple[bool, int | None]:
        for _ in range(200):
            found = [s for s in self.states[after:] if s[0] == online]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no STATE online={online} after {after}: {self.states}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.mark.slow
async def test_sigkill_and_sigterm_mid_stream_lose_nothing(group, make_harness):
    """SIGKILL: the broker publishes the will (STATE offline) and redelivers what was not
    acknowledged. SIGTERM: STATE offline, what was taken is committed, a clean DISCONNECT.
    Across both, every QoS 1 message is stored exactly once."""
    broker = MosquittoBroker().start()
    harness = make_harness(broker.url)
    cid = harness.characteristic(f"mqtt://{group}/x#v")
    watcher = StateWatcher(broker.port, harness.host_id)
    server = Server(harness, broker)
    try:
        await server.start()
        online = await watcher.wait(True)
        publisher = PlainPublisher(broker.port, f"{group}/x", rate=200)
        await harness.wait_samples(cid, 100, timeout=30)
        assert await server.signal(signal.SIGKILL) == -signal.SIGKILL
        assert await watcher.wait(False) == (False, online[1])  # the will
        await asyncio.sleep(0.5)  # messages queue in the persistent session meanwhile

        seen = len(watcher.states)
        await server.start()
        online = await watcher.wait(True, after=seen)
        await harness.wait_samples(cid, len(publisher.sent) + 50, timeout=30)
        seen = len(watcher.states)
        assert await server.signal(signal.SIGTERM) in TERMINATED
        assert await watcher.wait(False, after=seen) == (False, online[1])
        await until(lambda: f"Client openspc-host-{harness.host_id} disconnected." in broker.log)

        await server.start()
        await asyncio.to_thread(publisher.stop)
        stored = await harness.wait_samples(cid, len(publisher.sent), timeout=20)
        assert await server.signal(signal.SIGTERM) in TERMINATED
    finally:
        if server.process and server.process.poll() is None:
            server.process.kill()
        watcher.close()
        broker.close()
    assert [ts for ts, _ in stored] == publisher.sent
    assert [v for _, v in stored] == [[float(i)] for i in range(len(publisher.sent))]
