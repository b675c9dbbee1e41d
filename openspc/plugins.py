"""The plugin manager: loads the ``openspc`` entry-point group with pluggy."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy

from openspc import hookspecs
from openspc.rules import Rule


def create_plugin_manager(
    allow: Iterable[str] | None = None, extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """Load the ``openspc`` entry points (only the ``allow``-listed names when given), register
    the ``extra`` plugin objects (tests register fakes this way), and validate every hook."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    allowed = None if allow is None else set(allow)
    for ep in importlib.metadata.entry_points(group=hookspecs.PROJECT):
        if allowed is not None and ep.name not in allowed:
            continue
        if pm.get_plugin(ep.name) is None:
            pm.register(ep.load(), name=ep.name)
    for plugin in extra:
        pm.register(plugin)
    pm.check_pending()
    return pm


def _flatten(results: Iterable[Iterable[Any]]) -> list[Any]:
    return [item for result in results for item in result]


@dataclass(frozen=True)
class Registry:
    """What the plugins registered, resolved once at start-up (pluggy stays off the hot path)."""

    rules: dict[str, Rule]
    providers: dict[str, Any]
    notifiers: dict[str, Any]

    @classmethod
    def collect(cls, pm: pluggy.PluginManager) -> Registry:
        rules: dict[str, Rule] = {}
        for rule in _flatten(pm.hook.register_rules()):
            if rule.key in rules:
                raise ValueError(f"two plugins register the rule key {rule.key!r}")
            rules[rule.key] = rule
        providers = {p.name: p for p in _flatten(pm.hook.register_providers())}
        notifiers = {n.name: n for n in _flatten(pm.hook.register_notifiers())}
        return cls(rules=rules, providers=providers, notifiers=notifiers)


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """One entry per registered plugin with what each of its hooks registers (for the CLI)."""
    out = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        entry: dict[str, Any] = {
            "name": name,
            "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or []),
        }
        module = plugin if isinstance(plugin, ModuleType) else None
        dist = _distribution_of(module)
        if dist:
            entry["distribution"] = dist
        registers: dict[str, list[str]] = {}
        if hasattr(plugin, "register_rules"):
            registers["rules"] = [r.key for r in plugin.register_rules()]
        if hasattr(plugin, "register_providers"):
            registers["providers"] = [p.name for p in plugin.register_providers()]
        if hasattr(plugin, "register_notifiers"):
            registers["notifiers"] = [n.name for n in plugin.register_notifiers()]
        if hasattr(plugin, "register_routes"):
            registers["routes"] = sorted(
                {
                    getattr(r, "path", "?")
                    for router in plugin.register_routes()
                    for r in router.routes
                }
            )
        entry["registers"] = registers
        out.append(entry)
    return out


def _distribution_of(module: ModuleType | None) -> str | None:
    if module is None:
        return None
    top = module.__name__.split(".")[0]
    dists = importlib.metadata.packages_distributions().get(top)
    if not dists:
        return None
    return f"{dists[0]} {importlib.metadata.version(dists[0])}"
