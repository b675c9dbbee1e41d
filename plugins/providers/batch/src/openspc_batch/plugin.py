"""The ``openspc`` entry point of the batch import plugin."""

from __future__ import annotations

from collections.abc import Sequence

import click
from fastapi import APIRouter

from openspc.hookspecs import hookimpl
from openspc_batch.cli import export_command, import_command
from openspc_batch.provider import BatchImportProvider
from openspc_batch.routes import router


@hookimpl
def register_providers() -> Sequence[type]:
    return [BatchImportProvider]


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(export_command)


@hookimpl
def register_routes() -> Sequence[APIRouter]:
    return [router]
