"""A client that stops reading is disconnected with ``overflow`` (1013) once its queue is
full, while the others keep receiving everything."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from websockets.asyncio.client import connect

from openspc.testing.builders import Plant

from .conftest import Listener, listener

QUEUE_SIZE = 2000
BATCH = 1000  # samples per submission (+ their violations): fit a reading client's queue


async def test_a_client_that_stops_reading_is_disconnected_with_overflow(serve, sqlite_url):
    cid = Plant(sqlite_url).characteristic()
    server = serve(sqlite_url, queue_size=QUEUE_SIZE, heartbeat_seconds=60)
    token = server.token()
    url = f"{server.ws_url}?token={token}"
    subscribe = {"type": "subscribe", "characteristic_ids": [cid]}

    # the stuck client: a tiny receive buffer, and it reads nothing after its subscription ack
    # (the server's socket buffer still absorbs thousands of messages before its queue fills)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.settings.port))
    async with (
        connect(url, sock=sock, max_queue=1, compression=None) as stuck_connection,
        listener(url) as fast,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        await stuck_connection.send(orjson.dumps(subscribe).decode())
        assert orjson.loads(await stuck_connection.recv())["type"] == "subscribed"
        await fast.send(subscribe)
        await fast.next_of("subscribed")

        rng = random.Random(7)
        sample_ids: list[int] = []
        violations = 0
        after_overflow = 0
        for i in range(40):
            result = await server.submit(
                token,
                cid,
                [rng.gauss(0, 1) for _ in range(BATCH)],
                datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
            )
            sample_ids += result["sample_ids"]
            violations += len(result["violations"])
            await fast.received({"sample": len(sample_ids)})  # keeps up, batch after batch
            health = (await http.get("/health")).json()["components"]["websocket"]
            if health["overflow_disconnects"]:
                after_overflow += 1
                if after_overflow == 2:  # one more batch after the disconnection
                    break
        assert health == {"clients": 1, "overflow_disconnects": 1}

        # now the stuck client reads what had reached it: samples in order, then overflow
        stuck = Listener(stuck_connection)
        stuck.listen()
        code, reason = await stuck.closed(timeout=20)
        assert (code, reason) == (1013, "overflow")
        assert stuck.messages[-1]["type"] == "overflow"
        assert stuck.messages[-1]["queue_size"] == QUEUE_SIZE
        received = [m["payload"]["id"] for m in stuck.messages if m["type"] == "sample"]
        assert 0 < len(received) < len(sample_ids) - BATCH
        assert received == sample_ids[: len(received)]

        # the fast client got every sample and violation, in order, and is still connected
        await fast.received({"violation": violations})
        assert [m["payload"]["id"] for m in fast.messages if m["type"] == "sample"] == sample_ids
        assert fast.counts["violation"] == violations
        assert fast.close_code is None
    print(
        f"\nstuck client disconnected after {len(received)} delivered samples of {len(sample_ids)}"
    )
