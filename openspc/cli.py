"""The ``openspc`` command line."""

from __future__ import annotations

import json

import click

from openspc import __version__
from openspc.config import get_settings
from openspc.plugins import create_plugin_manager, describe_plugins
from openspc.usercli import user


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openspc")
def cli() -> None:
    """OpenSPC: Statistical Process Control for factories."""


@cli.command()
@click.option(
    "--host", default=None, help="Interface to bind (default: OPENSPC_HOST or 127.0.0.1)."
)
@click.option("--port", type=int, default=None, help="Port (default: OPENSPC_PORT or 8000).")
def serve(host: str | None, port: int | None) -> None:
    """Upgrade the database and run the server (API, web app, providers, notifiers)."""
    import uvicorn

    from openspc.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations to OPENSPC_DATABASE_URL."""
    from openspc.db.migrate import upgrade

    url = get_settings().database_url
    upgrade(url, revision)
    click.echo(f"database at {revision}: {url}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def plugins(as_json: bool) -> None:
    """List the discovered plugins and what each registers."""
    described = describe_plugins(create_plugin_manager(allow=get_settings().plugins))
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    if not described:
        click.echo("no plugins found in the 'openspc' entry-point group")
    for plugin in described:
        click.echo(f"{plugin['name']}  ({plugin.get('distribution', 'not a distribution')})")
        for kind, names in plugin["registers"].items():
            click.echo(f"  {kind}: {', '.join(names) if names else '-'}")


cli.add_command(user)


def main() -> None:
    create_plugin_manager(allow=get_settings().plugins).hook.register_commands(cli=cli)
    cli()
