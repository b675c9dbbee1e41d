"""The installed rules (from every rule plugin) and how they can be configured."""

from __future__ import annotations

from fastapi import APIRouter

from openspc.api.deps import KernelDep, OperatorUser
from openspc.api.errors import AUTH_ERRORS
from openspc.api.schemas.rules import RuleInfo

router = APIRouter(prefix="/rules", tags=["rules"], responses=AUTH_ERRORS)


@router.get("", operation_id="listRules")
def list_rules(kernel: KernelDep, _: OperatorUser) -> list[RuleInfo]:
    """Every installed rule with its parameters' JSON Schema and defaults, sorted by key."""
    return [RuleInfo.of(rule) for _, rule in sorted(kernel.registry.rules.items())]
