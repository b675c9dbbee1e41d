"""The ISA-95 plant hierarchy: enterprise > site > area > line > cell > equipment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from openspc.api.schemas import NOT_NULL, Id, Name

NodeType = Literal["enterprise", "site", "area", "line", "cell", "equipment"]
#: ISA-95 order, top first; a node's type may not be above its parent's.
LEVELS: dict[str, int] = {t: i for i, t in enumerate(get_args(NodeType))}


class HierarchyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    type: NodeType
    parent_id: Id | None = Field(default=None, description="None: a root node")


class HierarchyUpdate(BaseModel):
    """Rename, retype, or move (``parent_id``; null moves the node to the top)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name | None, NOT_NULL] = None
    type: Annotated[NodeType | None, NOT_NULL] = None
    parent_id: Id | None = None


class HierarchyNode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    name: str
    type: NodeType
    created_at: datetime


class HierarchyTree(HierarchyNode):
    children: list[HierarchyTree] = Field(default_factory=list)
