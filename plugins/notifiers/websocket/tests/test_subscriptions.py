"""Clients receive exactly what they subscribed to: characteristics, or hierarchy subtrees
(including characteristics created there later); and heartbeats."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from openspc.testing.builders import Plant

from .conftest import Listener, listener, node

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def events(ws: Listener) -> list[tuple[str, int]]:
    """(type, characteristic id) of every event message received."""
    return [
        (m["type"], m["payload"]["characteristic_id"])
        for m in ws.messages
        if m["type"] in {"sample", "violation", "ack_update", "limits_update"}
    ]


async def test_every_event_type_reaches_only_the_subscribers_of_its_characteristic(
    serve, sqlite_url
):
    plant = Plant(sqlite_url)
    a, b = plant.characteristic("a"), plant.characteristic("b")
    server = serve(sqlite_url, heartbeat_seconds=0.3)
    token = server.token()
    url = f"{server.ws_url}?token={token}"
    async with (
        listener(url) as only_a,
        listener(url) as only_b,
        listener(url) as a_after_dropping_b,
        listener(url) as nothing,
    ):
        for ws, ids in ((only_a, [a]), (only_b, [b]), (a_after_dropping_b, [a, b])):
            await ws.send({"type": "subscribe", "characteristic_ids": ids})
        await a_after_dropping_b.send({"type": "unsubscribe", "characteristic_ids": [b]})
        acks = [
            ws.messages[await ws.next_of("subscribed")]
            for ws in (only_a, only_b, a_after_dropping_b)
        ]
        assert [ack["characteristic_ids"] for ack in acks] == [[a], [b], [a, b]]
        first = a_after_dropping_b.messages.index(acks[2])
        second = await a_after_dropping_b.next_of("subscribed", start=first + 1)
        assert a_after_dropping_b.messages[second]["characteristic_ids"] == [a]
        assert a_after_dropping_b.messages[second]["hierarchy_ids"] == []

        await server.submit(token, a, [5.0], T0)  # breaks rule 1: a sample and a violation
        await server.submit(token, b, [0.5, 0.2], T0)
        await only_a.received({"sample": 1, "violation": 1})
        await only_b.received({"sample": 2})
        await a_after_dropping_b.received({"sample": 1, "violation": 1})
        clients = (only_a, only_b, a_after_dropping_b, nothing)
        await asyncio.gather(*(ws.settle() for ws in clients))  # and nothing else

        assert events(only_a) == [("sample", a), ("violation", a)]
        assert events(only_b) == [("sample", b), ("sample", b)]
        assert events(a_after_dropping_b) == [("sample", a), ("violation", a)]

        violation = only_a.of_type("violation")[0]["payload"]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
            r = await http.post(
                f"/api/v1/violations/{violation['id']}/acknowledge",
                json={"reason_code": "TOOL_WEAR"},
            )
            assert r.status_code == 200, r.text
            r = await http.put(
                f"/api/v1/characteristics/{a}/limits", json={"center_line": 0.5, "sigma": 2.0}
            )
            assert r.status_code == 201, r.text
        for ws in (only_a, a_after_dropping_b):
            await ws.received({"ack_update": 1, "limits_update": 1})
        await asyncio.gather(*(ws.settle() for ws in clients))

        for ws in (only_a, a_after_dropping_b):
            assert events(ws) == [
                ("sample", a),
                ("violation", a),
                ("ack_update", a),
                ("limits_update", a),
            ]
            ack = ws.of_type("ack_update")[0]["payload"]
            assert (ack["violation_id"], ack["acknowledged"]) == (violation["id"], True)
            limits = ws.of_type("limits_update")[0]["payload"]
            assert (limits["center_line"], limits["sigma"]) == (0.5, 2.0)
        assert events(only_b) == [("sample", b), ("sample", b)]
        assert events(nothing) == []

        beats = nothing.of_type("heartbeat")
        assert beats[0]["interval"] == 0.3
        times = [datetime.fromisoformat(beat["ts"]) for beat in beats]
        gaps = [(t2 - t1).total_seconds() for t1, t2 in itertools.pairwise(times)]
        assert len(gaps) >= 2 and all(0.2 < g < 0.6 for g in gaps), gaps
        assert {msg["type"] for msg in nothing.messages} == {"heartbeat"}


async def test_malformed_client_messages_get_an_error_and_the_connection_stays(serve, sqlite_url):
    server = serve(sqlite_url)
    async with listener(f"{server.ws_url}?token={server.token()}") as ws:
        bad: list[Any] = [
            {"type": "subscribe", "characteristic_ids": ["x"]},
            {"type": "dance"},
            [1, 2],
        ]
        for message in bad:
            await ws.send(message)
        await ws.connection.send("{not json")
        await ws.send({"type": "subscribe", "hierarchy_id": 987654})
        await ws.send({"type": "subscribe", "characteristic_ids": [7]})
        ack = await ws.next_of("subscribed")
        errors = ws.of_type("error")
        assert len(errors) == 5
        assert "characteristic_ids.0" in errors[0]["detail"]
        assert errors[4]["detail"] == "hierarchy node 987654 does not exist"
        assert ws.messages[ack]["characteristic_ids"] == [7]


async def test_hierarchy_subscription_follows_the_subtree(serve, database_url):
    plant = Plant(database_url)
    site = node(plant, "Site", "site", None)
    line = node(plant, "Line A", "line", site)
    cell = node(plant, "Cell 1", "cell", line)
    y = plant.characteristic("y")  # under another root
    plant.line = cell
    x = plant.characteristic("x")
    server = serve(database_url, heartbeat_seconds=0.3)
    token = server.token()
    async with listener(f"{server.ws_url}?token={token}") as ws:
        await ws.send({"type": "subscribe", "hierarchy_id": site})
        ack = ws.messages[await ws.next_of("subscribed")]
        assert ack["hierarchy_ids"] == [site]
        assert ack["hierarchy_characteristic_ids"] == [x]
        assert ack["characteristic_ids"] == []

        plant.line = line
        z = plant.characteristic("z")  # created after the subscription, inside the subtree
        await server.submit(token, x, [0.1], T0)
        await server.submit(token, y, [0.1], T0)
        await server.submit(token, z, [0.1, 0.2], T0)
        await ws.received({"sample": 3})
        await ws.settle()
        assert events(ws) == [("sample", x), ("sample", z), ("sample", z)]

        await ws.send({"type": "unsubscribe", "hierarchy_id": site})
        ack = ws.messages[await ws.next_of("subscribed", start=len(ws.messages))]
        assert ack["hierarchy_ids"] == [] and ack["hierarchy_characteristic_ids"] == []
        await server.submit(token, x, [0.3], T0 + timedelta(seconds=1))
        await ws.settle()
        assert events(ws) == [("sample", x), ("sample", z), ("sample", z)]
