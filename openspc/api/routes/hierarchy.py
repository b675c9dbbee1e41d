"""The ISA-95 plant hierarchy: the whole tree, and creating, renaming, moving, deleting nodes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy import Connection

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import (
    AUTH_ERRORS,
    ERRORS,
    conflict,
    conflict_on_integrity_error,
    invalid,
    not_found,
)
from openspc.api.schemas import Id
from openspc.api.schemas.hierarchy import (
    LEVELS,
    HierarchyCreate,
    HierarchyNode,
    HierarchyTree,
    HierarchyUpdate,
)
from openspc.db.repo import audit
from openspc.db.repo import hierarchy as hierarchy_repo

router = APIRouter(prefix="/hierarchy", tags=["hierarchy"], responses=AUTH_ERRORS)

NAME_TAKEN = "A node with that name already exists at that place in the hierarchy"


def _trees(rows: Iterable[Any]) -> list[HierarchyTree]:
    """Nest rows under their parents; rows whose parent is not among them are the roots."""
    rows = list(rows)
    nodes = {r.id: HierarchyTree.model_validate(r) for r in rows}
    roots: list[HierarchyTree] = []
    for r in rows:
        parent = nodes.get(r.parent_id)
        (roots if parent is None else parent.children).append(nodes[r.id])
    return roots


def _snapshot(row: Any) -> dict[str, Any]:
    return {"name": row.name, "type": row.type, "parent_id": row.parent_id}


def _check_level(node_type: str, parent_type: str) -> None:
    if LEVELS[node_type] < LEVELS[parent_type]:
        raise invalid(
            ("body", "type"),
            f"a {node_type} cannot be placed under a {parent_type} "
            f"(ISA-95 order: {' > '.join(LEVELS)})",
        )


def _parent(conn: Connection, parent_id: int) -> Any:
    parent = hierarchy_repo.get(conn, parent_id)
    if parent is None:
        raise invalid(("body", "parent_id"), f"hierarchy node {parent_id} does not exist")
    return parent


@router.get("", operation_id="getHierarchy")
def get_hierarchy(kernel: KernelDep, _: OperatorUser) -> list[HierarchyTree]:
    """The whole plant tree: the top nodes, each with its children nested, sorted by name."""
    with kernel.engine.connect() as conn:
        return _trees(hierarchy_repo.all_nodes(conn))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createHierarchyNode",
    responses={409: {"description": NAME_TAKEN}},
)
def create_node(kernel: KernelDep, user: EngineerUser, body: HierarchyCreate) -> HierarchyNode:
    with conflict_on_integrity_error(NAME_TAKEN), kernel.engine.begin() as conn:
        if body.parent_id is not None:
            _check_level(body.type, _parent(conn, body.parent_id).type)
        if hierarchy_repo.sibling_named(conn, body.parent_id, body.name):
            raise conflict(f"a node named {body.name!r} exists there already")
        row = hierarchy_repo.create_node(conn, body.model_dump())
        audit.record(conn, user.name, "create", "hierarchy", row.id, after=_snapshot(row))
    return HierarchyNode.model_validate(row)


@router.get("/{node_id}", operation_id="getHierarchyNode", responses={404: ERRORS[404]})
def get_node(kernel: KernelDep, _: OperatorUser, node_id: Id) -> HierarchyTree:
    """One node with everything below it."""
    with kernel.engine.connect() as conn:
        rows = hierarchy_repo.subtree_nodes(conn, node_id)
    if not rows:
        raise not_found("hierarchy node")
    [tree] = _trees(rows)  # the node's parent is not among the rows
    return tree


@router.patch(
    "/{node_id}",
    operation_id="updateHierarchyNode",
    responses={404: ERRORS[404], 409: {"description": NAME_TAKEN}},
)
def update_node(
    kernel: KernelDep, user: EngineerUser, node_id: Id, body: HierarchyUpdate
) -> HierarchyNode:
    """Rename, change the type, or move the node (and everything below it) to a new parent."""
    changes = body.model_dump(exclude_unset=True)
    with conflict_on_integrity_error(NAME_TAKEN), kernel.engine.begin() as conn:
        node = hierarchy_repo.get(conn, node_id)
        if node is None:
            raise not_found("hierarchy node")
        new = {**_snapshot(node), **changes}
        if new["parent_id"] is not None:
            parent = _parent(conn, new["parent_id"])
            if "parent_id" in changes and hierarchy_repo.in_subtree(conn, node_id, parent.id):
                raise invalid(
                    ("body", "parent_id"), "a node cannot be moved under itself or its descendants"
                )
            _check_level(new["type"], parent.type)
        if "type" in changes:
            for child_type in hierarchy_repo.child_types(conn, node_id):
                if LEVELS[child_type] < LEVELS[new["type"]]:
                    raise invalid(("body", "type"), f"the node has a {child_type} below it")
        if hierarchy_repo.sibling_named(conn, new["parent_id"], new["name"], other_than=node_id):
            raise conflict(f"a node named {new['name']!r} exists there already")
        if new == _snapshot(node):
            return HierarchyNode.model_validate(node)
        row = hierarchy_repo.update_node(conn, node_id, changes)
        audit.record(
            conn,
            user.name,
            "update",
            "hierarchy",
            node_id,
            before=_snapshot(node),
            after=_snapshot(row),
        )
    return HierarchyNode.model_validate(row)


@router.delete(
    "/{node_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteHierarchyNode",
    responses={
        404: ERRORS[404],
        409: {"description": "The node has child nodes or characteristics"},
    },
)
def delete_node(kernel: KernelDep, user: EngineerUser, node_id: Id) -> Response:
    with kernel.engine.begin() as conn:
        node = hierarchy_repo.get(conn, node_id)
        if node is None:
            raise not_found("hierarchy node")
        children, characteristics = hierarchy_repo.dependents(conn, node_id)
        if children or characteristics:
            raise conflict(
                f"{node.name!r} has {children} child node(s) and {characteristics} "
                "characteristic(s) below it; move or delete them first"
            )
        hierarchy_repo.delete_node(conn, node_id)
        audit.record(conn, user.name, "delete", "hierarchy", node_id, before=_snapshot(node))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
