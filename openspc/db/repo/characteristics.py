"""Characteristics and their rule rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from openspc.db.models import Characteristic, CharacteristicRule, Sample
from openspc.db.repo import hierarchy as hierarchy_repo
from openspc.db.repo import limits as limits_repo


def by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        r.id: r for r in conn.execute(select(Characteristic).where(Characteristic.id.in_(wanted)))
    }


def rule_rows(conn: Connection, ids: Iterable[int]) -> dict[int, list[Any]]:
    wanted = sorted(set(ids))
    out: dict[int, list[Any]] = {i: [] for i in wanted}
    if wanted:
        for r in conn.execute(
            select(CharacteristicRule).where(CharacteristicRule.characteristic_id.in_(wanted))
        ):
            out[r.characteristic_id].append(r)
    return out


def get(conn: Connection, characteristic_id: int) -> Any:
    return conn.execute(
        select(Characteristic).where(Characteristic.id == characteristic_id)
    ).one_or_none()


def search(
    conn: Connection,
    *,
    hierarchy_id: int | None = None,
    source: str | None = None,
    text: str | None = None,
) -> list[Any]:
    """Characteristics on a hierarchy node or anywhere below it, of a source, whose name,
    description or tag contains ``text`` (case-insensitive); sorted by name."""
    query = select(Characteristic).order_by(Characteristic.name, Characteristic.id)
    if hierarchy_id is not None:
        tree = hierarchy_repo.subtree(hierarchy_id)
        query = query.where(Characteristic.hierarchy_id.in_(select(tree.c.id)))
    if source is not None:
        query = query.where(Characteristic.source == source)
    if text:
        needle = text.lower()
        query = query.where(
            or_(
                *(
                    func.lower(column).contains(needle, autoescape=True)
                    for column in (
                        Characteristic.name,
                        Characteristic.description,
                        Characteristic.tag,
                    )
                )
            )
        )
    return list(conn.execute(query))


def named(conn: Connection, hierarchy_id: int, name: str, *, other_than: int | None = None) -> bool:
    """Whether the hierarchy node already has a characteristic of that name."""
    query = select(Characteristic.id).where(
        Characteristic.hierarchy_id == hierarchy_id, Characteristic.name == name
    )
    if other_than is not None:
        query = query.where(Characteristic.id != other_than)
    return conn.execute(query.limit(1)).first() is not None


def by_tag(conn: Connection, tag: str) -> Any:
    return conn.execute(select(Characteristic).where(Characteristic.tag == tag)).one_or_none()


def create_characteristic(conn: Connection, values: dict[str, Any]) -> Any:
    return conn.execute(
        insert(Characteristic)
        .values(**{"chart_params": {}, **values})
        .returning(*Characteristic.__table__.c)
    ).one()


def update_characteristic(conn: Connection, characteristic_id: int, values: dict[str, Any]) -> Any:
    return conn.execute(
        update(Characteristic)
        .where(Characteristic.id == characteristic_id)
        .values(**values)
        .returning(*Characteristic.__table__.c)
    ).one()


def replace_rules(conn: Connection, characteristic_id: int, rows: Iterable[dict[str, Any]]) -> None:
    """Make ``rows`` the characteristic's only stored rule settings."""
    conn.execute(
        delete(CharacteristicRule).where(CharacteristicRule.characteristic_id == characteristic_id)
    )
    values = [{"characteristic_id": characteristic_id, **r} for r in rows]
    if values:
        conn.execute(insert(CharacteristicRule), values)


def has_samples(conn: Connection, characteristic_id: int) -> bool:
    return (
        conn.execute(
            select(Sample.id).where(Sample.characteristic_id == characteristic_id).limit(1)
        ).first()
        is not None
    )


def delete_characteristic(conn: Connection, characteristic_id: int) -> None:
    """Delete a characteristic that has no samples, with its limit versions (they judged
    nothing) and its rule settings (cascade)."""
    limits_repo.delete_unused(conn, characteristic_id)
    conn.execute(delete(Characteristic).where(Characteristic.id == characteristic_id))


def due_candidates(conn: Connection, hierarchy_id: int | None = None) -> list[Any]:
    """MANUAL characteristics with a sampling interval, each with ``last_sample_at``."""
    last = (
        select(func.max(Sample.timestamp))
        .where(Sample.characteristic_id == Characteristic.id)
        .scalar_subquery()  # an index lookup per characteristic (uq_sample_time)
    )
    query = select(Characteristic, last.label("last_sample_at")).where(
        Characteristic.source == "MANUAL", Characteristic.sampling_interval_minutes.is_not(None)
    )
    if hierarchy_id is not None:
        tree = hierarchy_repo.subtree(hierarchy_id)
        query = query.where(Characteristic.hierarchy_id.in_(select(tree.c.id)))
    return list(conn.execute(query))
