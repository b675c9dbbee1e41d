"""The ``openspc`` entry point of the Sparkplug B plugin."""

from __future__ import annotations

from collections.abc import Sequence

import click

from openspc.hookspecs import hookimpl
from openspc_sparkplug.cli import simulate
from openspc_sparkplug.provider import SparkplugProvider


@hookimpl
def register_providers() -> Sequence[type]:
    return [SparkplugProvider]


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(simulate)
