"""The ``openspc`` entry point of the Sparkplug B plugin."""

from __future__ import annotations

import click

from openspc.hookspecs import hookimpl
from openspc_sparkplug.cli import simulate


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(simulate)
