"""The ISA-95 plant hierarchy (a tree of named nodes)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import CTE, Connection, delete, func, insert, select, update

from openspc.db.models import Characteristic, Hierarchy


def all_nodes(conn: Connection) -> list[Any]:
    return list(conn.execute(select(Hierarchy).order_by(Hierarchy.name, Hierarchy.id)))


def get(conn: Connection, node_id: int) -> Any:
    return conn.execute(select(Hierarchy).where(Hierarchy.id == node_id)).one_or_none()


def subtree(node_id: int) -> CTE:
    """The ids of a node and of every node below it (a recursive CTE, column ``id``)."""
    tree = select(Hierarchy.id).where(Hierarchy.id == node_id).cte("subtree", recursive=True)
    return tree.union_all(select(Hierarchy.id).where(Hierarchy.parent_id == tree.c.id))


def subtree_nodes(conn: Connection, node_id: int) -> list[Any]:
    """A node and every node below it."""
    tree = subtree(node_id)
    return list(
        conn.execute(
            select(Hierarchy)
            .where(Hierarchy.id.in_(select(tree.c.id)))
            .order_by(Hierarchy.name, Hierarchy.id)
        )
    )


def in_subtree(conn: Connection, root_id: int, node_id: int) -> bool:
    """Whether ``node_id`` is ``root_id`` or below it."""
    tree = subtree(root_id)
    return conn.execute(select(tree.c.id).where(tree.c.id == node_id)).first() is not None


def sibling_named(
    conn: Connection, parent_id: int | None, name: str, *, other_than: int | None = None
) -> bool:
    """Whether a node under ``parent_id`` (None: the top) already has that name."""
    query = select(Hierarchy.id).where(Hierarchy.name == name)
    query = query.where(
        Hierarchy.parent_id.is_(None) if parent_id is None else Hierarchy.parent_id == parent_id
    )
    if other_than is not None:
        query = query.where(Hierarchy.id != other_than)
    return conn.execute(query.limit(1)).first() is not None


def child_types(conn: Connection, node_id: int) -> set[str]:
    return set(
        conn.execute(select(Hierarchy.type).where(Hierarchy.parent_id == node_id).distinct())
        .scalars()
        .all()
    )


def dependents(conn: Connection, node_id: int) -> tuple[int, int]:
    """(child nodes, characteristics anywhere below or on the node)."""
    children = conn.execute(
        select(func.count()).select_from(Hierarchy).where(Hierarchy.parent_id == node_id)
    ).scalar_one()
    tree = subtree(node_id)
    characteristics = conn.execute(
        select(func.count())
        .select_from(Characteristic)
        .where(Characteristic.hierarchy_id.in_(select(tree.c.id)))
    ).scalar_one()
    return int(children), int(characteristics)


def create_node(conn: Connection, values: dict[str, Any]) -> Any:
    return conn.execute(insert(Hierarchy).values(**values).returning(*Hierarchy.__table__.c)).one()


def update_node(conn: Connection, node_id: int, values: dict[str, Any]) -> Any:
    return conn.execute(
        update(Hierarchy)
        .where(Hierarchy.id == node_id)
        .values(**values)
        .returning(*Hierarchy.__table__.c)
    ).one()


def delete_node(conn: Connection, node_id: int) -> None:
    conn.execute(delete(Hierarchy).where(Hierarchy.id == node_id))


def characteristics_below(conn: Connection, roots: Collection[int]) -> dict[int, frozenset[int]]:
    """For every root that exists, the characteristics on it or anywhere below it: one
    recursive query for all roots (SQLite and PostgreSQL). Missing roots are left out."""
    tree = (
        select(Hierarchy.id.label("root_id"), Hierarchy.id.label("node_id"))
        .where(Hierarchy.id.in_(roots))
        .cte("characteristic_subtree", recursive=True)
    )
    tree = tree.union_all(
        select(tree.c.root_id, Hierarchy.id).where(Hierarchy.parent_id == tree.c.node_id)
    )
    rows = conn.execute(
        select(tree.c.root_id, Characteristic.id).select_from(
            tree.outerjoin(Characteristic, Characteristic.hierarchy_id == tree.c.node_id)
        )
    )
    found: dict[int, set[int]] = {}
    for root, characteristic in rows:
        members = found.setdefault(root, set())
        if characteristic is not None:
            members.add(characteristic)
    return {root: frozenset(members) for root, members in found.items()}
