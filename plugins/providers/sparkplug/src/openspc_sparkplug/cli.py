"""``openspc simulate``: run a Sparkplug B edge node with simulated process data."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

import click

from openspc_sparkplug.process_data import SpecialCause, parse_special_causes
from openspc_sparkplug.simulator import EdgeNodeSimulator, SimulatorConfig


def _special_causes(
    ctx: click.Context, param: click.Parameter, value: str
) -> tuple[SpecialCause, ...]:
    try:
        return parse_special_causes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("simulate")
@click.option("--mqtt-url", default="mqtt://127.0.0.1:1883", show_default=True)
@click.option("--group", required=True, help="Sparkplug group id.")
@click.option("--node", required=True, help="Edge node id.")
@click.option("--device", default=None, help="Publish the metrics on this device (DBIRTH/DDATA).")
@click.option("--metrics", default=20, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--rate",
    default=100.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Data messages per second; each carries one value of every metric.",
)
@click.option("--primary-host", default=None, help="Primary host id: births wait for its STATE.")
@click.option(
    "--special-causes",
    default="",
    callback=_special_causes,
    help="kind:metric@start[:magnitude[:length]],... with kind shift, trend, outlier or "
    "stratification; e.g. shift:3@200:1.5,outlier:0@50",
)
@click.option("--seed", default=None, type=int, help="Seed of the noise (reproducible data).")
@click.option("--duration", default=None, type=click.FloatRange(min=0), help="Stop after seconds.")
def simulate(
    mqtt_url: str,
    group: str,
    node: str,
    device: str | None,
    metrics: int,
    rate: float,
    primary_host: str | None,
    special_causes: tuple[SpecialCause, ...],
    seed: int | None,
    duration: float | None,
) -> None:
    """Run a Sparkplug B edge node publishing simulated process data until stopped."""
    try:
        config = SimulatorConfig(
            group=group,
            node=node,
            device=device,
            mqtt_url=mqtt_url,
            metrics=metrics,
            rate=rate,
            primary_host=primary_host,
            special_causes=special_causes,
            seed=seed,
        )
        simulator = EdgeNodeSimulator(config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    asyncio.run(_run(simulator, duration))


async def _run(simulator: EdgeNodeSimulator, duration: float | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    config = simulator.config
    where = config.node if config.device is None else f"{config.node}/{config.device}"
    click.echo(
        f"simulating {config.group}/{where}: {config.metrics} metrics, {config.rate:g} msg/s "
        f"on {config.mqtt_url}",
        err=True,
    )
    await simulator.start()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), duration)
    await simulator.stop()
    click.echo(f"stopped: {simulator.stats}", err=True)
    sys.stderr.flush()
