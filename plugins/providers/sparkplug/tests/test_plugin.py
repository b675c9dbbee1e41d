from importlib.metadata import entry_points

import click
import pluggy
from click.testing import CliRunner

from openspc import hookspecs
from openspc_sparkplug import plugin


def test_entry_point_names_the_plugin_module():
    (entry,) = [e for e in entry_points(group="openspc") if e.name == "sparkplug"]
    assert entry.value == "openspc_sparkplug.plugin"


def test_registers_the_simulate_command_through_the_hook():
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)
    manager.check_pending()
    cli = click.Group("openspc")
    manager.hook.register_commands(cli=cli)
    assert "simulate" in cli.commands
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "--special-causes" in result.output and "--primary-host" in result.output


def test_simulate_rejects_bad_arguments_before_connecting():
    cli = click.Group("openspc")
    plugin.register_commands(cli=cli)
    runner = CliRunner()
    bad_cause = runner.invoke(
        cli, ["simulate", "--group", "G", "--node", "N", "--special-causes", "drift:1@2"]
    )
    assert bad_cause.exit_code == 2 and "special cause" in bad_cause.output
    bad_id = runner.invoke(cli, ["simulate", "--group", "G/1", "--node", "N"])
    assert bad_id.exit_code == 2 and "group id" in bad_id.output
    bad_url = runner.invoke(
        cli, ["simulate", "--group", "G", "--node", "N", "--mqtt-url", "tcp://x"]
    )
    assert bad_url.exit_code == 2 and "mqtt://" in bad_url.output
    missing = runner.invoke(
        cli,
        [
            "simulate",
            "--group",
            "G",
            "--node",
            "N",
            "--metrics",
            "1",
            "--special-causes",
            "shift:3@0",
        ],
    )
    assert missing.exit_code == 2 and "metric 3" in missing.output
