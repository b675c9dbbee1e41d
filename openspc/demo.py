"""``make demo``: a real Mosquitto, the server on an embedded SQLite database, a demo plant
and live simulated tag data. Stops everything on Ctrl-C."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from openspc.app import create_app
from openspc.config import Settings
from openspc.testing.mosquitto import MosquittoBroker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("data/demo"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--mqtt-port", type=int, default=1884)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    broker = MosquittoBroker(port=args.mqtt_port).start()
    os.environ.setdefault("OPENSPC_DATABASE_URL", f"sqlite:///{args.dir / 'openspc.db'}")
    os.environ["OPENSPC_MQTT_URL"] = broker.url
    os.environ.setdefault("OPENSPC_ADMIN_PASSWORD", "admin")
    print(
        f"OpenSPC demo: http://{args.host}:{args.port}/  (user admin, password "
        f"{os.environ['OPENSPC_ADMIN_PASSWORD']}); MQTT broker {broker.url}",
        flush=True,
    )
    try:
        uvicorn.run(create_app(Settings()), host=args.host, port=args.port, log_config=None)
    finally:
        broker.close()


if __name__ == "__main__":
    main()
