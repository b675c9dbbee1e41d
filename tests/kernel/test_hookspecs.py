"""The hook contract: every hook documented, typed, and misspelt hooks fail loudly."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy
import pytest

from openspc import hookspecs
from openspc.plugins import create_plugin_manager

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "openspc_spec")
    ]


def test_there_are_hooks() -> None:
    assert {
        "register_rules",
        "register_providers",
        "register_notifiers",
        "register_routes",
        "register_commands",
        "startup",
        "shutdown",
        "violations_detected",
        "limits_changed",
    } <= set(hook_names())


@pytest.mark.parametrize("name", hook_names())
def test_every_hook_is_documented_and_typed(name: str) -> None:
    fn = getattr(hookspecs, name)
    assert fn.__doc__ and fn.__doc__.strip(), f"{name} has no docstring"
    assert "return" in inspect.signature(fn).__str__() or fn.__annotations__.get("return")
    docs = DOCS.read_text()
    assert re.search(rf"^###\s+`{name}\(", docs, re.MULTILINE), (
        f"docs/plugins.md lacks a section for {name}"
    )


def test_misspelt_hook_fails_at_startup() -> None:
    class Typo:
        @hookspecs.hookimpl
        def register_rulez(self) -> list[object]:
            return []

    with pytest.raises(pluggy.PluginValidationError):
        create_plugin_manager(allow=[], extra=[Typo()])


def test_allow_list_loads_nothing_else() -> None:
    pm = create_plugin_manager(allow=[])
    assert pm.list_name_plugin() == []


def test_extra_plugins_are_called_with_keywords() -> None:
    seen: list[int] = []

    class Listener:
        @hookspecs.hookimpl
        def limits_changed(self, characteristic_id: int) -> None:  # a subset of the arguments
            seen.append(characteristic_id)

    pm = create_plugin_manager(allow=[], extra=[Listener()])
    pm.hook.limits_changed(characteristic_id=7, limits={"ucl": 1.0})
    assert seen == [7]
